/**
 * The fuzz suite's harness (src/fuzz.test.ts): requests handed to the Worker's app in the test's isolate, the
 * check that every answer is a 4xx in the one error shape, the D1/R2 snapshot that must not change, and the
 * generators of wrong-by-construction pieces (names, versions, texts, tokens).
 */
import { parseModelRef } from '@sentiment-edge/registry';
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { expect } from 'vitest';
import { buildApp } from '../src/app.ts';
import { TOKEN } from './helpers.ts';

export const RUNS = 1000;
export const SEED = 20261130;
export const NAME = 'fuzz';
export const TABLES = ['models', 'versions', 'files', 'aliases', 'alias_events', 'predictions', 'promotion_policies'] as const;

/** undefined: the right token; null: none; a string: a wrong one. */
export type Token = string | null | undefined;
export const anyToken = fc.oneof(fc.constant<Token>(undefined), fc.constant<Token>(null), fc.string({ minLength: 1, maxLength: 40 }).filter((t) => t !== TOKEN && /^\S+$/.test(t)));
export const noToken = anyToken.filter((t) => t !== undefined);

export const figures: Record<string, { cases: number; ms: number; statuses: Record<number, number> }> = {};

export async function snapshot(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${t}`).first<{ n: number }>())!.n;
  out.uploaded = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM files WHERE uploaded_sha256 IS NOT NULL`).first<{ n: number }>())!.n;
  out.r2 = (await env.MODELS.list()).objects.length;
  return out;
}

export interface Req {
  method: string;
  path: string;
  token: Token;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export const app = buildApp();

/**
 * The request as `call` (test/helpers.ts) builds it, handed to the Worker's app in this isolate: the
 * same code, bindings and storage as the entry point, without one extra hop per request (10 000+ here).
 */
export async function send(req: Req): Promise<Response> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.token !== null) headers.authorization = `Bearer ${req.token ?? TOKEN}`;
  if (req.body !== undefined) headers['content-type'] ??= 'application/octet-stream';
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://registry.test${req.path}`, { method: req.method, headers, ...(req.body !== undefined ? { body: req.body } : {}) }), env, ctx);
  // Work after the answer (error counts for /metrics, written in 25 ms windows) is awaited once, at the end.
  contexts.push(ctx);
  return res;
}

export const contexts: ExecutionContext[] = [];

/** Sends one request and checks the answer: a 4xx JSON error in the one shape. */
export async function expectRefused(family: string, req: Req): Promise<void> {
  const res = await send(req);
  const text = await res.text();
  const f = (figures[family] ??= { cases: 0, ms: 0, statuses: {} });
  f.cases++;
  f.statuses[res.status] = (f.statuses[res.status] ?? 0) + 1;
  const what = `${req.method} ${JSON.stringify(req.path)} token=${req.token === undefined ? 'right' : req.token === null ? 'none' : 'wrong'} → ${res.status} ${text.slice(0, 300)}`;
  if (res.status < 400 || res.status >= 500) throw new Error(`expected a 4xx: ${what}`);
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${what}`);
  }
  if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') throw new Error(`not the error shape: ${what}`);
  if (!/^application\/json/.test(res.headers.get('content-type') ?? '')) throw new Error(`content-type ${res.headers.get('content-type')}: ${what}`);
}

export async function run<T>(family: string, arb: fc.Arbitrary<T>, toReq: (v: T) => Req, offset: number): Promise<void> {
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(arb, (v) => expectRefused(family, toReq(v))),
    { seed: SEED + offset, numRuns: RUNS, endOnFailure: true },
  );
  figures[family]!.ms = performance.now() - started;
  expect(figures[family]!.cases).toBeGreaterThanOrEqual(RUNS);
}

export const json = (v: unknown) => JSON.stringify(v);
export const jsonHeaders = { 'content-type': 'application/json' };
export const isValidRef = (s: string) => {
  try {
    parseModelRef(s);
    return true;
  } catch {
    return false;
  }
};

// ---- pieces ------------------------------------------------------------------------------

/** Strings that are not a model name. */
export const badName = fc.oneof(fc.constantFrom('A', 'UPPER', '-x', '.x', 'a b', 'a/b', '%00', 'x'.repeat(65), 'é', '..'), fc.string({ minLength: 1, maxLength: 70 }).filter((s) => !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(s)));
/** Path segments that are not a version number (or name a version that does not exist). */
export const badVersionText = fc.oneof(
  fc.constantFrom('0', '-1', '01', '0x1', '1e0', '1.0', '+1', '%201', '2147483648', '9007199254740993', 'NaN', 'Infinity', 'abc', '1a'),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^[1-9][0-9]{0,9}$/.test(s)),
);
export const seg = (s: string) => encodeURIComponent(s);
export const badText = fc.oneof(
  fc.constantFrom('', '   ', '\n\t', '\ufeff'),
  fc.string().map((s) => `${s}\ud800`),
  fc.string().map((s) => `\udc00${s}`),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  fc.constant('x'.repeat(5001)),
);
export const goodText = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0 && !/\p{Cs}/u.test(s));
