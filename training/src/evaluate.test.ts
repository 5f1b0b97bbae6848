// The reference profile publish-model stores with a version: computed on the evaluation rows with the
// model's own tokenizer and probabilities (registry drift.ts), on a real tiny model.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILE_BOUNDS, ReferenceProfile } from '@sentiment-edge/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateModel, evaluationProfile } from './evaluate.ts';
import { buildTinyModel } from '../test/tiny.ts';

const root = mkdtempSync(join(tmpdir(), 'evaluate-profile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('evaluation profile', () => {
  it('counts every evaluation row, with token counts, unknown-token shares, confidences and the predicted-label mix', async () => {
    const rows: [string, string][] = [
      ['a wonderful , moving film', 'positive'],
      ['i hated it', 'negative'],
      ['good', 'positive'],
      ['zqxv blorptastic wuggle', 'negative'],
      ['the worst film of the year , boring and dull and bad and terrible', 'negative'],
      ['great acting and a lovely story', 'positive'],
    ];
    const dir = join(root, 'model');
    // As the Worker's test fixtures are built (vitest.config.ts there).
    buildTinyModel(dir, { seed: 7 });
    const csv = join(root, 'eval.csv');
    writeFileSync(csv, 'text,label\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n') + '\n');
    const ev = await evaluateModel(dir, csv);
    const profile = evaluationProfile(ev);
    expect(ReferenceProfile.parse(profile)).toEqual(profile);
    expect(profile.rows).toBe(6);
    // Word pieces without [CLS]/[SEP]: "good" is one piece, the long text more than 12.
    expect(ev.tokenStats[2]!.tokens).toBe(1);
    expect(ev.tokenStats[4]!.tokens).toBeGreaterThan(12);
    expect(profile.tokens.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(profile.tokens.bounds).toEqual([...PROFILE_BOUNDS.tokens]);
    // Made-up words are unknown to the vocabulary; known ones are not.
    expect(ev.tokenStats[3]!.unknownShare).toBeGreaterThan(0);
    expect(ev.tokenStats[0]!.unknownShare).toBe(0);
    const predicted = ev.probabilities.map((p) => (p[1]! > p[0]! ? 'positive' : 'negative'));
    expect(profile.labels).toEqual({ negative: predicted.filter((l) => l === 'negative').length, positive: predicted.filter((l) => l === 'positive').length });
    expect(profile.meanConfidence).toBeCloseTo(ev.probabilities.reduce((s, p) => s + Math.max(p[0]!, p[1]!), 0) / 6, 6);
  });
});
