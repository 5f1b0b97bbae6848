/** GET /api/v1/model-info as a data function: champion and challenger of every model. */
import type { Manifest, ModelInfo, ModelInfoResponse, VersionInfo } from '@sentiment-edge/registry';
import { getVersion, listModels } from '../db/versions.ts';
import { modelCache } from '../inference/model-cache.ts';
import { CHALLENGER, CHAMPION } from '../inference/alias-cache.ts';

function versionInfo(m: Manifest): VersionInfo {
  return {
    version: m.version,
    labels: m.labels,
    metrics: { accuracy: m.evaluation.accuracy, macroF1: m.evaluation.macroF1, macroRecall: m.evaluation.macroRecall, dataset: m.evaluation.dataset.name },
    createdAt: m.createdAt,
    bytes: m.bytes,
    loaded: modelCache.has(m.name, m.version),
  };
}

export async function modelInfo(db: D1Database, defaultModel: string): Promise<ModelInfoResponse> {
  const models = await listModels(db);
  const out: ModelInfo[] = await Promise.all(
    models.map(async (s) => {
      const [champion, challenger] = await Promise.all(
        [CHAMPION, CHALLENGER].map(async (alias) => {
          const v = s.aliases[alias];
          const m = v === undefined ? null : await getVersion(db, s.name, v);
          return m ? versionInfo(m) : null;
        }),
      );
      return { name: s.name, champion: champion ?? null, challenger: challenger ?? null };
    }),
  );
  return { defaultModel, models: out };
}
