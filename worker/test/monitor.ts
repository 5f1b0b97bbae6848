/**
 * Helpers of the monitoring tests (src/monitor/*.test.ts): seeded reference profiles and history, versions
 * published with a profile, the Worker's scheduled handler run as the Cron Trigger runs it, and outbound
 * webhooks / dispatches caught by replacing the global fetch.
 */
import { buildProfile, mulberry32 as rng, type HistoryRecord, type ProfileRow, type ReferenceProfile } from '@sentiment-edge/registry';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import worker from '../src/index.ts';
import { insertHistory } from '../src/db/history.ts';
import { call, callJson, describeFiles, DEFAULT_FILES, makeDraft } from './helpers.ts';

export const LABELS = ['negative', 'positive'];
export const SECRET = 'webhook-secret-for-tests';
export const HOUR = 3_600_000;

export interface Shift {
  tokens?: boolean;
  unknown?: boolean;
  labels?: boolean;
}

/** Rows like the reference (short texts, few unknown pieces, 60 % positive), or shifted where asked. */
export function sample(n: number, seed: number, shift: Shift = {}): ProfileRow[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const tokens = shift.tokens ? 30 + Math.floor(r() * 60) : 3 + Math.floor(r() * 14);
    // Drawn apart from the length, so that each shift moves one feature only.
    const unknownShare = shift.unknown ? (r() < 0.6 ? 0.2 + r() * 0.3 : 0) : r() < 0.1 ? 0.05 + r() * 0.1 : 0;
    const positive = shift.labels ? r() < 0.2 : r() < 0.6;
    return { tokens, unknownShare, confidence: 0.5 + 0.5 * Math.sqrt(r()), label: positive ? 'positive' : 'negative' };
  });
}

export const REFERENCE: ReferenceProfile = buildProfile(sample(3000, 1), LABELS);

/** Publishes a version whose manifest carries `profile` (or none) and points `alias` at it. */
export async function publishVersion(name: string, alias: string, profile: ReferenceProfile | null, ece = 0.031): Promise<number> {
  const draft = makeDraft(name, await describeFiles(DEFAULT_FILES), profile ? { profile } : {});
  draft.evaluation.ece = ece;
  const created = await callJson('POST', `/api/v1/models/${name}/versions`, { body: draft });
  expect(created.status).toBe(201);
  const version = created.body.manifest.version as number;
  for (const [path, bytes] of Object.entries(DEFAULT_FILES)) expect((await call('PUT', `/api/v1/models/${name}/versions/${version}/files/${path}`, { body: bytes })).status).toBe(200);
  expect((await call('POST', `/api/v1/models/${name}/versions/${version}/finalize`)).status).toBe(201);
  // A canary needs its share (registry/src/canary.ts); the policy judges it the same at any share.
  const body = alias === 'canary' ? { version, share: 0.1 } : { version };
  expect((await callJson('PUT', `/api/v1/models/${name}/aliases/${alias}`, { body })).status).toBe(200);
  return version;
}

/** Stores rows as history of name@version, spread over the hour before `at`. */
export async function seedHistory(name: string, version: number, rows: ProfileRow[], at: number, source: 'edge' | 'browser' = 'edge'): Promise<HistoryRecord[]> {
  const records: HistoryRecord[] = rows.map((row, i) => {
    const other = 1 - row.confidence;
    return {
      id: crypto.randomUUID(),
      createdAt: new Date(at - HOUR + (i * HOUR) / rows.length).toISOString(),
      model: { name, version },
      label: row.label,
      score: row.confidence,
      probabilities: row.label === 'positive' ? { negative: other, positive: row.confidence } : { negative: row.confidence, positive: other },
      textLength: row.tokens * 5,
      textSha256: 'a'.repeat(64),
      text: null,
      source,
      latencyMs: 1,
      tokens: row.tokens,
      unknownShare: row.unknownShare,
    };
  });
  await insertHistory(env.DB, records, false);
  return records;
}

/** Runs the Worker's scheduled handler as the Cron Trigger would, with extra vars. */
export async function runScheduled(at: number, vars: Partial<Record<string, string>> = {}): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: at, cron: '0 * * * *' }), { ...env, DRIFT_MIN_ROWS: '200', ...vars }, ctx);
  await waitOnExecutionContext(ctx);
}

export interface Delivery {
  url: string;
  body: string;
  headers: Headers;
}

/** Replaces outbound fetch with one that records each request and answers with `status(i)`. */
export function recordWebhooks(status: (attempt: number) => number): Delivery[] {
  const seen: Delivery[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    seen.push({ url: req.url, body: await req.text(), headers: req.headers });
    return new Response('ok', { status: status(seen.length) });
  });
  return seen;
}

export async function verifySignature(secret: string, body: string, header: string | null): Promise<boolean> {
  if (!header?.startsWith('sha256=')) return false;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const sig = new Uint8Array(header.slice(7).match(/../g)!.map((h) => parseInt(h, 16)));
  return crypto.subtle.verify('HMAC', key, sig, new TextEncoder().encode(body));
}

