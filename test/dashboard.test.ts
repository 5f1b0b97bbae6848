/**
 * The dashboard, the rendered model card and the suite table in a real browser (headless Chromium)
 * against the real Worker (wrangler dev) serving web/dist, at phone size (390 × 844), with axe-core
 * run on each view. The model published here carries a hostile model card and a suite record.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryBucket, candidateTraffic, RegistryClient, type SuiteRecord } from '@sentiment-edge/registry';
import { REPO_ROOT, startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { launchBrowser, predictText, tinyModel, waitForEngine, waitForServiceWorker } from './src/browser.ts';
import { runAxe, seriousOrCritical } from './src/axe.ts';

const MODEL = 'sentiment';
void REPO_ROOT;

const CARD = `# sentiment v1

A tiny model for tests.

## Evaluation

| set | macro-F1 |
| --- | ---: |
| sst2/validation | 0.70 |

<img src="x" onerror="globalThis.__cardXss = 'img'">
<script>globalThis.__cardXss = 'script'</script>
<p style="position:fixed;inset:0" onclick="globalThis.__cardXss='click'">overlay</p>

[click me](javascript:globalThis.__cardXss='link') and ![a chart](data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E)
`;

const SUITE: SuiteRecord = {
  sets: [
    { set: 'sst2/validation', scoring: 'polar', rows: 872, accuracy: 0.81, macroF1: 0.805, recall: { negative: 0.78, positive: 0.83 }, ece: 0.04 },
    { set: 'uci/imdb', scoring: 'polar', rows: 1000, accuracy: 0.74, macroF1: 0.731, recall: { negative: 0.7, positive: 0.77 }, ece: 0.06 },
    { set: 'yelp/test', scoring: 'polar', rows: 2000, accuracy: 0.61, macroF1: 0.597, recall: { negative: 0.66, positive: 0.55 }, ece: 0.09 },
  ],
  evaluationOnlyMeanMacroF1: 0.731,
  worst: { set: 'yelp/test (polar)', macroF1: 0.597 },
  checklist: { polarMftFailure: 0.42, negationFailure: { 'negated positive': 0.61 }, neutralMftFailure: null, invFailure: 0.08, dirFailure: 0.12, sampled: null },
};

const EVAL_CSV = ['text,label', 'a charming and affecting journey,positive', 'bleak and desperate,negative', 'a great great film,positive', 'an awful boring film,negative', 'fun,positive', 'bad,negative'].join('\n') + '\n';

describe('dashboard, model card and suite table in Chromium at 390 × 844', () => {
  let worker: LocalWorker;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];

  async function phonePage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    contexts.push(ctx);
    const page = await ctx.newPage();
    // Where a CSP violation came from (the console message alone does not say).
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => console.warn(`[csp] Content Security Policy: ${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} blocked=${e.blockedURI} ${e.sample}`)),
    );
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(worker.url + '/?backend=wasm');
    return page;
  }

  const fitsWidth = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));

  async function expectNoSeriousAxe(page: Page, view: string) {
    const bad = seriousOrCritical(await runAxe(page));
    expect(bad, `${view}: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
  }

  beforeAll(async () => {
    // DRIFT_MIN_ROWS 1: the few predictions this test makes are enough for the monitoring job to judge every feature.
    worker = await startLocalWorker({ testScheduled: true, vars: { DRIFT_MIN_ROWS: '1' } });
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const { files, draft } = await tinyModel(MODEL, 7);
    files.set('README.md', new TextEncoder().encode(CARD));
    const m = await client.publish({ ...draft, suite: SUITE }, files);
    await client.setAlias(MODEL, 'champion', { version: m.version });
    // A second version as challenger (an alias move for the timeline), and both scored on the same CSV.
    const second = await tinyModel(MODEL, 8);
    const m2 = await client.publish(second.draft, second.files);
    await client.setAlias(MODEL, 'challenger', { version: m2.version, reason: 'shadow trial' });
    for (const v of [m.version, m2.version]) await client.evaluateCsv(EVAL_CSV, { model: `${MODEL}@${v}`, dataset: 'dash-eval.csv' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await worker?.stop();
    expect(cspViolations).toEqual([]);
  });

  it('renders the model card as sanitised HTML a keyboard reaches, and the suite table; axe finds nothing serious', async () => {
    const page = await phonePage();
    await waitForEngine(page, 'ready');
    await expectNoSeriousAxe(page, 'main screen');

    // The suite the version carries.
    const suite = page.locator('[data-testid="suite"]');
    await expect.poll(() => suite.locator('[data-testid="suite-mean"]').textContent()).toBe('0.731');
    expect(await suite.locator('[data-testid="suite-worst"]').textContent()).toBe('yelp/test (polar) · 0.597');
    const setRows = suite.locator('[data-testid="suite-sets"] tbody tr');
    expect(await setRows.count()).toBe(3);
    expect(await setRows.nth(2).textContent()).toMatch(/yelp\/test\s*polar\s*2000\s*0\.597\s*0\.610\s*0\.550 \(positive\)\s*0\.090/);
    expect(await suite.locator('[data-testid="suite-checklist"]').textContent()).toMatch(/Polar MFT 42\.0%.*INV 8\.0%.*DIR 12\.0%.*negated positive 61\.0%/s);

    // Open the card with the keyboard: focus the summary and press Enter.
    const summary = page.locator('summary', { hasText: 'Model card' });
    await summary.focus();
    await page.keyboard.press('Enter');
    const card = page.locator('[data-testid="model-card"]');
    await card.locator('h3').waitFor();
    expect(await card.locator('h3').textContent()).toBe('sentiment v1');
    expect(await card.locator('h4').textContent()).toBe('Evaluation');
    expect(await card.locator('h1, h2').count()).toBe(0);
    // Markdown table rendered, inside a focusable labelled region.
    const region = card.locator('.table-scroll[tabindex="0"][role="region"]');
    expect(await region.locator('td').allTextContents()).toEqual(['sst2/validation', '0.70']);
    // Raw HTML is shown as text; the javascript: link loses its href; a Markdown image keeps its alt; nothing ran.
    expect(await card.textContent()).toContain(`<script>globalThis.__cardXss = 'script'</script>`);
    expect(await card.textContent()).toContain(`<img src="x" onerror=`);
    expect(await card.locator('script, p[style], [onerror], [onclick], [style]').count()).toBe(0);
    expect(await card.locator('img').count()).toBe(1);
    expect(await card.locator('img').getAttribute('alt')).toBe('a chart');
    expect(await card.locator('a').getAttribute('href')).toBeNull();
    await card.getByText('click me').dispatchEvent('click');
    expect(await page.evaluate(() => (globalThis as { __cardXss?: string }).__cardXss ?? null)).toBeNull();
    // Not a trap and not a scrolling box: Tab moves from the summary into the card's table and on, past it.
    await summary.focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('table-scroll'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="model-card"] .table-scroll') === null)).toBe(true);
    const boxes = await card.evaluate((el) => getComputedStyle(el).overflowY);
    expect(boxes).toBe('visible');
    const w = await fitsWidth(page);
    expect(w.scroll).toBeLessThanOrEqual(w.inner);
    await expectNoSeriousAxe(page, 'model card open');
  });

  it('opens the dashboard after some predictions; its charts and tables reflect the saved counts; axe finds nothing serious', async () => {
    const page = await phonePage();
    await waitForEngine(page, 'ready');
    await page.locator('[data-testid="to-dashboard"]').click();
    await page.locator('[data-testid="dashboard-empty"]').waitFor();
    await page.locator('[data-testid="to-main"]').click();

    const texts = ['the movie was great fun !', 'an awful , boring film', 'a great great film', 'bad', 'asdf qwer zxcv'];
    const counts: Record<string, number> = {};
    for (const t of texts) {
      const shown = await predictText(page, t, true);
      counts[shown.label] = (counts[shown.label] ?? 0) + 1;
    }
    // The scores as saved (the page shows rounded ones), for the uncertain count.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { sentimentEdge: { historyCounts: { total: number } } }).sentimentEdge.historyCounts.total)).toBe(texts.length);
    const scores = await page.evaluate(() => (globalThis as unknown as { sentimentEdge: { history: { score: number }[] } }).sentimentEdge.history.map((h) => h.score));
    const uncertain = scores.filter((s) => s < 0.6).length;

    await page.locator('[data-testid="to-dashboard"]').click();
    expect(page.url()).toMatch(/#\/dashboard$/);
    await page.locator('[data-testid="dash-total"]').waitFor();
    expect(await page.locator('[data-testid="dash-total"]').textContent()).toBe(String(texts.length));
    expect(await page.locator('[data-testid="dash-uncertain"]').textContent()).toBe(`${uncertain} of ${texts.length} · ${Math.round((uncertain / texts.length) * 100)}%`);

    type Drawn = { x: string[]; series: { label: string; data: number[] }[] };
    const drawn = async (id: string): Promise<Drawn> => {
      const c = page.locator(`[data-testid="chart-${id}"] canvas`);
      await expect.poll(() => c.getAttribute('data-series')).toBeTruthy();
      return JSON.parse((await c.getAttribute('data-series'))!) as Drawn;
    };
    const totals = (d: Drawn) => Object.fromEntries(d.series.map((s) => [s.label, s.data.reduce((a, b) => a + b, 0)]));

    const time = await drawn('over-time');
    expect(totals(time)).toEqual(counts);
    const mix = await drawn('by-version');
    expect(mix.x).toEqual(['sentiment v1']);
    expect(totals(mix)).toEqual(counts);
    const conf = await drawn('confidence');
    expect(conf.series[0]!.data.reduce((a, b) => a + b, 0)).toBe(texts.length);
    // Bins below the 60 % line hold exactly the uncertain answers.
    expect(conf.series[0]!.data.slice(0, 6).reduce((a, b) => a + b, 0)).toBe(uncertain);
    // The canvas really was drawn (non-blank pixels).
    const inked = await page.locator('[data-testid="chart-by-version"] canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(100);

    // Text alternatives: the summary names every label's count, the table holds the same numbers.
    const mixSummary = (await page.locator('[data-testid="chart-by-version-summary"]').textContent()) ?? '';
    for (const [label, n] of Object.entries(counts)) expect(mixSummary).toContain(`${label} ${n}`);
    await page.locator('[data-testid="chart-by-version"] summary').click();
    const header = await page.locator('[data-testid="chart-by-version-table"] thead th').allTextContents();
    const cells = await page.locator('[data-testid="chart-by-version-table"] tbody td').allTextContents();
    expect(Object.fromEntries(header.slice(1).map((l, i) => [l, Number(cells[i])]))).toEqual(counts);
    expect(await page.locator('[data-testid="chart-by-version"] [role="img"]').getAttribute('aria-label')).toContain(mixSummary);

    // Server figures from the Worker (model-info + the version list).
    expect(await page.locator('[data-testid="server-champion"]').textContent()).toMatch(/^v1 · macro-F1 \d+%/);
    const versions = await drawn('versions');
    expect(versions.x).toEqual(['v1 (champion)', 'v2 (challenger)']);
    expect(versions.series.map((s) => s.label)).toEqual(['accuracy', 'macro-F1', 'suite mean macro-F1']);
    expect(versions.series[2]!.data).toEqual([0.731, 0]);

    // Evaluation runs of both versions on the same CSV, side by side, as the API has them.
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const runs = (await client.listEvaluations({ model: MODEL })).evaluations.sort((a, b) => a.model.version - b.model.version);
    expect(runs.map((r) => [r.model.version, r.status, r.dataset.sha256 === runs[0]!.dataset.sha256])).toEqual([[1, 'succeeded', true], [2, 'succeeded', true]]);
    const evalRuns = await drawn('eval-runs');
    expect(evalRuns.x).toEqual(['v1 (champion)', 'v2 (challenger)']);
    expect(evalRuns.series.map((s) => s.label)).toEqual(['accuracy', 'macro-F1', 'calibration error (ECE)']);
    expect(evalRuns.series[0]!.data).toEqual(runs.map((r) => r.metrics!.accuracy));
    expect(evalRuns.series[1]!.data).toEqual(runs.map((r) => r.metrics!.macroF1));
    expect(await page.locator('[data-testid="chart-eval-runs-summary"]').textContent()).toMatch(/^On dash-eval\.csv \(6 rows, int8, scored the most probable label\): v1 \(champion\) accuracy \d+%/);

    // The alias history as a timeline, newest first.
    const moves = await page.locator('[data-testid="alias-timeline"] li .what').allTextContents();
    expect(moves).toEqual(['challenger set to v2', 'champion set to v1']);
    expect(await page.locator('[data-testid="alias-timeline"] li').first().textContent()).toContain('shadow trial');

    // Monitoring with a read token: the predictions above reach the server, the hourly job runs once.
    await expect.poll(async () => (await client.history({ n: 50 })).items.filter((r) => r.source === 'browser').length, { timeout: 30_000 }).toBe(texts.length);
    // Feedback on two of them: one answer confirmed, one corrected (realised accuracy 50 % of 2).
    const synced = (await client.history({ n: 50 })).items.filter((r) => r.source === 'browser');
    const other = Object.keys(synced[1]!.probabilities).find((l) => l !== synced[1]!.label)!;
    await client.sendFeedback([{ predictionId: synced[0]!.id, label: synced[0]!.label }, { predictionId: synced[1]!.id, label: other }]);
    // A promotion policy, so the hourly job also decides about the challenger (too little traffic: hold).
    await client.setPolicy(MODEL, { minRows: 200 });
    // wrangler dev --test-scheduled: miniflare's trigger route runs the Cron handler (assets would answer /__scheduled).
    const cron = await fetch(`${worker.url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('0 * * * *')}`);
    expect(cron.status, await cron.text()).toBe(200);
    await expect.poll(async () => (await client.drift({ model: MODEL })).reports.filter((r) => r.model.version === 1).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const mine = (await client.drift({ model: MODEL })).reports.filter((r) => r.model.version === 1);
    const report = mine[0]!; // newest first
    expect(report.rows).toBe(texts.length);
    expect(report.realisedAccuracy).toEqual({ accuracy: 0.5, rows: 2 });

    // A wrong token is refused in plain words; the right one shows the report.
    await page.locator('summary', { hasText: 'Server monitoring: read token' }).click();
    await page.locator('[data-testid="read-token"]').fill('not-the-token');
    await page.locator('[data-testid="save-token"]').click();
    await expect.poll(() => page.locator('[data-testid="drift-problem"]').textContent()).toMatch(/did not accept this read token/);
    expect(await page.locator('[data-testid="drift-problem"]').textContent()).not.toMatch(/\.\.$/); // one full stop
    await page.locator('[data-testid="forget-token"]').click();
    await page.locator('summary', { hasText: 'Server monitoring: read token' }).click();
    await page.locator('[data-testid="read-token"]').fill(worker.token);
    await page.locator('[data-testid="save-token"]').click();
    await page.locator('[data-testid="drift-status"]').waitFor();
    expect(await page.locator('[data-testid="drift-problem"]').count()).toBe(0);
    expect(await page.locator('[data-testid="drift-status"]').textContent()).toContain(`${texts.length} predictions in ${report.window.hours} h`);
    const est = report.estimatedAccuracy!;
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    expect(await page.locator('[data-testid="drift-estimated"]').textContent()).toBe(`${pct(est.estimate)} (${pct(est.low)}–${pct(est.high)})`);
    expect(await page.locator('[data-testid="drift-realised"]').textContent()).toBe('50% of 2 answers people checked');
    const driftChart = await drawn('drift');
    expect(driftChart.x).toEqual(['text length (word pieces)', 'share of unknown words', 'confidence', 'label mix']);
    const psis = report.features.map((f) => ('psi' in f ? f.psi : null));
    expect(driftChart.series[0]!.data).toEqual(psis);
    expect(driftChart.series[1]!.data).toEqual(report.features.map((f) => ('psi' in f ? f.psiThreshold : null)));
    expect(psis.filter((p) => typeof p === 'number').length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="chart-drift-summary"]').textContent()).toMatch(/PSI \d+\.\d{3} against 0\.1/);
    const accuracy = await drawn('accuracy');
    expect(accuracy.series.map((s) => s.label)).toEqual(['estimated', 'realised']);
    expect(accuracy.series[0]!.data).toEqual(mine.map((r) => r.estimatedAccuracy?.estimate ?? null).reverse());
    expect(accuracy.series[1]!.data).toEqual(mine.map((r) => r.realisedAccuracy?.accuracy ?? null).reverse());
    // Two checked answers are too few for a day's percentage (issue 23: "0 % of 1 answer"): said in words, no chart.
    expect(await page.locator('[data-testid="realised-too-few"]').textContent()).toBe(
      'Realised accuracy per day: not enough feedback yet (2 answers so far; a day is shown once 5 people have checked its answers).',
    );
    expect(await page.locator('[data-testid="chart-realised-days"]').count()).toBe(0);
    // The promotion policy's decision of that run, in words, in a table that scrolls in its own box.
    const decided = (await client.listDecisions(MODEL)).decisions;
    expect(decided.map((d) => [d.action, d.outcome, d.candidate.alias, d.candidate.version])).toEqual([['hold', 'none', 'challenger', 2]]);
    const traffic = candidateTraffic(decided[0]!.evidence.candidate);
    expect(traffic).toBeLessThan(200);
    const decisionRows = page.locator('[data-testid="decisions-table"] tbody tr');
    await expect.poll(() => decisionRows.count()).toBe(1);
    expect(await decisionRows.locator('td').allTextContents()).toEqual([
      'challenger v2',
      'hold',
      'nothing moved',
      expect.stringMatching(new RegExp(`^traffic too thin: challenger v2 has ${traffic} rows of traffic since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(.*\\); the policy needs 200$`)),
    ]);
    expect(await decisionRows.locator('th[scope="row"] time').getAttribute('datetime')).toBe(decided[0]!.createdAt);
    expect(await page.locator('[data-testid="decisions-table"] caption').textContent()).toBe('Decisions of the hourly promotion policy, newest first');
    expect(await page.locator('[data-testid="decisions-table"] thead th[scope="col"]').allTextContents()).toEqual(['When', 'Candidate', 'Decision', 'Outcome', 'Why']);
    expect(await page.locator('[data-testid="decisions"] .scroll[tabindex="0"][role="region"]').evaluate((el) => getComputedStyle(el).overflowX)).toBe('auto');
    // The token is kept on this device only.
    expect(await page.evaluate(() => localStorage.getItem('sentiment-edge.read-token'))).toBe(worker.token);

    const w = await fitsWidth(page);
    expect(w.scroll).toBeLessThanOrEqual(w.inner);
    await expectNoSeriousAxe(page, 'dashboard');

    // The saved token says what it may do (GET /api/v1/keys/me): REGISTRY_TOKEN is the admin, the rollback hint shows;
    // a reader API key reads the same reports, and the hint is hidden.
    await expect.poll(() => page.locator('[data-testid="key-role"]').textContent()).toBe('REGISTRY_TOKEN: admin, every model. It may do everything, keys included.');
    expect(await page.locator('[data-testid="rollback-hint"]').count()).toBe(1);
    const dash = await client.createKey({ name: 'dash', role: 'reader' });
    await page.locator('[data-testid="forget-token"]').click();
    await page.locator('summary', { hasText: 'Server monitoring: read token or API key' }).click();
    await page.locator('[data-testid="read-token"]').fill(dash.key);
    await page.locator('[data-testid="save-token"]').click();
    await expect.poll(() => page.locator('[data-testid="key-role"]').textContent()).toBe('Key "dash": reader, every model. Read-only key: the policy and alias controls are hidden.');
    await expect.poll(() => decisionRows.count()).toBe(1);
    expect(await page.locator('[data-testid="rollback-hint"]').count()).toBe(0);

    // A canary with a share: after a reload the dashboard says how much traffic it serves, in the alias
    // history and beside the A/B readout. This browser's client key is outside the share (so it is not offered the canary).
    await client.setAlias(MODEL, 'canary', { version: 2, share: 0.25, reason: 'canary trial' });
    let key = 0;
    while (canaryBucket(`dash-${key}`, MODEL) < 0.25) key++;
    await page.evaluate((k) => localStorage.setItem('sentiment-edge.client-key', k), `dash-${key}`);
    await page.reload();
    const shareWords = 'canary v2 serves 25 % of traffic; champion v1 the other 75 %';
    await expect.poll(() => page.locator('[data-testid="canary-share"]').textContent(), { timeout: 30_000 }).toBe(`Now: ${shareWords}.`);
    await expect.poll(() => page.locator('[data-testid="ab-canary-share"]').textContent(), { timeout: 30_000 }).toBe(`The ${shareWords}.`);
    expect(await page.locator('#ab-h').textContent()).toBe('A/B: champion v1 and canary v2, last 7 days');
    await expect.poll(() => page.locator('[data-testid="alias-timeline"] li .what').allTextContents()).toEqual(['canary set to v2 (25 % of traffic)', 'challenger set to v2', 'champion set to v1']);
    // The decisions table is still there (the canary is set after the run that decided).
    await expect.poll(() => decisionRows.count()).toBe(1);
    expect(await page.locator('[data-testid="decisions-when"]').textContent()).toBe('Live from the server');
    const w2 = await fitsWidth(page);
    expect(w2.scroll).toBeLessThanOrEqual(w2.inner);
    await expectNoSeriousAxe(page, 'dashboard with a canary and the decisions table');

    // Offline after a reload: the server figures are the last ones, dated.
    await waitForServiceWorker(page);
    await page.context().setOffline(true);
    await page.reload();
    await page.locator('[data-testid="server-when"]').waitFor();
    // One date format everywhere (as in the history): "5 Dec 2026, 18:18".
    const oneFormat = / from \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}( |$)/;
    expect(await page.locator('[data-testid="server-when"]').textContent()).toMatch(/^Last known, from /);
    expect(await page.locator('[data-testid="server-when"]').textContent()).toMatch(oneFormat);
    await page.locator('[data-testid="drift-when"]').waitFor();
    expect(await page.locator('[data-testid="monitor-when"]').textContent()).toMatch(/^Evaluations and alias history: last known, from /);
    expect(await page.locator('[data-testid="monitor-when"]').textContent()).toMatch(oneFormat);
    expect(await page.locator('[data-testid="drift-when"]').textContent()).toMatch(/^Monitoring: last known, from /);
    expect(await page.locator('[data-testid="alias-timeline"] li .what').allTextContents()).toEqual(['canary set to v2 (25 % of traffic)', 'challenger set to v2', 'champion set to v1']);
    expect(await page.locator('[data-testid="canary-share"]').textContent()).toBe(`Now: ${shareWords}.`);
    expect(await page.locator('[data-testid="decisions-when"]').textContent()).toMatch(/^Last known, from /);
    expect(await decisionRows.locator('[data-testid="decision-action"]').allTextContents()).toEqual(['hold']);
    expect((await drawn('drift')).series[0]!.data).toEqual(psis);
    expect(await page.locator('[data-testid="dash-total"]').textContent()).toBe(String(texts.length));
    await page.context().setOffline(false);
  });
});
