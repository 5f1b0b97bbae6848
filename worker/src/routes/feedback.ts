/**
 * User feedback: POST /api/v1/feedback (public, JSON, rate limited like POST /history) stores the label
 * a user says is right for a prediction, trusted when sent with REGISTRY_TOKEN or FEEDBACK_TOKEN; GET /api/v1/feedback/export (REGISTRY_TOKEN) returns the
 * corrected texts as CSV `text,label` for `pnpm train --data feedback.csv --from NAME@champion`;
 * GET /api/v1/feedback/accuracy (REGISTRY_TOKEN or READ_TOKEN) the realised accuracy per version and day.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { evaluationRoutes, MAX_FEEDBACK_BATCH, ModelName, parseVersionText } from '@sentiment-edge/registry';
import type { Context } from 'hono';
import Papa from 'papaparse';
import { access, callerName, publicCaller } from '../auth.ts';
import { exportFeedback, realisedAccuracy, recordFeedbackExport, upsertFeedback } from '../db/feedback.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { HEAVY_COST, limitCaller, limitClient } from '../rate-limit.ts';
import { errors, json } from './responses.ts';
import { flushHistory } from '../serving/history.ts';

/** Most rows one export returns (the newest corrections past it are in the next export with a later `since`). */
export const MAX_EXPORT_ROWS = 100_000;
/** Largest feedback body: 500 items of at most ~200 bytes. */
const MAX_FEEDBACK_BODY_BYTES = MAX_FEEDBACK_BATCH * 256 + 1024;

const FeedbackItemSchema = z.object({
  predictionId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'prediction ids are 8-64 characters of A-Z a-z 0-9 _ - (the history row id)'),
  label: z.string().min(1).max(64).openapi({ description: 'the label the user says is right: one of the version’s labels' }),
});
export const FeedbackRequestSchema = z
  .object({ items: z.array(FeedbackItemSchema).min(1).max(MAX_FEEDBACK_BATCH) })
  .superRefine((b, ctx) => {
    const seen = new Map<string, number>();
    b.items.forEach((item, i) => {
      const first = seen.get(item.predictionId);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['items', i, 'predictionId'], message: `prediction ${item.predictionId} repeats items.${first}; send one correction per prediction` });
      else seen.set(item.predictionId, i);
    });
  })
  .openapi('FeedbackRequest');

/** `NAME` or `NAME@VERSION`. */
function parseModelFilter(model: string): { name: string; version?: number } {
  const at = model.indexOf('@');
  const name = at === -1 ? model : model.slice(0, at);
  if (!ModelName.safeParse(name).success) throw ApiError.badRequest(`model "${model}" is not NAME or NAME@VERSION`);
  if (at === -1) return { name };
  const version = parseVersionText(model.slice(at + 1));
  if (version === null) throw ApiError.badRequest(`model "${model}" is not NAME or NAME@VERSION`);
  return { name, version };
}

/**
 * The export as CSV `text,label` (RFC 4180, papaparse as the PWA's history export): a field that starts with
 * =, +, -, @, a tab or a carriage return gets a leading ' so that a spreadsheet shows it as text instead of
 * running it as a formula (OWASP's CSV injection advice).
 */
export function feedbackCsv(rows: readonly { text: string; label: string }[]): string {
  return Papa.unparse({ fields: ['text', 'label'], data: rows.map((r) => [r.text, r.label]) }, { escapeFormulae: true, newline: '\n' }) + '\n';
}

async function readFeedbackBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_FEEDBACK_BODY_BYTES) throw new ApiError(413, 'payload_too_large', `at most ${MAX_FEEDBACK_BATCH} corrections per request (${MAX_FEEDBACK_BODY_BYTES} bytes); send them in several requests`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`malformed JSON body: ${(e as Error).message}. Send {"items": [{"predictionId": "…", "label": "positive"}]}`);
  }
}

const ExportQuery = z.object({
  model: z.string().min(1).max(200).openapi({ description: 'NAME or NAME@VERSION (labels differ between models, so one model per export)', example: 'sentiment' }),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'only corrections made (or replaced) at or after this time' }),
});
const FeedbackResponseSchema = z.object({ inserted: z.number().int(), updated: z.number().int() }).openapi('FeedbackResponse');

const AccuracyQuery = z.object({
  model: z.string().min(1).max(200).openapi({ example: 'sentiment' }),
  days: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, 'days is 1-366')
    .transform(Number)
    .pipe(z.number().max(366))
    .optional()
    .openapi({ description: 'days back from today (UTC), default 30' }),
});

