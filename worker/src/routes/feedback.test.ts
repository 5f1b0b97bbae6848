// Feedback through the real Worker entry point on local D1: corrections of edge and browser
// predictions, idempotent per prediction, label checks, the CSV export and realised accuracy.
import type { HistoryRecord } from '@sentiment-edge/registry';
import { parseLabelledDelimited } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, call, publish, tinyModel, TOKEN, uniqueName } from '../../test/helpers.ts';
import { FEEDBACK_TOKEN } from '../../test/tokens.ts';
import { insertHistory } from '../db/history.ts';
import { sha256Hex } from '../serving/history.ts';

const model = tinyModel(7);
const NAME = uniqueName('fb');
let version: number;

async function row(text: string | null, label: string, createdAt = new Date().toISOString()): Promise<HistoryRecord> {
  const t = text ?? 'a text that was not stored';
  const p = label === 'positive' ? { negative: 0.25, positive: 0.75 } : { negative: 0.75, positive: 0.25 };
  return { id: crypto.randomUUID(), createdAt, model: { name: NAME, version }, label, score: 0.75, probabilities: p, textLength: t.length, textSha256: await sha256Hex(t), text, source: 'browser', latencyMs: 0.5 };
}

/** Feedback from a trusted client (FEEDBACK_TOKEN) unless another token (null: anonymous) is given. */
const send = (items: unknown, token: string | null = FEEDBACK_TOKEN) => callJson<any>('POST', '/api/v1/feedback', { body: { items }, token });

beforeAll(async () => {
  version = await publish(NAME, { files: model.files });
  expect((await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version } })).status).toBe(200);
});

describe('POST /api/v1/feedback', () => {
  it('stores a correction, replaces it with a later one, and exports the corrected texts as CSV', async () => {
    // Texts stored (as with STORE_TEXT on); one with a comma and quotes to exercise CSV quoting.
    const rows = [await row('great fun', 'positive'), await row('not "good", really', 'positive'), await row(null, 'negative')];
    await insertHistory(env.DB, rows, true);
    const first = await send([{ predictionId: rows[0]!.id, label: 'negative' }, { predictionId: rows[1]!.id, label: 'positive' }]);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ inserted: 2, updated: 0 });
    const since = new Date().toISOString();
    // The user changes their mind about row 1 and corrects row 2 (its text was not stored).
    const second = await send([{ predictionId: rows[1]!.id, label: 'negative' }, { predictionId: rows[2]!.id, label: 'positive' }]);
    expect(second.body).toEqual({ inserted: 1, updated: 1 });
    // Sending the same again changes nothing but the time.
    expect((await send([{ predictionId: rows[1]!.id, label: 'negative' }])).body).toEqual({ inserted: 0, updated: 1 });

    const res = await call('GET', `/api/v1/feedback/export?model=${NAME}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('x-rows-without-text')).toBe('1');
    expect(res.headers.get('x-store-text')).toBe('false');
    const csv = await res.text();
    // Read back with the project's own CSV parser: exactly the corrected texts with their latest labels.
    const parsed = parseLabelledDelimited(csv).map((r) => [r.text, r.label]);
    expect(parsed).toEqual([
      ['great fun', 'negative'],
      ['not "good", really', 'negative'],
    ]);
    const later = await call('GET', `/api/v1/feedback/export?model=${NAME}@${version}&since=${encodeURIComponent(since)}`);
    expect(parseLabelledDelimited(await later.text()).map((r) => r.text)).toEqual(['not "good", really']);
  });

  it('exports only trusted corrections: anonymous ones (forged or not) are kept but never reach the retraining file', async () => {
    const since = new Date().toISOString();
    const rows = [await row('trusted text', 'positive'), await row('anonymous text', 'positive')];
    await insertHistory(env.DB, rows, true);
    expect((await send([{ predictionId: rows[0]!.id, label: 'negative' }])).status).toBe(200);
    expect((await send([{ predictionId: rows[1]!.id, label: 'negative' }], null)).status).toBe(200);
    const res = await call('GET', `/api/v1/feedback/export?model=${NAME}&since=${encodeURIComponent(since)}`);
    expect(parseLabelledDelimited(await res.text()).map((r) => r.text)).toEqual(['trusted text']);
    expect(res.headers.get('x-rows-untrusted')).toBe('1');
    // A later trusted correction of the same prediction makes it count.
    expect((await send([{ predictionId: rows[1]!.id, label: 'negative' }], TOKEN)).body).toEqual({ inserted: 0, updated: 1 });
    const again = await call('GET', `/api/v1/feedback/export?model=${NAME}&since=${encodeURIComponent(since)}`);
    expect(parseLabelledDelimited(await again.text()).map((r) => r.text).sort()).toEqual(['anonymous text', 'trusted text']);
    // A wrong token is refused as on every route (403), not taken for anonymous.
    expect((await send([{ predictionId: rows[0]!.id, label: 'negative' }], 'not-a-token')).status).toBe(403);
  });

  it('neutralises spreadsheet formulas in the export (=, +, -, @ get a leading quote mark)', async () => {
    const since = new Date().toISOString();
    const formulas = ['=1+2', '@SUM(1;1) ok', "=cmd|' /C calc'!A0", '+1', '-2 stars'];
    const rows = await Promise.all(formulas.map((t) => row(t, 'positive')));
    await insertHistory(env.DB, rows, true);
    expect((await send(rows.map((r) => ({ predictionId: r.id, label: 'negative' })))).status).toBe(200);
    const csv = await (await call('GET', `/api/v1/feedback/export?model=${NAME}&since=${encodeURIComponent(since)}`)).text();
    const lines = csv.split('\n').slice(1).filter(Boolean);
    expect(lines).toHaveLength(formulas.length);
    for (const l of lines) expect(l).not.toMatch(/^"?[=+\-@]/);
    expect(parseLabelledDelimited(csv).map((r) => r.text).sort()).toEqual(formulas.map((f) => `'${f}`).sort());
  });

  it('corrects an edge prediction by the id its /predict answer carries (its history row)', async () => {
    const p = await callJson<any>('POST', '/api/v1/predict', { body: { text: 'good movie', model: NAME }, token: null });
    expect(p.status).toBe(200);
    const id: string = p.body.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // At once: the edge row is still in the isolate's write queue (a 404 if feedback did not flush the queue first).
    const other = p.body.label === 'positive' ? 'negative' : 'positive';
    expect((await send([{ predictionId: id, label: other }], null)).body).toEqual({ inserted: 1, updated: 0 });
    for (let i = 0; i < 10; i++) {
      const q = await callJson<any>('POST', '/api/v1/predict', { body: { text: `instant ${i}`, model: NAME }, token: null });
      expect((await send([{ predictionId: q.body.id, label: 'positive' }], null)).status).toBe(200);
    }
  });

  it('realised accuracy per version and day of the prediction', async () => {
    const name = NAME;
    const day = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const rows = [await row(null, 'positive', day(1)), await row(null, 'positive', day(1)), await row(null, 'negative', day(1)), await row(null, 'negative', day(2))];
    await insertHistory(env.DB, rows, false);
    // Day -1: two confirmed (same label), one corrected; day -2: one corrected.
    await send([
      { predictionId: rows[0]!.id, label: 'positive' },
      { predictionId: rows[1]!.id, label: 'negative' },
      { predictionId: rows[2]!.id, label: 'negative' },
      { predictionId: rows[3]!.id, label: 'positive' },
    ]);
    // Anonymous corrections do not count.
    const anonymous = [await row(null, 'positive', day(1)), await row(null, 'positive', day(1))];
    await insertHistory(env.DB, anonymous, false);
    expect((await send(anonymous.map((a) => ({ predictionId: a.id, label: 'negative' })), null)).status).toBe(200);
    const r = await callJson<any>('GET', `/api/v1/feedback/accuracy?model=${name}&days=7`);
    expect(r.status).toBe(200);
    const byDay = new Map(r.body.rows.map((x: any) => [x.day, x]));
    expect(byDay.get(day(1).slice(0, 10))).toEqual({ model: { name, version }, day: day(1).slice(0, 10), feedback: 3, correct: 2, accuracy: 2 / 3 });
    expect(byDay.get(day(2).slice(0, 10))).toMatchObject({ feedback: 1, correct: 0, accuracy: 0 });
    expect((await callJson('GET', `/api/v1/feedback/accuracy?model=${name}`, { token: null })).status).toBe(401);
  });
});

