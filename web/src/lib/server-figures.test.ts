import { describe, expect, it } from 'vitest';
import type { Manifest, ModelInfoResponse } from '@sentiment-edge/registry';
import { loadServerFigures, saveServerFigures, serverFigures } from './server-figures.ts';
import { MemoryStorage } from './memory-storage.ts';

const manifest = (version: number, accuracy: number, macroF1: number, suiteMean?: number) =>
  ({
    name: 'sentiment',
    version,
    evaluation: { accuracy, macroF1 },
    ...(suiteMean !== undefined ? { suite: { evaluationOnlyMeanMacroF1: suiteMean } } : {}),
  }) as unknown as Manifest;

const info: ModelInfoResponse = {
  defaultModel: 'sentiment',
  models: [
    {
      name: 'sentiment',
      champion: { version: 2, labels: ['negative', 'positive'], metrics: { accuracy: 0.8, macroF1: 0.79, macroRecall: 0.79, dataset: 'x' }, createdAt: '', bytes: 1, loaded: true },
      challenger: null,
    },
  ],
};


describe('server figures', () => {
  it('joins model-info and the version list: serving aliases, versions oldest first with their aliases', () => {
    const f = serverFigures(info, { aliases: { champion: 2, canary: 3 }, versions: [manifest(3, 0.82, 0.81, 0.7), manifest(2, 0.8, 0.79)] }, new Date('2026-11-30T08:00:00Z'))!;
    expect(f.at).toBe('2026-11-30T08:00:00.000Z');
    expect(f.model).toBe('sentiment');
    expect(f.serving).toEqual([
      { alias: 'champion', version: 2, macroF1: 0.79, loaded: true },
      { alias: 'challenger', version: null, macroF1: null, loaded: false },
    ]);
    expect(f.versions).toEqual([
      { name: 'v2 (champion)', accuracy: 0.8, macroF1: 0.79, suiteMean: null },
      { name: 'v3 (canary)', accuracy: 0.82, macroF1: 0.81, suiteMean: 0.7 },
    ]);
  });

  it('keeps only the 8 newest versions, and has nothing without any server data', () => {
    const versions = Array.from({ length: 12 }, (_, i) => manifest(i + 1, 0.5, 0.5));
    expect(serverFigures(null, { aliases: {}, versions })!.versions.map((v) => v.name)).toEqual(['v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11', 'v12']);
    expect(serverFigures(null, null)).toBeNull();
  });

  it('round-trips through storage and survives a broken entry', () => {
    const s = new MemoryStorage();
    const f = serverFigures(info, null)!;
    saveServerFigures(f, s);
    expect(loadServerFigures(s)).toEqual(f);
    s.setItem('sentiment-edge.dashboard-server', '{not json');
    expect(loadServerFigures(s)).toBeNull();
    expect(loadServerFigures(new MemoryStorage())).toBeNull();
  });
});
