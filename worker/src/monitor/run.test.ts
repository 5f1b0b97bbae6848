// The hourly monitoring job, invoked through the Worker's own `scheduled` handler on local D1 with
// seeded history: reports, alerts naming the shifted feature, signed webhook deliveries (outbound
// fetch replaced by a recording function), retries, retention, GET /api/v1/drift and /metrics.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callJson, sampleValue, scrapeMetrics, uniqueName } from '../../test/helpers.ts';
import { publishVersion, recordWebhooks, REFERENCE, runScheduled, sample, seedHistory, SECRET, HOUR, verifySignature } from '../../test/monitor.ts';
import type { DriftReport } from './run.ts';
import { SIGNATURE_HEADER } from './webhook.ts';

async function latestReport(name: string): Promise<DriftReport> {
  const r = await callJson('GET', `/api/v1/drift?model=${name}&n=1`);
  expect(r.status).toBe(200);
  return r.body.reports[0];
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the scheduled drift job', () => {
  it('reports no drift and raises no alert when live traffic looks like the reference', async () => {
    const name = uniqueName('calm');
    const at = Date.parse('2026-11-02T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(500, 2), at);
    const hooks = recordWebhooks(() => 200);
    await runScheduled(at, { ALERT_WEBHOOK_URL: 'https://hooks.test/drift', ALERT_WEBHOOK_SECRET: SECRET });

    const report = await latestReport(name);
    expect(report).toMatchObject({ model: { name, version: v }, aliases: ['champion'], rows: 500, status: 'ok', driftedFeatures: [], alerts: { opened: [], open: [] } });
    expect(report.features.map((f) => f.feature)).toEqual(['tokens', 'unknownShare', 'confidence', 'label']);
    for (const f of report.features) expect('psi' in f && f.psi < 0.1).toBe(true);
    expect(hooks.filter((h) => h.body.includes(name))).toEqual([]);
    // CBPE: the mean confidence of the window, with the ECE measured at publish beside it.
    expect(report.estimatedAccuracy).toMatchObject({ method: 'cbpe', rows: 500, calibrationEce: 0.031 });
    expect(report.estimatedAccuracy!.low).toBeLessThan(report.estimatedAccuracy!.estimate);
    expect(report.realisedAccuracy).toBeNull();
  });

  it('reports realised accuracy from the feedback on the window\'s predictions', async () => {
    const name = uniqueName('realised');
    const at = Date.parse('2026-11-02T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    const rows = await seedHistory(name, v, sample(300, 5), at);
    // 10 labelled by users: 7 confirm the model's label, 3 correct it.
    const items = rows.slice(0, 10).map((r, i) => ({ predictionId: r.id, label: i < 7 ? r.label : r.label === 'positive' ? 'negative' : 'positive' }));
    expect((await callJson('POST', '/api/v1/feedback', { body: { items } })).status).toBe(200);
    await runScheduled(at);
    expect((await latestReport(name)).realisedAccuracy).toEqual({ accuracy: 0.7, rows: 10 });
  });

  for (const [shift, feature] of [
    [{ tokens: true }, 'tokens'],
    [{ unknown: true }, 'unknownShare'],
    [{ labels: true }, 'label'],
  ] as const) {
    it(`raises an alert naming ${feature} when it shifts, and delivers it once, signed`, async () => {
      const name = uniqueName('shift');
      const at = Date.parse('2026-11-03T10:00:00Z');
      const v = await publishVersion(name, 'champion', REFERENCE);
      await seedHistory(name, v, sample(400, 3, shift), at);
      const hooks = recordWebhooks(() => 202);
      const vars = { ALERT_WEBHOOK_URL: 'https://hooks.test/drift', ALERT_WEBHOOK_SECRET: SECRET };
      await runScheduled(at, vars);

      const report = await latestReport(name);
      expect(report.status).toBe('drift');
      expect(report.driftedFeatures).toEqual([feature]);
      const check = report.features.find((f) => f.feature === feature)!;
      expect(check).toMatchObject({ drifted: true, psiThreshold: 0.1, pValueThreshold: 0.05, test: feature === 'label' ? 'chi-squared' : 'ks' });
      expect(report.alerts.opened.map((a) => a.feature)).toContain(feature);

      const mine = hooks.filter((h) => JSON.parse(h.body).model?.name === name);
      expect(mine.length).toBe(report.driftedFeatures.length);
      const delivery = mine.find((h) => JSON.parse(h.body).alert.feature === feature)!;
      expect(delivery.url).toBe('https://hooks.test/drift');
      expect(await verifySignature(SECRET, delivery.body, delivery.headers.get(SIGNATURE_HEADER))).toBe(true);
      expect(await verifySignature('another-secret', delivery.body, delivery.headers.get(SIGNATURE_HEADER))).toBe(false);
      const payload = JSON.parse(delivery.body);
      expect(payload).toMatchObject({ type: 'drift_alert', model: { name, version: v }, check: { psiThreshold: 0.1 } });
      expect(payload.message).toContain(feature);

      // The next hour still drifts: the alert stays open and is not delivered again.
      await seedHistory(name, v, sample(400, 4, shift), at + HOUR);
      await runScheduled(at + HOUR, vars);
      expect(hooks.filter((h) => JSON.parse(h.body).model?.name === name).length).toBe(mine.length);
      const listing = (await callJson('GET', `/api/v1/drift?model=${name}`)).body;
      expect(listing.reports.length).toBe(2);
      expect(listing.reports[0].alerts).toMatchObject({ opened: [], open: expect.arrayContaining([feature]) });
      const alert = listing.alerts.find((a: any) => a.feature === feature);
      expect(alert).toMatchObject({ state: 'open', delivery: { status: 'delivered', attempts: 1, lastStatus: 202 } });
    });
  }

  it('retries a failing webhook with backoff and then records it as failed', async () => {
    const name = uniqueName('failhook');
    const at = Date.parse('2026-11-04T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(400, 5, { labels: true }), at);
    const hooks = recordWebhooks(() => 503);
    await runScheduled(at, { ALERT_WEBHOOK_URL: 'https://hooks.test/broken', ALERT_WEBHOOK_SECRET: SECRET, ALERT_WEBHOOK_ATTEMPTS: '3', ALERT_WEBHOOK_BACKOFF_MS: '1' });

    const mine = hooks.filter((h) => JSON.parse(h.body).model?.name === name);
    expect(mine.length).toBe(3); // one alert (label), three attempts, each with the same signed body
    expect(new Set(mine.map((h) => h.body)).size).toBe(1);
    const { alerts } = (await callJson('GET', `/api/v1/drift?model=${name}`)).body;
    expect(alerts).toMatchObject([{ feature: 'label', state: 'open', delivery: { status: 'failed', attempts: 3, lastStatus: 503, lastError: 'HTTP 503' } }]);

    // A later run does not send the failed alert again.
    await runScheduled(at + HOUR, { ALERT_WEBHOOK_URL: 'https://hooks.test/broken', ALERT_WEBHOOK_SECRET: SECRET, ALERT_WEBHOOK_ATTEMPTS: '3', ALERT_WEBHOOK_BACKOFF_MS: '1' });
    expect(hooks.filter((h) => JSON.parse(h.body).model?.name === name).length).toBe(3);
  });

  it('resolves an alert once the feature is back to normal', async () => {
    const name = uniqueName('recover');
    const at = Date.parse('2026-11-05T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(400, 6, { tokens: true }), at);
    await runScheduled(at, { DRIFT_WINDOW_HOURS: '1' });
    expect((await latestReport(name)).alerts.open).toEqual(['tokens']);
    await seedHistory(name, v, sample(400, 7), at + HOUR);
    await runScheduled(at + HOUR, { DRIFT_WINDOW_HOURS: '1' });
    const report = await latestReport(name);
    expect(report).toMatchObject({ status: 'ok', alerts: { resolved: ['tokens'], open: [] } });
  });

  it('handles versions without a reference profile and windows with too few rows', async () => {
    const name = uniqueName('old');
    const at = Date.parse('2026-11-06T10:00:00Z');
    const old = await publishVersion(name, 'champion', null);
    const fresh = await publishVersion(name, 'challenger', REFERENCE);
    await seedHistory(name, old, sample(300, 8), at);
    await seedHistory(name, fresh, sample(50, 9, { tokens: true }), at);
    await runScheduled(at);
    const { reports } = (await callJson('GET', `/api/v1/drift?model=${name}`)).body as { reports: DriftReport[] };
    const byVersion = new Map(reports.map((r) => [r.model.version, r]));
    expect(byVersion.get(old)).toMatchObject({ status: 'no_reference', features: [], rows: 300, estimatedAccuracy: { rows: 300 } });
    expect(byVersion.get(fresh)).toMatchObject({ status: 'insufficient_data', driftedFeatures: [], rows: 50 });
    expect(byVersion.get(fresh)!.features.every((f) => 'skipped' in f)).toBe(true);
  });

  it('prunes history older than HISTORY_DAYS, keeping the rollups', async () => {
    const name = uniqueName('retain');
    const at = Date.parse('2026-11-07T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(30, 10), at - 40 * 24 * HOUR);
    await seedHistory(name, v, sample(20, 11), at);
    const count = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM predictions WHERE model_name = ?1`).bind(name).first<{ n: number }>())!.n;
    const rolled = async () => (await env.DB.prepare(`SELECT SUM(count) AS n FROM metric_predictions WHERE model_name = ?1`).bind(name).first<{ n: number }>())!.n;
    expect([await count(), await rolled()]).toEqual([50, 50]);
    await runScheduled(at, { HISTORY_DAYS: '30' });
    expect([await count(), await rolled()]).toEqual([20, 50]);
  });

  it('compacts the per-minute rollups of days before the cutoff into one row per series, keeping every total', async () => {
    const name = uniqueName('compact');
    const day = '2026-06-01';
    const minutes = ['00:00', '00:01', '09:30', '23:59'].map((m) => `${day}T${m}Z`);
    await env.DB.batch(
      minutes.flatMap((minute, i) => [
        env.DB.prepare(`INSERT INTO metric_predictions VALUES (?1, ?2, 1, 'positive', 'edge', ?3)`).bind(minute, name, i + 1),
        env.DB.prepare(`INSERT INTO metric_histograms VALUES (?1, 'confidence', ?2, 1, 'edge', '0.9', ?3, ?4)`).bind(minute, name, i + 1, 0.5 * (i + 1)),
        env.DB.prepare(`INSERT INTO metric_errors VALUES (?1, ?2, 400, ?3)`).bind(minute, `/compact/${name}`, 2 * (i + 1)),
      ]),
    );
    // A minute of the next day, after the cutoff's day start: left alone.
    await env.DB.prepare(`INSERT INTO metric_predictions VALUES ('2026-06-02T08:00Z', ?1, 1, 'positive', 'edge', 100)`).bind(name).run();
    const read = async () => ({
      predictions: await env.DB.prepare(`SELECT minute, count FROM metric_predictions WHERE model_name = ?1 ORDER BY minute`).bind(name).all().then((r) => r.results),
      histograms: await env.DB.prepare(`SELECT minute, count, sum FROM metric_histograms WHERE model_name = ?1 ORDER BY minute`).bind(name).all().then((r) => r.results),
      errors: await env.DB.prepare(`SELECT minute, count FROM metric_errors WHERE route = ?1 ORDER BY minute`).bind(`/compact/${name}`).all().then((r) => r.results),
    });
    expect((await read()).predictions.length).toBe(5);
    await runScheduled(Date.parse('2026-06-03T12:00:00Z'), { HISTORY_DAYS: '1' });
    expect(await read()).toEqual({
      predictions: [{ minute: `${day}T00:00Z`, count: 10 }, { minute: '2026-06-02T08:00Z', count: 100 }],
      histograms: [{ minute: `${day}T00:00Z`, count: 10, sum: 5 }],
      errors: [{ minute: `${day}T00:00Z`, count: 20 }],
    });
  });
});

describe('GET /api/v1/drift and the /metrics gauges', () => {
  it('needs a read token and a valid model name', async () => {
    expect((await callJson('GET', '/api/v1/drift?model=sentiment', { token: null })).status).toBe(401);
    expect((await callJson('GET', '/api/v1/drift?model=sentiment', { token: 'wrong-token-000000' })).status).toBe(403);
    const bad = await callJson('GET', '/api/v1/drift?model=Not%20A%20Name');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect((await callJson('GET', '/api/v1/drift')).status).toBe(400);
    expect((await callJson('GET', '/api/v1/drift?model=sentiment&n=0')).status).toBe(400);
  });

  it('is documented in /openapi.json, and manifests document their profile', async () => {
    const doc = (await callJson('GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/drift'].get.parameters.map((p: any) => p.name).sort()).toEqual(['model', 'n', 'version']);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['DriftReport', 'DriftAlert', 'DriftListing']));
    expect(doc.components.schemas.Manifest.properties.profile).toBeDefined();
  });

  it('exposes the latest PSI per feature, estimated accuracy and open alerts', async () => {
    const name = uniqueName('gauge');
    const at = Date.parse('2026-11-08T10:00:00Z');
    const v = await publishVersion(name, 'champion', REFERENCE);
    await seedHistory(name, v, sample(400, 12, { labels: true }), at);
    await runScheduled(at);
    const report = await latestReport(name);
    const scrape = await scrapeMetrics();
    const labels = { model: name, version: String(v) };
    for (const f of report.features) {
      if ('psi' in f) expect(sampleValue(scrape, 'sentiment_drift_psi', { ...labels, feature: f.feature })).toBeCloseTo(f.psi, 9);
    }
    expect(sampleValue(scrape, 'sentiment_estimated_accuracy', labels)).toBeCloseTo(report.estimatedAccuracy!.estimate, 9);
    expect(sampleValue(scrape, 'sentiment_drift_alert_open', { ...labels, feature: 'label' })).toBe(1);
    expect(sampleValue(scrape, 'sentiment_monitor_up', {})).toBe(1);
  });
});