describe('POST /api/v1/feedback refuses bad input', () => {
  it('404 for a prediction not in the history, naming it; nothing stored', async () => {
    const known = await row('fine', 'positive');
    await insertHistory(env.DB, [known], true);
    const missing = crypto.randomUUID();
    const r = await send([{ predictionId: known.id, label: 'negative' }, { predictionId: missing, label: 'negative' }]);
    expect(r.status).toBe(404);
    expect(r.body.error.details).toEqual({ missing: [missing] });
    expect(r.body.error.message).toMatch(/Send the "id" of a \/predict answer \(accepted at once\) or of a browser prediction synced with POST \/api\/v1\/history first/);
    // All or none: the known one was not stored either.
    expect((await send([{ predictionId: known.id, label: 'negative' }])).body).toEqual({ inserted: 1, updated: 0 });
  });

  it('400 for a label the version does not have, repeated ids, bad shapes; 415 for non-JSON; 413 for too many', async () => {
    const r0 = await row('ok', 'positive');
    await insertHistory(env.DB, [r0], true);
    const wrong = await send([{ predictionId: r0.id, label: 'neutral' }]);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/"neutral" is not a label of .*pick one of: negative, positive/);
    const twice = await send([
      { predictionId: r0.id, label: 'negative' },
      { predictionId: r0.id, label: 'positive' },
    ]);
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toMatch(/repeats items.0/);
    expect((await send([])).status).toBe(400);
    expect((await send([{ predictionId: 'x', label: 'positive' }])).status).toBe(400);
    expect((await callJson<any>('POST', '/api/v1/feedback', { body: 'items', headers: { 'content-type': 'text/plain' }, token: null })).status).toBe(415);
    const many = Array.from({ length: 501 }, () => ({ predictionId: crypto.randomUUID(), label: 'positive' }));
    expect((await send(many)).status).toBe(413);
  });

  it('export needs the registry token and a model', async () => {
    expect((await call('GET', `/api/v1/feedback/export?model=${NAME}`, { token: null })).status).toBe(401);
    expect((await callJson<any>('GET', '/api/v1/feedback/export')).status).toBe(400);
    expect((await callJson<any>('GET', `/api/v1/feedback/export?model=${NAME}@x`)).status).toBe(400);
    expect((await callJson<any>('GET', `/api/v1/feedback/export?model=${NAME}&since=yesterday`)).status).toBe(400);
  });
});
