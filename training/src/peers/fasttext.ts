/**
 * The fastText peer: Debian's `fasttext` binary (0.9.x), trained with `supervised` and scored with
 * `predict-prob … -1` (every label's probability). Used by bench/peers.ts only; nothing here runs in
 * `pnpm test`. `ensureFasttext` installs the Debian package when the binary is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, shuffleInPlace } from '../rng.ts';

export const FASTTEXT_ARGS = ['-wordNgrams', '2', '-dim', '50', '-epoch', '10'] as const;

function hasFasttext(): boolean {
  return spawnSync('fasttext', [], { encoding: 'utf8' }).error === undefined;
}

/** Installs Debian's fasttext with apt-get when it is missing (root only); throws with what to do otherwise. */
export function ensureFasttext(log: (line: string) => void = console.error): void {
  if (hasFasttext()) return;
  if (process.getuid?.() !== 0) throw new Error('fasttext is not installed: run `sudo apt-get install -y fasttext`, then the bench again');
  log('fasttext is missing: apt-get install -y fasttext');
  let r = spawnSync('apt-get', ['install', '-y', 'fasttext'], { stdio: 'inherit' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = spawnSync('apt-get', ['install', '-y', 'fasttext'], { stdio: 'inherit' });
  }
  if (r.status !== 0 || !hasFasttext()) throw new Error('could not install fasttext with apt-get; install the Debian package `fasttext` by hand');
}

/**
 * One line per text, as fastText's own examples prepare text: lower-cased, punctuation split off
 * into tokens, no newlines.
 */
export function fasttextLine(text: string): string {
  return text
    .toLowerCase()
    .replace(/([.!?,'"():;])/g, ' $1 ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface FasttextModel {
  labels: string[];
  binPath: string;
  bytes: number;
  seconds: number;
  predict(texts: readonly string[]): Float64Array[];
  dispose(): void;
}

function run(args: string[]): string {
  const r = spawnSync('fasttext', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`fasttext ${args[0]} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/**
 * Trains `fasttext supervised` with FASTTEXT_ARGS on the rows shuffled with a fixed seed (fastText reads
 * its file in order and does not shuffle: on concatenated files the last file, seen at the lowest learning
 * rate, dominates — measured: airline polar 0.850 unshuffled vs 0.927 shuffled with one thread), one
 * thread and seed 1, so the result is deterministic.
 */
export function trainFasttext(texts: readonly string[], labels: readonly string[], extraArgs: readonly string[] = []): FasttextModel {
  const dir = mkdtempSync(join(tmpdir(), 'fasttext-'));
  const input = join(dir, 'train.txt');
  const order = Array.from(texts, (_, i) => i);
  shuffleInPlace(order, createRng(1));
  writeFileSync(input, order.map((i) => `__label__${labels[i]} ${fasttextLine(texts[i]!)}`).join('\n') + '\n');
  const started = performance.now();
  run(['supervised', '-input', input, '-output', join(dir, 'model'), ...FASTTEXT_ARGS, '-thread', '1', '-seed', '1', '-verbose', '0', ...extraArgs]);
  const seconds = (performance.now() - started) / 1000;
  const binPath = join(dir, 'model.bin');
  const labelSet = [...new Set(labels)].sort();
  return {
    labels: labelSet,
    binPath,
    bytes: statSync(binPath).size,
    seconds,
    predict(batch) {
      const file = join(dir, 'predict.txt');
      writeFileSync(file, batch.map(fasttextLine).join('\n') + '\n');
      const lines = run(['predict-prob', binPath, file, '-1']).split('\n');
      rmSync(file, { force: true });
      return batch.map((_, i) => {
        const p = new Float64Array(labelSet.length);
        const parts = (lines[i] ?? '').trim().split(/\s+/);
        for (let k = 0; k + 1 < parts.length; k += 2) {
          const idx = labelSet.indexOf(parts[k]!.replace(/^__label__/, ''));
          if (idx >= 0) p[idx] = Number(parts[k + 1]);
        }
        const s = p.reduce((a, b) => a + b, 0);
        // fastText prints probabilities smoothed by 1e-5 (they can sum to slightly over 1): renormalise.
        return s > 0 ? p.map((v) => v / s) : p.fill(1 / labelSet.length);
      });
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
