// The A/B readout on seeded history, feedback and shadow rows, checked against figures worked out by
// hand (in the comments). Versions: a = 1, b = 2 of one model.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, publish, uniqueName } from '../../test/helpers.ts';
import { abReadout } from './ab.ts';

const NAME = uniqueName('ab');
const NOW = new Date();
const BASE = NOW.getTime() - 2 * 86_400_000; // two days ago: inside the default 7-day window
const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();

interface Row {
  id: string;
  version: number;
  minute: number;
  label: string;
  score: number;
  latency: number;
  source?: 'edge' | 'browser';
  /** The label a user gave (feedback), if any. */
  truth?: string;
}

// a (v1), edge, in the overlap: labels P×6 N×4, scores sum 7.7, latencies 1..10 ms; feedback right on 6 of 10.
const A: Row[] = [
  ...[0.9, 0.8, 0.7, 0.6, 0.9, 0.8].map((score, i) => ({ id: `a${i}`, version: 1, minute: i, label: 'positive', score, latency: i + 1, truth: i < 4 ? 'positive' : 'negative' })),
  ...[0.6, 0.7, 0.8, 0.9].map((score, i) => ({ id: `a${6 + i}`, version: 1, minute: 6 + i, label: 'negative', score, latency: 7 + i, truth: i < 2 ? 'negative' : 'positive' })),
  // a browser row in the overlap (left out with source=edge)
  { id: 'a-browser', version: 1, minute: 5, label: 'negative', score: 0.6, latency: 100, source: 'browser' },
  // before b's first row: outside the overlap (its wrong feedback must not count)
  { id: 'a-early', version: 1, minute: -60, label: 'positive', score: 0.5, latency: 500, truth: 'negative' },
];
// b (v2), edge, in the overlap: P×7 (score 0.95) N×1 (0.55), latencies 2,4,…,16 ms; feedback right on 7 of 8.
const B: Row[] = [
  ...Array.from({ length: 7 }, (_, i) => ({ id: `b${i}`, version: 2, minute: i, label: 'positive', score: 0.95, latency: 2 * (i + 1), truth: i < 6 ? 'positive' : 'negative' })),
  { id: 'b7', version: 2, minute: 7, label: 'negative', score: 0.55, latency: 16, truth: 'negative' },
  // after a's last row (minute 9): outside the overlap
  { id: 'b-late', version: 2, minute: 20, label: 'negative', score: 0.99, latency: 900 },
];

beforeAll(async () => {
  await publish(NAME);
  await publish(NAME);
  const rows = [...A, ...B];
  await env.DB.batch([
    ...rows.map((r) =>
      env.DB.prepare(
        `INSERT INTO predictions (id, created_at, model_name, model_version, label, score, probabilities, text_length, text_sha256, text, source, latency_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '{}', 4, 'x', NULL, ?7, ?8)`,
      ).bind(`${NAME}-${r.id}`, at(r.minute), NAME, r.version, r.label, r.score, r.source ?? 'edge', r.latency),
    ),
    ...rows
      .filter((r) => r.truth)
      .map((r) =>
        env.DB.prepare(
          `INSERT INTO feedback (prediction_id, model_name, model_version, predicted_label, label, predicted_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)`,
        ).bind(`${NAME}-${r.id}`, NAME, r.version, r.label, r.truth!, at(r.minute)),
      ),
    // Shadow pairs: 5 with v1 as champion (4 agree), 1 the other way round (agrees) → 5/6; one with another
    // challenger and one older than the window are left out.
    ...[
      [1, 2, 'positive', 'positive', 1],
      [1, 2, 'positive', 'positive', 2],
      [1, 2, 'negative', 'negative', 3],
      [1, 2, 'positive', 'positive', 4],
      [1, 2, 'negative', 'positive', 5],
      [2, 1, 'positive', 'positive', 6],
      [1, 3, 'positive', 'negative', 7],
      [1, 2, 'positive', 'negative', -30 * 24 * 60],
    ].map(([champ, chall, l1, l2, minute], i) =>
      env.DB.prepare(
        `INSERT INTO shadow_predictions (id, created_at, model_name, champion_version, challenger_version, champion_label, challenger_label, challenger_score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0.7)`,
      ).bind(`${NAME}-s${i}`, at(minute as number), NAME, champ, chall, l1, l2),
    ),
  ]);
});

