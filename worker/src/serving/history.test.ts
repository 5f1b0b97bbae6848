import type { HistoryQuery, HistoryRecord } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { publish, rejectsWith, uniqueName } from '../../test/helpers.ts';
import { ApiError } from '../errors.ts';
import { decodeCursor, encodeCursor, historyQuerySql, insertHistory, listHistory } from '../db/history.ts';
import { HISTORY_FLUSH_ROWS, parseSyncBody, queueHistory, sha256Hex } from './history.ts';

const SHA = 'b'.repeat(64);

function record(i: number, over: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    id: `rec-${String(i).padStart(8, '0')}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    model: { name: 'sentiment', version: 1 + (i % 2) },
    label: i % 3 === 0 ? 'negative' : 'positive',
    score: 0.9,
    probabilities: i % 3 === 0 ? { negative: 0.9, positive: 0.1 } : { negative: 0.1, positive: 0.9 },
    textLength: 10,
    textSha256: SHA,
    text: `text ${i}`,
    source: i % 4 === 0 ? 'edge' : 'browser',
    latencyMs: 1.5,
    tokens: 4,
    unknownShare: 0.25,
    ...over,
  };
}

describe('insertHistory', () => {
  it('is idempotent by id: a retried batch inserts nothing and loses nothing', async () => {
    const batch = Array.from({ length: 20 }, (_, i) => record(1000 + i));
    expect(await insertHistory(env.DB, batch, true)).toEqual({ inserted: 20, duplicates: 0 });
    expect(await insertHistory(env.DB, batch, true)).toEqual({ inserted: 0, duplicates: 20 });
    // A retry that overlaps a new half.
    const mixed = [...batch.slice(10), ...Array.from({ length: 5 }, (_, i) => record(2000 + i))];
    expect(await insertHistory(env.DB, mixed, true)).toEqual({ inserted: 5, duplicates: 10 });
    const n = await env.DB.prepare(`SELECT COUNT(*) AS n FROM predictions WHERE id LIKE 'rec-0000%' OR id LIKE 'rec-00002%'`).first<number>('n');
    expect(n).toBe(25);
  });

  it('stores 500 rows of 5000-character texts (several JSON chunks, one transaction)', async () => {
    const text = 'x'.repeat(5000);
    const batch = Array.from({ length: 500 }, (_, i) => record(i, { id: `big-${String(i).padStart(4, '0')}`, text, textLength: 5000 }));
    expect(await insertHistory(env.DB, batch, true)).toEqual({ inserted: 500, duplicates: 0 });
    const row = await env.DB.prepare(`SELECT COUNT(*) AS n, MIN(LENGTH(text)) AS len FROM predictions WHERE id LIKE 'big-%'`).first();
    expect(row).toEqual({ n: 500, len: 5000 });
  });

  it('drops the text when the deployment does not store texts', async () => {
    await insertHistory(env.DB, [record(3000)], false);
    const row = await env.DB.prepare(`SELECT text, text_sha256 FROM predictions WHERE id = ?1`).bind(record(3000).id).first();
    expect(row).toEqual({ text: null, text_sha256: SHA });
  });
});

describe('queueHistory (coalesced edge writes)', () => {
  const count = (prefix: string) => env.DB.prepare(`SELECT COUNT(*) AS n FROM predictions WHERE id LIKE ?1`).bind(`${prefix}%`).first<number>('n');

  it('lets the first request write every row queued within the flush window, in one statement', async () => {
    const mk = (i: number) => record(i, { id: `queue-a-${String(i).padStart(4, '0')}` });
    const first = queueHistory(env.DB, [mk(1), mk(2)], true);
    expect(first).toBeInstanceOf(Promise);
    expect(queueHistory(env.DB, [mk(3)], true)).toBeNull();
    expect(queueHistory(env.DB, [mk(4), mk(5)], false)).toBeNull();
    expect(await first).toEqual({ inserted: 5, duplicates: 0 });
    expect(await count('queue-a-')).toBe(5);
    const texts = await env.DB.prepare(`SELECT text FROM predictions WHERE id IN ('queue-a-0003', 'queue-a-0004')`).all<{ text: string | null }>();
    expect(texts.results.map((r) => r.text).sort()).toEqual([null, 'text 3']);
  });

  it('writes at once when the queue reaches HISTORY_FLUSH_ROWS', async () => {
    const mk = (i: number) => record(i, { id: `queue-b-${String(i).padStart(4, '0')}` });
    const first = queueHistory(env.DB, [mk(0)], true)!;
    const full = queueHistory(env.DB, Array.from({ length: HISTORY_FLUSH_ROWS }, (_, i) => mk(i + 1)), true);
    expect(full).toBeInstanceOf(Promise);
    expect(await full).toEqual({ inserted: HISTORY_FLUSH_ROWS + 1, duplicates: 0 });
    expect(await first).toEqual({ inserted: 0, duplicates: 0 });
    expect(await count('queue-b-')).toBe(HISTORY_FLUSH_ROWS + 1);
  });
});

describe('parseSyncBody', () => {
  const name = uniqueName('hist');
  let version: number;
  const text = 'a fine film';
  let ok: HistoryRecord;
  beforeAll(async () => {
    version = await publish(name);
    ok = {
      ...record(1),
      id: crypto.randomUUID(),
      createdAt: new Date().toISOString(),
      model: { name, version },
      label: 'positive',
      score: 0.75,
      probabilities: { negative: 0.25, positive: 0.75 },
      text,
      textLength: text.length,
      textSha256: await sha256Hex(text),
      source: 'browser',
    };
  });
  const parse = (items: unknown[]) => parseSyncBody(env.DB, { items });

  it('accepts a valid batch and normalises times to fixed-width UTC', async () => {
    const [r] = await parse([{ ...ok, createdAt: '2026-01-01T01:00:00+01:00' }]);
    expect(r!.createdAt).toBe('2026-01-01T00:00:00.000Z');
    // source defaults to browser; a row without its text is fine (only the hash is kept).
    const { source: _, ...noSource } = ok;
    expect((await parse([{ ...noSource, text: null }]))[0]!.source).toBe('browser');
  });

  it('keeps token statistics when sent, and takes rows from clients that send none', async () => {
    const [r] = await parse([{ ...ok, tokens: 10, unknownShare: 0.3 }]);
    expect(r).toMatchObject({ tokens: 10, unknownShare: 0.3 });
    const { tokens: _t, unknownShare: _u, ...old } = ok;
    expect((await parse([{ ...old, id: crypto.randomUUID() }]))[0]).toMatchObject({ tokens: null, unknownShare: null });
  });

  const cases: [string, (o: HistoryRecord) => unknown][] = [
    ['bad id', (o) => ({ ...o, id: 'x' })],
    ['bad sha', (o) => ({ ...o, textSha256: 'nope' })],
    ['score > 1', (o) => ({ ...o, score: 2 })],
    ['label not a probability key', (o) => ({ ...o, label: 'neutral' })],
    ['an inherited property as label', (o) => ({ ...o, label: 'toString' })],
    ['source "edge" (the Worker writes its own rows)', (o) => ({ ...o, source: 'edge' })],
    ['bad source', (o) => ({ ...o, source: 'server' })],
    ['bad time', (o) => ({ ...o, createdAt: 'yesterday' })],
    ['a date in 9999', (o) => ({ ...o, createdAt: '9999-12-31T23:59:59Z' })],
    ['year 0', (o) => ({ ...o, createdAt: '0000-01-01T00:00:00Z' })],
    ['a date before 2020', (o) => ({ ...o, createdAt: '2019-12-31T23:59:59Z' })],
    ['a date ten minutes ahead', (o) => ({ ...o, createdAt: new Date(Date.now() + 10 * 60_000).toISOString() })],
    ['an unknown model', (o) => ({ ...o, model: { name: uniqueName('nope'), version: 1 } })],
    ['an unknown version', (o) => ({ ...o, model: { name, version: version + 1000 } })],
    ['a version beyond MAX_VERSION', (o) => ({ ...o, model: { name, version: 2 ** 53 } })],
    ['probabilities that are not the model labels', (o) => ({ ...o, label: 'happy', score: 0.75, probabilities: { sad: 0.25, happy: 0.75 } })],
    ['a missing label', (o) => ({ ...o, probabilities: { positive: 0.75 } })],
    ['an extra label', (o) => ({ ...o, probabilities: { negative: 0.2, positive: 0.75, neutral: 0.05 } })],
    ['probabilities that do not sum to 1', (o) => ({ ...o, probabilities: { negative: 0.75, positive: 0.75 } })],
    ['a score that is not the label probability', (o) => ({ ...o, score: 0.9 })],
    ['a label that is not the most probable', (o) => ({ ...o, label: 'negative', score: 0.25 })],
    ['a textSha256 that is not the text hash', (o) => ({ ...o, textSha256: 'c'.repeat(64) })],
    ['a textLength that is not the text length', (o) => ({ ...o, textLength: o.textLength + 1 })],
    ['a lone surrogate in the text', (o) => ({ ...o, text: 'bad \ud800 text', textLength: 10 })],
    ['tokens without unknownShare', (o) => ({ ...o, unknownShare: null })],
    ['unknownShare without tokens', (o) => ({ ...o, tokens: undefined })],
    ['an unknownShare that is no count of pieces over tokens', (o) => ({ ...o, tokens: 4, unknownShare: 0.3 })],
    ['an unknownShare above 1', (o) => ({ ...o, tokens: 1, unknownShare: 2 })],
    ['unknown pieces in an empty text', (o) => ({ ...o, tokens: 0, unknownShare: 0.5 })],
    ['a fractional token count', (o) => ({ ...o, tokens: 2.5, unknownShare: 0 })],
    ['a leading byte-order mark', (o) => ({ ...o, text: '\ufeff' + o.text, textLength: o.textLength + 1 })],
  ];
  it.each(cases)('rejects %s with 400', async (_, forge) => {
    const e = await rejectsWith(parse([ok, forge({ ...ok, id: crypto.randomUUID() })]));
    expect(e.status).toBe(400);
    expect(e.code).toBe('validation_failed');
    expect(e.message).toMatch(/items\.1\./);
  });

  it('rejects a batch that repeats an id (refused, not deduplicated)', async () => {
    const e = await rejectsWith(parse([ok, { ...ok }]));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/items\.1\.id: id .* repeats items\.0\.id/);
  });

  it.each([
    ['no items', {}],
    ['empty items', { items: [] }],
  ])('rejects %s with 400', async (_, body) => {
    expect((await rejectsWith(parseSyncBody(env.DB, body))).status).toBe(400);
  });

  it('rejects more than 500 items with 413', async () => {
    const items = Array.from({ length: 501 }, () => ok);
    expect((await rejectsWith(parse(items))).status).toBe(413);
  });
});

describe('listHistory', () => {
  const N = 300;
  beforeAll(async () => {
    await env.DB.prepare(`DELETE FROM predictions`).run();
    const rows = Array.from({ length: N }, (_, i) => record(i));
    // Two rows with the same time: the id breaks the tie.
    rows.push(record(N, { id: 'rec-tie-a', createdAt: rows[N - 1]!.createdAt, label: 'positive', probabilities: { negative: 0.1, positive: 0.9 } }));
    for (let i = 0; i < rows.length; i += 100) await insertHistory(env.DB, rows.slice(i, i + 100), true);
  });

  it('pages newest first over every row exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listHistory(env.DB, { n: 37, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen.length).toBe(N + 1);
    expect(new Set(seen).size).toBe(N + 1);
    expect(pages).toBe(Math.ceil((N + 1) / 37));
    // Same created_at: the larger id comes first (ORDER BY created_at DESC, id DESC).
    expect(seen.slice(0, 2)).toEqual(['rec-tie-a', `rec-${String(N - 1).padStart(8, '0')}`]);
  });

  it('filters by label, model (NAME and NAME@VERSION) and source', async () => {
    const neg = await listHistory(env.DB, { n: 500, label: 'negative' });
    expect(neg.items.length).toBe(100);
    expect(neg.items.every((r) => r.label === 'negative')).toBe(true);
    const v2 = await listHistory(env.DB, { n: 500, model: 'sentiment@2' });
    expect(v2.items.every((r) => r.model.version === 2)).toBe(true);
    expect(v2.items.length).toBe(150);
    expect((await listHistory(env.DB, { n: 500, model: 'sentiment' })).items.length).toBe(N + 1);
    const edgeNeg = await listHistory(env.DB, { n: 500, source: 'edge', label: 'negative' });
    expect(edgeNeg.items.every((r) => r.source === 'edge' && r.label === 'negative')).toBe(true);
    expect(edgeNeg.items.length).toBe(25);
  });

  it('round-trips a record', async () => {
    const page = await listHistory(env.DB, { n: 1, label: 'negative' });
    expect(page.items[0]).toEqual(record(297));
  });

  it('rejects a forged cursor with 400', () => {
    expect(() => decodeCursor('not-a-cursor')).toThrowError(ApiError);
    expect(decodeCursor(encodeCursor({ createdAt: '2026-01-01T00:00:00.000Z', id: 'x' }))).toEqual({ createdAt: '2026-01-01T00:00:00.000Z', id: 'x' });
  });
});

describe('history indexes at scale', () => {
  const ROWS = 100_000;
  beforeAll(async () => {
    // Seed with one recursive INSERT (fast), spread over labels, models and sources.
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
       INSERT INTO predictions (id, created_at, model_name, model_version, label, score, probabilities, text_length, text_sha256, text, source, latency_ms)
       SELECT printf('seed-%08d', i), strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', '+' || i || ' seconds'),
              CASE i % 3 WHEN 0 THEN 'sentiment' WHEN 1 THEN 'other' ELSE 'third' END, 1 + i % 5,
              CASE i % 2 WHEN 0 THEN 'positive' ELSE 'negative' END, 0.8, '{"negative":0.2,"positive":0.8}', 12, ?2, NULL,
              CASE i % 7 WHEN 0 THEN 'edge' ELSE 'browser' END, 1.0
       FROM seq`,
    )
      .bind(ROWS, SHA)
      .run();
    await env.DB.prepare('ANALYZE').run();
  });

  const cursor = encodeCursor({ createdAt: '2025-01-01T12:00:00.000Z', id: 'seed-00043200' });
  it.each([
    [{}, 'predictions_by_time'],
    [{ cursor }, 'predictions_by_time'],
    [{ label: 'positive', cursor }, 'predictions_by_label'],
    [{ model: 'sentiment', cursor }, 'predictions_by_model'],
    [{ model: 'sentiment@2' }, 'predictions_by_model'],
    [{ source: 'edge', cursor }, 'predictions_by_source'],
    [{ source: 'edge', label: 'negative' }, 'predictions_by_label'],
  ] as [HistoryQuery, string][])('%o walks %s with no full scan and no sort', async (q, index) => {
    const { sql, params } = historyQuerySql({ n: 50, ...q });
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
    const plan = results.map((r: { detail: string }) => r.detail).join('\n');
    expect(plan).toContain(`USING INDEX ${index}`);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    expect(plan).not.toMatch(/^SCAN predictions$/m);
    // And the page really is fast: well under a full scan of 100k rows.
    const t = Date.now();
    const page = await listHistory(env.DB, { n: 50, ...q });
    expect(page.items.length).toBeGreaterThan(0);
    expect(Date.now() - t).toBeLessThan(200);
  });
});

it('sha256Hex matches a known digest', async () => {
  expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
