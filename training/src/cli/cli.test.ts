import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel, writeTinyDataDir } from '../../test/tiny.ts';
import { writeSuiteFixtures } from '../suite-fixtures.ts';
import { DEFAULT_SOURCES } from '../recipe.ts';
import { SUITE_SETS } from '../suite.ts';

const run = promisify(execFile);
const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = (script: string, args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', join(pkg, 'src', 'cli', script), ...args], { cwd: pkg, env: { ...process.env, ...env } });

describe('CLIs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  const model = join(dir, 'model');
  const data = join(dir, 'eval.csv');
  beforeAll(() => {
    buildTinyModel(model, { rows: 2000, seed: 9 });
    writeFileSync(data, 'text,label\n"a wonderful, moving film",positive\nboring and bad,negative\nI loved it,positive\n');
  });

  it('evaluate --json prints exactly one JSON object', async () => {
    const { stdout } = await tsx('evaluate.ts', ['--model', model, '--data', data, '--json']);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const r = JSON.parse(lines[0]!);
    expect(r.rows).toBe(3);
    expect(r.dataset).toMatchObject({ name: 'eval.csv', rows: 3 });
    expect(r.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const k of ['accuracy', 'macroF1', 'macroRecall', 'ece']) expect(typeof r[k]).toBe('number');
    expect(Object.keys(r.perClass).sort()).toEqual(['negative', 'positive']);
    expect(r.confusion.length).toBe(2);
  });

  it('evaluate --suite scores the data directory ($SENTIMENT_DATA_DIR), prints JSON, writes --out and the model directory', async () => {
    const dataDir = join(dir, 'suite-data');
    writeSuiteFixtures(dataDir);
    const out = join(dir, 'suite.json');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(pkg, 'src', 'cli', 'evaluate.ts'), '--suite', '--model', model, '--json', '--out', out, '--write-model'], {
      cwd: pkg,
      env: { ...process.env, SENTIMENT_DATA_DIR: dataDir },
    });
    const r = JSON.parse(stdout);
    expect(r.dataDir).toBe(dataDir);
    expect(r.sets).toHaveLength(SUITE_SETS.length);
    expect(r.checklist.polarMft.cases).toBe(14);
    expect(JSON.parse(readFileSync(out, 'utf8')).summary).toEqual(r.summary);
    expect(JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8')).suite.summary).toEqual(r.summary);
    expect(readFileSync(join(model, 'README.md'), 'utf8')).toMatch(/## Evaluation suite \(fp32\)/);
    // --data with --suite is a usage error (exit 2) that says what to do
    const bad = await run(process.execPath, ['--import', 'tsx', join(pkg, 'src', 'cli', 'evaluate.ts'), '--suite', '--model', model, '--data', data], { cwd: pkg }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/drop --data/);
  });

  it('predict scores a text and a CSV file', async () => {
    const one = await tsx('predict.ts', ['--model', model, '--text', 'I loved it']);
    expect(one.stdout).toMatch(/^(positive|negative)\t0\.\d{4}\tnegative=0\.\d{4} positive=0\.\d{4}\tI loved it/);
    const out = join(dir, 'out.csv');
    await tsx('predict.ts', ['--model', model, '--input', data, '--output', out]);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('text,label,predicted_label,score,p_negative,p_positive');
    expect(lines.length).toBe(4);
  });

  it('train accepts --data more than once and records the combined dataset', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const rows = (words: string[], label: string) => words.map((w) => `${w} film,${label}`).join('\n');
    writeFileSync(a, `text,label\n${rows(['great', 'wonderful', 'lovely', 'superb'], 'positive')}\n${rows(['awful', 'boring', 'dull', 'bad'], 'negative')}\n`);
    writeFileSync(b, `text,label\n${rows(['moving', 'fun'], 'positive')}\n${rows(['tedious', 'weak'], 'negative')}\n`);
    const out = join(dir, 'multi');
    await tsx('train.ts', ['--data', a, '--data', b, '--validation', data, '--out', out, '--epochs', '1', '--buckets', '64', '--dim', '4', '--no-word-vectors']);
    const meta = JSON.parse(readFileSync(join(out, 'training-meta.json'), 'utf8'));
    expect(meta.dataset).toBe('a.csv+b.csv');
    expect(meta.datasetFiles).toEqual([a, b]);
    expect(meta.datasetSha256).toMatch(/^[0-9a-f]{64}$/);
  }, 90_000); // loads the GloVe vectors: slow on a busy 2-core machine

  it('train with no --data trains the default recipe: 3 classes from every source in $SENTIMENT_DATA, calibrated, cnn encoder, identities tied', async () => {
    const out = join(dir, 'default');
    // --add-data: a feedback export joins the recipe as one more source.
    const feedback = join(dir, 'feedback.csv');
    writeFileSync(feedback, 'text,label\n"the app crashed, but support fixed it fast",positive\nmeh,neutral\nawful update,negative\n');
    const { stdout } = await tsx('train.ts', ['--out', out, '--epochs', '2', '--buckets', '256', '--dim', '4', '--no-word-vectors', '--add-data', feedback], { SENTIMENT_DATA: writeTinyDataDir() });
    expect(stdout).toMatch(/amazon\/alexa-train\.csv/);
    expect(stdout).toMatch(/calibration: temperature \d/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'neutral', 2: 'positive' });
    expect(config.sentiment_edge.temperature).toBeGreaterThan(0);
    // The cnn encoder's answer is not a sum over tokens: no token_scores output (README, issue 27).
    expect(config.sentiment_edge.outputs).toEqual(['logits']);
    expect(config.sentiment_edge.shape.conv).toEqual({ width: 3, filters: 32, dim: 16 });
    const tokenizer = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(tokenizer.model.vocab.hindu).toBe(tokenizer.model.vocab.christian);
    const meta = JSON.parse(readFileSync(join(out, 'training-meta.json'), 'utf8'));
    expect(meta.dataset).toContain('sst2/train.csv+mr/reviews.csv+tweeteval/test.csv');
    // The files the peers bench trains on: every source file, relative to the data directory, and nothing else.
    expect(meta.datasetFiles).toEqual([...DEFAULT_SOURCES.map((s) => s.file), feedback]);
    expect(stdout).toContain(feedback);
    expect(meta.params.calibrate).toBe(true);
    expect(meta.params.polarLoss).toBe(true);
    expect(meta.params.encoder).toBe('cnn');
  });

  it('train refuses --validation and --from without --data, --add-data with --data, and an unknown preset', async () => {
    await expect(tsx('train.ts', ['--validation', data])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/held-out rows/) });
    await expect(tsx('train.ts', ['--data', data, '--add-data', data])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--add-data adds rows to the default recipe/) });
    await expect(tsx('train.ts', ['--preset', 'nope'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--preset must be/) });
  });

  it('train refuses an unknown --encoder before reading any data', async () => {
    await expect(tsx('train.ts', ['--encoder', 'lstm'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--encoder must be pooled or cnn, got "lstm"/) });
  });

  it('train --data searches recipes on a validation split, records the table and the linear baseline, and the languages', async () => {
    const csv = join(dir, 'fr.csv');
    const pos = ['génial', 'magnifique', 'superbe', 'émouvant'];
    const neg = ['nul', 'ennuyeux', 'raté', 'décevant'];
    const rows = Array.from({ length: 120 }, (_, i) => (i % 2 ? `"Le film est ${neg[i % 4]}, vraiment ${neg[(i >> 1) % 4]} du début à la fin",negative` : `"J'ai trouvé ce film ${pos[i % 4]}, l'acteur est ${pos[(i >> 1) % 4]}",positive`));
    writeFileSync(csv, `text,label\n${rows.join('\n')}\n"   ",positive\n`);
    const out = join(dir, 'searched');
    const { stdout } = await tsx('train.ts', ['--data', csv, '--out', out, '--budget', '5']);
    expect(stdout).toMatch(/languages: French/);
    expect(stdout).toMatch(/1 row with an empty text skipped/);
    expect(stdout).toMatch(/recipe search on fr\.csv: 102 training rows, 18 validation rows/);
    expect(stdout).toMatch(/linear C=4: validation macro-F1 \d\.\d{4}/);
    expect(stdout).toMatch(/baseline: TF-IDF\+LR/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.selection.candidates[0].name).toBe('linear C=4');
    expect(metrics.selection.chosen).toEqual(expect.any(String));
    expect(metrics.baseline.macroF1).toBeGreaterThan(0.5);
    const meta = JSON.parse(readFileSync(join(out, 'training-meta.json'), 'utf8'));
    expect(meta.selection.chosen).toBe(metrics.selection.chosen);
    expect(meta.languages).toEqual(['fr']);
    expect(meta.dataset).toBe('fr.csv');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).sentiment_edge.languages).toEqual(['fr']);
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/Languages of the training rows: French \(`fr`\)/);
    expect(card).toMatch(/## Recipe search[\s\S]*\| linear baseline: TF-IDF/);
    // Nothing but the model directory was left beside it (it was written to a temporary directory and renamed).
    expect(readdirSync(dir).filter((f) => f.includes('searched'))).toEqual(['searched']);
  }, 120_000);

  it('train refuses a single label and too few rows, and leaves no output directory', async () => {
    const one = join(dir, 'one.csv');
    writeFileSync(one, `text,label\n${Array.from({ length: 30 }, (_, i) => `good ${i},positive`).join('\n')}\n`);
    const out = join(dir, 'refused');
    await expect(tsx('train.ts', ['--data', one, '--out', out])).rejects.toMatchObject({ stderr: expect.stringMatching(/at least two labels/) });
    const few = join(dir, 'few.csv');
    writeFileSync(few, `text,label\n${Array.from({ length: 30 }, (_, i) => `good ${i},positive`).join('\n')}\nbad,negative\n`);
    await expect(tsx('train.ts', ['--data', few, '--out', out])).rejects.toMatchObject({ stderr: expect.stringMatching(/"negative" has 1; each label needs at least 14 rows/) });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('refused'))).toEqual([]);
    await expect(tsx('train.ts', ['--data', few, '--budget', '10', '--epochs', '2'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--budget bounds the recipe search/) });
  }, 60_000);
});