describe('A/B readout', () => {
  it('compares the two versions over their overlapping traffic (edge and browser rows)', async () => {
    const r = await abReadout(env.DB, { model: NAME, a: 1, b: 2, now: NOW });
    // overlap: from b's first row (minute 0) to a's last (minute 9)
    expect(r.overlap).toEqual({ start: at(0), end: at(9) });
    expect(r.window.days).toBe(7);
    // a: 10 edge + 1 browser rows; P 6, N 5; mean confidence (7.7 + 0.6) / 11; latencies 1..10, 100 → p50 = 6th = 6, p95 = 11th = 100
    expect(r.a).toMatchObject({ version: 1, n: 11, labels: { positive: 6, negative: 5 }, latencyMs: { p50: 6, p95: 100 } });
    expect(r.a.labelMix.positive).toBeCloseTo(6 / 11, 12);
    expect(r.a.meanConfidence).toBeCloseTo(8.3 / 11, 12);
    // b: 8 rows; P 7, N 1; mean (7 × 0.95 + 0.55) / 8 = 0.9; latencies 2..16 → p50 = 4th = 8, p95 = 8th = 16
    expect(r.b).toMatchObject({ version: 2, n: 8, labels: { positive: 7, negative: 1 }, latencyMs: { p50: 8, p95: 16 } });
    expect(r.b.meanConfidence).toBeCloseTo(0.9, 12);
    expect(r.meanConfidenceDifference).toBeCloseTo(0.9 - 8.3 / 11, 12);
    // label mix b − a: positive 7/8 − 6/11 = 0.32955; total variation the same
    expect(r.labelMixDifference!.perLabel.positive).toBeCloseTo(7 / 8 - 6 / 11, 12);
    expect(r.labelMixDifference!.perLabel.negative).toBeCloseTo(1 / 8 - 5 / 11, 12);
    expect(r.labelMixDifference!.totalVariation).toBeCloseTo(7 / 8 - 6 / 11, 12);
    // shadow: 6 pairs of v1/v2 in the window, 5 agree
    expect(r.agreement.rows).toBe(6);
    expect(r.agreement.agreement).toBeCloseTo(5 / 6, 12);
    // feedback: a 6/10 right (the early row is outside the overlap), b 7/8
    expect(r.a.feedback).toMatchObject({ n: 10, correct: 6, accuracy: 0.6 });
    expect(r.a.feedback.interval!.low).toBeCloseTo(0.312674, 5); // Wilson 6/10: 0.3127 to 0.8318
    expect(r.a.feedback.interval!.high).toBeCloseTo(0.831820, 5);
    expect(r.b.feedback).toMatchObject({ n: 8, correct: 7, accuracy: 0.875 });
    // 7/8 − 6/10 = 0.275, Newcombe hybrid score 95 %: −0.14139 to 0.58009 (worked out from the two Wilson intervals)
    expect(r.accuracyDifference).toMatchObject({ method: 'newcombe', confidence: 0.95 });
    expect(r.accuracyDifference!.difference).toBeCloseTo(0.275, 12);
    expect(r.accuracyDifference!.low).toBeCloseTo(-0.141388, 5);
    expect(r.accuracyDifference!.high).toBeCloseTo(0.580089, 5);
  });

  it('source=edge leaves the browser row out', async () => {
    const r = await abReadout(env.DB, { model: NAME, a: 1, b: 2, now: NOW, source: 'edge' });
    expect(r.source).toBe('edge');
    // a: 10 rows, mean 0.77, latencies 1..10 → p50 = 5, p95 = 10
    expect(r.a).toMatchObject({ n: 10, labels: { positive: 6, negative: 4 }, latencyMs: { p50: 5, p95: 10 } });
    expect(r.a.meanConfidence).toBeCloseTo(0.77, 12);
  });

  it('no overlap: every figure over no rows', async () => {
    // A 1-day window ending before either version's rows.
    const r = await abReadout(env.DB, { model: NAME, a: 1, b: 2, days: 1, now: new Date(BASE - 2 * 3_600_000) });
    expect(r.overlap).toBeNull();
    expect(r.a.n).toBe(0);
    expect(r.labelMixDifference).toBeNull();
    expect(r.accuracyDifference).toBeNull();
  });

  it('GET /api/v1/ab: the same readout as JSON, read-token gated, clear 400/404s', async () => {
    const ok = await callJson('GET', `/api/v1/ab?model=${NAME}&a=1&b=2`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ model: NAME, a: { n: 11 }, b: { n: 8 }, agreement: { rows: 6 } });
    expect((await call('GET', `/api/v1/ab?model=${NAME}&a=1&b=2`, { token: null })).status).toBe(401);
    const doc = (await callJson('GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/ab'].get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/AbReadout');
    const cases: [string, number, RegExp][] = [
      [`model=${NAME}&a=1`, 400, /b/],
      [`model=${NAME}&a=1&b=1`, 400, /compare two different versions/],
      [`model=${NAME}&a=1&b=2&days=0`, 400, /days is a whole number from 1 to 90/],
      [`model=${NAME}&a=1&b=2&days=91`, 400, /days|90/],
      [`model=${NAME}&a=1&b=2&source=phone`, 400, /source/],
      [`model=${NAME}&a=1&b=9`, 404, /has no version 9/],
      [`model=nope-${NAME}&a=1&b=2`, 404, /no model named/],
    ];
    for (const [q, status, message] of cases) {
      const r = await callJson('GET', `/api/v1/ab?${q}`);
      expect(r.status, q).toBe(status);
      expect(r.body.error.message, q).toMatch(message);
    }
  });
});
