/**
 * The monitoring HTTP contract as zod schemas, for the Worker's routes and /openapi.json: drift reports and
 * alerts (GET /drift), the A/B readout (GET /ab), the promotion policy and its decisions. The TypeScript types
 * clients use are declared beside the logic that builds these values (drift-api.ts, ab-api.ts, policy.ts).
 */
import { z } from 'zod';
import { DRIFT_FEATURES } from './drift.ts';
import { PromotionPolicy } from './policy.ts';

const Feature = z.enum(DRIFT_FEATURES as [string, ...string[]]);
const FeatureCheckSchema = z.union([
  z.object({
    feature: Feature,
    psi: z.number(),
    psiThreshold: z.number(),
    test: z.enum(['ks', 'chi-squared']),
    statistic: z.number(),
    pValue: z.number(),
    pValueThreshold: z.number(),
    drifted: z.boolean().meta({ description: 'PSI ≥ psiThreshold AND pValue < pValueThreshold' }),
    reference: z.array(z.number()),
    current: z.array(z.number()),
    buckets: z.array(z.union([z.number(), z.string()])).meta({ description: 'bucket upper bounds (continuous; one more count for values above the last) or label names' }),
  }),
  z.object({ feature: Feature, skipped: z.literal('insufficient_rows'), rows: z.number().int(), minRows: z.number().int() }),
]);
const ModelRef = z.object({ name: z.string(), version: z.number().int() });
export const DriftReportSchema = z
  .object({
    id: z.number().int(),
    createdAt: z.string(),
    model: ModelRef,
    aliases: z.array(z.string()),
    window: z.object({ start: z.string(), end: z.string(), hours: z.number() }),
    rows: z.number().int(),
    status: z.enum(['ok', 'drift', 'insufficient_data', 'no_reference']),
    thresholds: z.object({ psi: z.number(), pValue: z.number(), minRows: z.number().int() }),
    features: z.array(FeatureCheckSchema),
    driftedFeatures: z.array(Feature),
    estimatedAccuracy: z
      .object({
        method: z.literal('cbpe'),
        estimate: z.number(),
        low: z.number(),
        high: z.number(),
        rows: z.number().int(),
        calibrationEce: z.number().nullable().meta({ description: 'ECE measured at publish (manifest evaluation.ece): how far confidences were from accuracy then' }),
        evaluationAccuracy: z.number().nullable(),
        referenceMeanConfidence: z.number().nullable(),
      })
      .nullable(),
    realisedAccuracy: z.object({ accuracy: z.number(), rows: z.number().int() }).nullable(),
    shadow: z
      .object({
        challenger: ModelRef,
        rows: z.number().int(),
        agreement: z.number().nullable(),
        labelMix: z.object({ champion: z.record(z.string(), z.number()), challenger: z.record(z.string(), z.number()) }),
        labelMixDifference: z.number().nullable(),
        challengerMeanConfidence: z.number().nullable(),
        otherRows: z.number().int(),
      })
      .nullable(),
    alerts: z.object({ opened: z.array(z.object({ id: z.number().int(), feature: Feature })), open: z.array(Feature), resolved: z.array(Feature) }),
  })
  .meta({ id: 'DriftReport' });
export const DriftAlertSchema = z
  .object({
    id: z.number().int(),
    model: ModelRef,
    feature: Feature,
    state: z.enum(['open', 'resolved']),
    openedAt: z.string(),
    resolvedAt: z.string().nullable(),
    openedReportId: z.number().int(),
    lastReportId: z.number().int(),
    psi: z.number(),
    pValue: z.number(),
    delivery: z.object({ status: z.enum(['sending', 'delivered', 'failed']), attempts: z.number().int(), lastStatus: z.number().int().nullable(), lastError: z.string().nullable(), updatedAt: z.string() }).nullable(),
  })
  .meta({ id: 'DriftAlert' });

export const DriftListingSchema = z.object({ model: z.string(), reports: z.array(DriftReportSchema), alerts: z.array(DriftAlertSchema) }).meta({ id: 'DriftListing' });

const Interval = z.object({ low: z.number(), high: z.number() });
export const AbVersionSchema = z.object({
  version: z.number().int(),
  n: z.number().int(),
  labels: z.record(z.string(), z.number().int()),
  labelMix: z.record(z.string(), z.number()),
  meanConfidence: z.number().nullable(),
  latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  feedback: z.object({ n: z.number().int(), correct: z.number().int(), accuracy: z.number().nullable(), interval: Interval.nullable().meta({ description: '95 % Wilson interval' }) }),
});

export const AbReadoutSchema = z
  .object({
    model: z.string(),
    window: z.object({ start: z.string(), end: z.string(), days: z.number().int() }),
    overlap: z.object({ start: z.string(), end: z.string() }).nullable(),
    source: z.enum(['edge', 'browser']).nullable(),
    a: AbVersionSchema,
    b: AbVersionSchema,
    labelMixDifference: z.object({ perLabel: z.record(z.string(), z.number()), totalVariation: z.number() }).nullable(),
    meanConfidenceDifference: z.number().nullable(),
    agreement: z.object({ rows: z.number().int(), agreement: z.number().nullable() }),
    accuracyDifference: z.object({ difference: z.number(), low: z.number(), high: z.number(), method: z.literal('newcombe'), confidence: z.literal(0.95) }).nullable(),
  })
  .meta({ id: 'AbReadout' });

export const PolicyResponseSchema = z
  .object({
    model: z.string(),
    policy: PromotionPolicy,
    updatedAt: z.string(),
    updatedBy: z.string().optional().meta({ description: "Who set the policy: the API key's name, or 'REGISTRY_TOKEN' (absent on policies set before this was recorded)" }),
  })
  .meta({ id: 'PolicyResponse' });

export const DecisionListSchema = z
  .object({
    model: z.string(),
    decisions: z.array(
      z.object({
        id: z.number().int(),
        model: z.string(),
        createdAt: z.string(),
        candidate: z.object({ name: z.string(), version: z.number().int(), alias: z.enum(['canary', 'challenger']) }),
        championVersion: z.number().int().nullable(),
        action: z.enum(['promote', 'hold', 'rollback']),
        outcome: z.enum(['applied', 'conflict', 'none']),
        reasons: z.array(z.string()),
        checks: z.array(z.object({ check: z.string(), passed: z.boolean().nullable(), value: z.number().nullable(), threshold: z.number().nullable(), message: z.string() })),
        evidence: z.record(z.string(), z.unknown()),
        policy: PromotionPolicy,
        webhook: z.enum(['delivered', 'failed']).nullable(),
      }),
    ),
  })
  .meta({ id: 'DecisionList' });
