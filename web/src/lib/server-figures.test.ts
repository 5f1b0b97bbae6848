import { describe, expect, it } from 'vitest';
import type { Manifest, ModelInfoResponse } from '@sentiment-edge/registry';
import { loadServerFigures, saveServerFigures, serverFigures } from './server-figures.ts';
import { MemoryStorage } from '../../test/memory-storage.ts';

const SST = { name: 'sst2/validation.csv', sha256: 'a'.repeat(64), rows: 872 };
const TWEETS = { name: 'tweeteval/val.csv', sha256: 'b'.repeat(64), rows: 2000 };
const POLAR = { negative: {}, positive: {} };
const THREE_WAY = { negative: {}, neutral: { support: 0 }, positive: {} };

const manifest = (version: number, accuracy: number, macroF1: number, suiteMean?: number, dataset = SST, perClass: object = POLAR) =>
  ({
    name: 'sentiment',
    version,
    labels: ['negative', 'neutral', 'positive'],
    evaluation: { accuracy, macroF1, dataset, perClass },
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

  it('compares versions only on the champion\'s file scored the same way, and names those left out', () => {
    const versions = [manifest(1, 0.74, 0.53, undefined, SST, THREE_WAY), manifest(2, 0.58, 0.57, undefined, TWEETS, { ...THREE_WAY, neutral: { support: 600 } }), manifest(3, 0.85, 0.85), manifest(4, 0.86, 0.86)];
    const f = serverFigures(null, { aliases: { champion: 3 }, versions })!;
    expect(f.basis).toEqual({ ...SST, scoring: 'polar' });
    expect(f.versions.map((v) => v.name)).toEqual(['v3 (champion)', 'v4']);
    expect(f.elsewhere).toEqual(['v1 on sst2/validation.csv (scored the most probable label)', 'v2 on tweeteval/val.csv (scored the most probable label)']);
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