export function feedbackApp() {
  const app = newApp();
  const tags = ['feedback'];
  // The body is documented from FeedbackRequestSchema and parsed in the handler, after the limiter: a flood of
  // bad bodies is refused before it is read, and an oversized batch answers 413.
  app.openAPIRegistry.register('FeedbackRequest', FeedbackRequestSchema);
  app.openapi(
    createRoute({
      method: 'post',
      path: evaluationRoutes.feedback(),
      tags,
      summary: `Corrections: for each prediction (an edge row or a synced browser row, by its history id) the label the user says is right. Idempotent per prediction: a later correction replaces the earlier. All or none; an id /predict returned is accepted at once; 404 for ids not in the history (sync browser rows first), 400 for a label the version does not have. Sent with REGISTRY_TOKEN or FEEDBACK_TOKEN the corrections are trusted: only trusted ones count in realised accuracy and the export; anonymous ones are stored but not counted. 403 for a wrong token. JSON only; at most ${MAX_FEEDBACK_BATCH} items; per-client limit like POST /history`,
      request: { body: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/FeedbackRequest' } } } } },
      responses: { 200: json(FeedbackResponseSchema, 'Stored'), ...errors(400, 403, 404, 413, 415, 429) },
    }),
    async (c) => {
      // Trusted feedback: sent with REGISTRY_TOKEN or FEEDBACK_TOKEN; anonymous corrections are kept but count
      // neither in realised accuracy nor in the export that retraining reads.
      const caller = await publicCaller(c);
      if (caller !== 'REGISTRY_TOKEN') await limitClient(c.env, c.req.raw, 'HISTORY_LIMITER');
      const parsed = FeedbackRequestSchema.safeParse(await readFeedbackBody(c));
      if (!parsed.success) {
        const items = parsed.error.issues[0]?.path[0] === 'items' && parsed.error.issues[0].code === 'too_big';
        if (items) throw new ApiError(413, 'payload_too_large', `at most ${MAX_FEEDBACK_BATCH} corrections per request; send them in several requests`);
        throw ApiError.validation(parsed.error.issues, 'feedback');
      }
      const trusted = caller === 'REGISTRY_TOKEN' || caller === 'FEEDBACK_TOKEN';
      return c.json(await upsertFeedback(c.env.DB, parsed.data.items, { trusted, flush: () => flushHistory(c.env.DB) }), 200, { 'Cache-Control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: evaluationRoutes.feedbackExport(),
      tags,
      ...access('operator'),
      summary: `Trusted corrected texts as CSV text,label (oldest correction first, at most ${MAX_EXPORT_ROWS} rows; X-Truncated: true when there are more), ready for pnpm train --data feedback.csv --from NAME@champion. Fields starting with = + - @ get a leading ' (no spreadsheet formulas). Only trusted corrections (REGISTRY_TOKEN or FEEDBACK_TOKEN) of predictions whose text was stored (STORE_TEXT on) are exported: X-Rows-Untrusted and X-Rows-Without-Text count the others`,
      request: { query: ExportQuery },
      responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, ...errors(400, 401, 403) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { name, version } = parseModelFilter(q.model);
      const since = q.since ? new Date(q.since).toISOString() : undefined;
      await limitCaller(c, 'HEAVY_LIMITER', HEAVY_COST.feedbackExport);
      const out = await exportFeedback(c.env.DB, { name, version, since, limit: MAX_EXPORT_ROWS });
      // Who took which corrections: one audit row per export (feedback_exports), named in X-Export-Id.
      const exportId = await recordFeedbackExport(c.env.DB, { name, version, since, rows: out.rows.length, truncated: out.truncated, createdBy: callerName(c) });
      return c.body(feedbackCsv(out.rows), 200, {
        'X-Export-Id': String(exportId),
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="feedback-${name}.csv"`,
        'Cache-Control': 'no-store',
        'X-Rows': String(out.rows.length),
        // Corrections whose texts were not stored (STORE_TEXT off when predicted): they cannot be exported.
        'X-Rows-Without-Text': String(out.withoutText),
        // Anonymous corrections: never exported (send feedback with FEEDBACK_TOKEN to have it count).
        'X-Rows-Untrusted': String(out.untrusted),
        'X-Store-Text': c.env.STORE_TEXT === 'true' ? 'true' : 'false',
        ...(out.truncated ? { 'X-Truncated': 'true' } : {}),
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: evaluationRoutes.feedbackAccuracy(),
      tags,
      ...access('reader'),
      summary: 'Realised accuracy per version and UTC day of the prediction, from feedback: the share of predictions with feedback whose label the user confirmed. Biased towards errors (people report mistakes more than successes): read it as a lower bound and a trend. REGISTRY_TOKEN or READ_TOKEN',
      request: { query: AccuracyQuery },
      responses: {
        200: json(
          z
            .object({ rows: z.array(z.object({ model: z.object({ name: z.string(), version: z.number().int() }), day: z.string(), feedback: z.number().int(), correct: z.number().int(), accuracy: z.number() })) })
            .openapi('RealisedAccuracy'),
          'Per version and day, newest first',
        ),
        ...errors(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { name } = parseModelFilter(q.model);
      const days = q.days ?? 30;
      const sinceDay = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      return c.json({ rows: await realisedAccuracy(c.env.DB, name, sinceDay) }, 200, { 'Cache-Control': 'no-store' });
    },
  );
  return app;
}
