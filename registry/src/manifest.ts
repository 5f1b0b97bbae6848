import { z } from 'zod';
import { ReferenceProfile } from './drift.ts';
import { ALIAS_NAME_PATTERN, ALIAS_NAME_RULE, MAX_VERSION, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from './names.ts';


/** Model names: lower-case slug, safe in URLs, R2 keys and file names. */
export const ModelName = z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE);
export type ModelName = z.infer<typeof ModelName>;

/** Alias names: `champion`, `challenger` or any other slug that is not a number. */
export const AliasName = z.string().regex(ALIAS_NAME_PATTERN, ALIAS_NAME_RULE);
export type AliasName = z.infer<typeof AliasName>;

export const Version = z.number().int().positive().max(MAX_VERSION);



const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');

/** A file path inside a model directory, e.g. `onnx/model_quantized.onnx`. No `..`, no leading `/`. */
export const FilePath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!\/)(?!.*\/\/)(?!.*\/$)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/, 'file paths are relative, use A-Z a-z 0-9 . _ - /, and contain no empty, "." or ".." segments');

export const ModelFile = z.object({
  path: FilePath,
  sha256: Sha256,
  bytes: z.number().int().nonnegative(),
});
export type ModelFile = z.infer<typeof ModelFile>;

const Probability = z.number().min(0).max(1);

export const ClassMetrics = z.object({
  precision: Probability,
  recall: Probability,
  f1: Probability,
  support: z.number().int().nonnegative(),
});
export type ClassMetrics = z.infer<typeof ClassMetrics>;

export const DatasetRef = z.object({
  name: z.string().min(1).max(200),
  sha256: Sha256,
  rows: z.number().int().positive(),
});
export type DatasetRef = z.infer<typeof DatasetRef>;

export const Evaluation = z.object({
  dataset: DatasetRef,
  accuracy: Probability,
  macroF1: Probability,
  macroRecall: Probability,
  perClass: z.record(z.string(), ClassMetrics),
  /** confusion[i][j] = rows whose true label is labels[i] and predicted label is labels[j]. */
  confusion: z.array(z.array(z.number().int().nonnegative())),
  ece: Probability.optional(),
});
export type Evaluation = z.infer<typeof Evaluation>;

/**
 * The evaluation suite's summary (training/src/suite.ts, `pnpm evaluate --suite`): per set (polar rows
 * scored on P(positive) vs P(negative); 3-way for 3-label models), the mean over the evaluation-only
 * sets, the worst set, and CheckList failure rates. Optional: versions published before it have none.
 */
export const SuiteRecord = z.object({
  sets: z
    .array(
      z.object({
        set: z.string().min(1).max(100),
        scoring: z.enum(['polar', '3-way']),
        rows: z.number().int().nonnegative(),
        accuracy: Probability,
        macroF1: Probability,
        recall: z.record(z.string(), Probability),
        ece: Probability,
      }),
    )
    .max(64),
  evaluationOnlyMeanMacroF1: Probability,
  worst: z.object({ set: z.string().min(1).max(100), macroF1: Probability }),
  checklist: z
    .object({
      polarMftFailure: Probability,
      negationFailure: z.record(z.string(), Probability),
      neutralMftFailure: Probability.nullable(),
      invFailure: Probability,
      dirFailure: Probability,
      /** How the CheckList cases were sampled, or null when all were scored. */
      sampled: z.string().max(300).nullable(),
    })
    .nullable(),
});
export type SuiteRecord = z.infer<typeof SuiteRecord>;

export const ModelRef = z.object({ name: ModelName, version: Version });
export type ModelRef = z.infer<typeof ModelRef>;

/** Deepest nesting accepted in free-form JSON (`training.params`); SQLite's JSON functions (D1) refuse more than 1000 levels. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests at most `max` levels of arrays/objects (iterative: no stack to overflow). */
export function jsonDepthWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

export const TrainingInfo = z.object({
  datasetSha256: Sha256,
  // The record itself is one level.
  params: z.record(z.string(), z.unknown()).refine((p) => jsonDepthWithin(p, MAX_JSON_DEPTH), `params may nest at most ${MAX_JSON_DEPTH} levels deep`),
  seed: z.number().int(),
  durationMs: z.number().nonnegative(),
  parent: ModelRef.nullable(),
  /** The languages of the training rows (ISO 639-1, from training-meta.json; optional: older versions have none). */
  languages: z.array(z.string().min(2).max(16)).max(64).optional(),
});
export type TrainingInfo = z.infer<typeof TrainingInfo>;

/** What a publisher sends before uploading files; the registry assigns nothing but the version if omitted. */
export const ManifestDraft = z
  .object({
    name: ModelName,
    version: Version.optional(),
    labels: z.array(z.string().min(1).max(64)).min(2).max(64),
    files: z.array(ModelFile).min(1).max(64),
    evaluation: Evaluation,
    /** The evaluation suite's summary, when the publisher ran it (optional: older versions have none). */
    suite: SuiteRecord.optional(),
    /**
     * What the version's predictions looked like on its evaluation data (token counts, unknown-token
     * share, confidence, predicted-label mix): the reference the Worker's drift job compares live
     * traffic with (drift.ts). Optional: versions published before it have none.
     */
    profile: ReferenceProfile.optional(),
    /** How the version was trained; null for a model imported from elsewhere (e.g. a Hugging Face export). */
    training: TrainingInfo.nullable(),
    createdAt: z.iso.datetime().optional(),
  })
  .superRefine((m, ctx) => {
    const paths = new Set<string>();
    for (const [i, f] of m.files.entries()) {
      if (paths.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `duplicate file path ${f.path}` });
      paths.add(f.path);
    }
    if (new Set(m.labels).size !== m.labels.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'labels must be unique' });
    const n = m.labels.length;
    const c = m.evaluation.confusion;
    if (c.length !== n || c.some((row) => row.length !== n)) {
      ctx.addIssue({ code: 'custom', path: ['evaluation', 'confusion'], message: `confusion must be ${n}x${n} (one row and column per label)` });
    }
    for (const k of Object.keys(m.profile?.labels ?? {})) {
      if (!m.labels.includes(k)) ctx.addIssue({ code: 'custom', path: ['profile', 'labels', k], message: `the profile's label mix has unknown label ${k}` });
    }
    for (const k of Object.keys(m.evaluation.perClass)) {
      if (!m.labels.includes(k)) ctx.addIssue({ code: 'custom', path: ['evaluation', 'perClass', k], message: `perClass has unknown label ${k}` });
    }
  });
export type ManifestDraft = z.infer<typeof ManifestDraft>;

export const VersionStatus = z.enum(['pending', 'ready', 'archived']);
export type VersionStatus = z.infer<typeof VersionStatus>;

/** A version as the registry stores and serves it. */
export type Manifest = Omit<ManifestDraft, 'version' | 'createdAt'> & {
  version: number;
  createdAt: string;
  status: VersionStatus;
  /** Sum of file sizes. */
  bytes: number;
  /** Who created it: the API key's name, or 'REGISTRY_TOKEN' (absent before this was recorded). */
  createdBy?: string;
};
