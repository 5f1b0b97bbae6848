// Drift-triggered retraining: the hourly job POSTs a repository_dispatch-style request to
// (GitHub answers 204; the stub answers 202 because a Response with a body cannot have status 204.)
// RETRAIN_DISPATCH_URL (outbound fetch caught as in run.test.ts) when a drift alert opens, at most
// once per model per RETRAIN_COOLDOWN_HOURS; a failed dispatch is retried by the next run; a schedule
// dispatches without drift; empty RETRAIN_DISPATCH_URL turns it off.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../../test/helpers.ts';
import { HOUR, publishVersion, recordWebhooks, REFERENCE, runScheduled, sample, seedHistory, type Delivery } from '../../test/monitor.ts';

const URL = 'https://ci.test/repos/acme/sentiment/dispatches';
const VARS = { RETRAIN_DISPATCH_URL: URL, RETRAIN_DISPATCH_TOKEN: 'ci-token-for-tests', ALERT_WEBHOOK_BACKOFF_MS: '1', ALERT_WEBHOOK_ATTEMPTS: '2' };

afterEach(() => {
  vi.unstubAllGlobals();
});

const dispatches = (hooks: Delivery[], model: string) => hooks.filter((h) => h.url === URL && JSON.parse(h.body).client_payload.model === model);
const rows = async (model: string) => (await env.DB.prepare(`SELECT reason, status, attempts, last_status FROM retrain_dispatches WHERE model_name = ?1 ORDER BY id`).bind(model).all()).results;

describe('retraining dispatch', () => {
  it('POSTs {event_type: "retrain", client_payload} with the bearer token when a drift alert opens, once per cooldown', async () => {
    const name = uniqueName('retrain');
    const at = Date.parse('2026-11-12T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(400, 31, { labels: true }), at);
    const hooks = recordWebhooks(() => 202);
    await runScheduled(at, VARS);

    const mine = dispatches(hooks, name);
    expect(mine.length).toBe(1);
    expect(mine[0]!.headers.get('authorization')).toBe('Bearer ci-token-for-tests');
    expect(mine[0]!.headers.get('accept')).toBe('application/vnd.github+json');
    const body = JSON.parse(mine[0]!.body);
    expect(body).toMatchObject({ event_type: 'retrain', client_payload: { model: name, reason: 'drift', report: { version: v, driftedFeatures: ['label'], rows: 400 } } });
    expect(body.client_payload.report.id).toEqual(expect.any(Number));
    expect(await rows(name)).toEqual([{ reason: 'drift', status: 'delivered', attempts: 1, last_status: 202 }]);

    // Two hours later a new feature drifts (a new alert opens): within the 24 h cooldown, nothing is sent.
    await seedHistory(name, v, sample(400, 32, { labels: true, tokens: true }), at + 2 * HOUR);
    await runScheduled(at + 2 * HOUR, { ...VARS, DRIFT_WINDOW_HOURS: '1' });
    expect(dispatches(hooks, name).length).toBe(1);
    // After the cooldown (here 1 h), a new alert dispatches again.
    await seedHistory(name, v, sample(400, 33, { unknown: true }), at + 4 * HOUR);
    await runScheduled(at + 4 * HOUR, { ...VARS, DRIFT_WINDOW_HOURS: '1', RETRAIN_COOLDOWN_HOURS: '1' });
    expect(dispatches(hooks, name).length).toBe(2);
  });

  it('a failed dispatch is retried with backoff, recorded, and does not hold back the next run', async () => {
    const name = uniqueName('retrainfail');
    const at = Date.parse('2026-11-13T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(400, 34, { labels: true }), at);
    let failing = true;
    const hooks = recordWebhooks(() => (failing ? 502 : 202));
    await runScheduled(at, VARS);
    expect(dispatches(hooks, name).length).toBe(2); // ALERT_WEBHOOK_ATTEMPTS = 2
    expect(await rows(name)).toEqual([{ reason: 'drift', status: 'failed', attempts: 2, last_status: 502 }]);

    // The next hour the alert is still open (no new alert): only a schedule dispatches now.
    failing = false;
    await seedHistory(name, v, sample(400, 35, { labels: true }), at + HOUR);
    await runScheduled(at + HOUR, { ...VARS, RETRAIN_SCHEDULE_HOURS: '168' });
    const last = dispatches(hooks, name).at(-1)!;
    expect(JSON.parse(last.body).client_payload).toMatchObject({ model: name, reason: 'schedule', report: null });
    expect((await rows(name)).at(-1)).toEqual({ reason: 'schedule', status: 'delivered', attempts: 1, last_status: 202 });
  });

  it('sends nothing while RETRAIN_DISPATCH_URL is empty', async () => {
    const name = uniqueName('retrainoff');
    const at = Date.parse('2026-11-14T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(400, 36, { labels: true }), at);
    const hooks = recordWebhooks(() => 202);
    await runScheduled(at, { RETRAIN_DISPATCH_URL: '', RETRAIN_SCHEDULE_HOURS: '1' });
    expect(hooks.filter((h) => h.body.includes(name))).toEqual([]);
    expect(await rows(name)).toEqual([]);
  });
});
