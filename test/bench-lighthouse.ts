/**
 * Lighthouse and axe benchmark (not a test): the built app (web/dist) served by the local Worker
 * (wrangler dev) with a tiny model published, audited by Lighthouse 12.2.3 in Debian's Chromium
 * (headless, --no-sandbox), mobile and desktop presets, and by axe-core on the main screen, the main
 * screen with the model card open, and the dashboard after a few saved predictions.
 *   pnpm --filter @sentiment-edge/web bench      (builds web/, then runs this file after bench-pwa.ts)
 * Writes bench-results/lighthouse.json and prints a table. Targets (issue 12): performance ≥ 95 desktop /
 * ≥ 90 mobile, accessibility 100, best practices 100, SEO 100, CLS ≤ 0.05; axe: no serious/critical.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { CHROMIUM, launchBrowser, predictText, publishTiny, waitForEngine } from './src/browser.ts';
import { runAxe, seriousOrCritical, type AxeViolation } from './src/axe.ts';
import { REPO_ROOT, startLocalWorker } from '@sentiment-edge/worker/local';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;

/** Debian's Chromium with a DevTools port for Lighthouse; resolves once it listens. */
async function startChromium(): Promise<{ port: number; stop: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'lh-chromium-'));
  const proc: ChildProcess = spawn(
    CHROMIUM,
    ['--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${err.slice(-500)}`)));
  });
  let stopped: Promise<void> | null = null;
  return {
    port,
    // Waits for the browser to exit before removing its profile (it writes until then); once only.
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill();
      }).then(() => rmSync(profile, { recursive: true, force: true }))),
  };
}

interface LighthouseRun {
  scores: Record<(typeof CATEGORIES)[number], number>;
  cls: number;
  fcpMs: number;
  lcpMs: number;
  tbtMs: number;
  /** Audits that scored below 1 in accessibility, best practices and SEO (id: title). */
  failing: string[];
  /** Main-thread time by script (bootup-time), largest first: where TBT comes from. */
  scriptsMs: { url: string; totalMs: number; scriptingMs: number }[];
  /** Main-thread time by kind of work (mainthread-work-breakdown), largest first. */
  mainThreadMs: Record<string, number>;
  /** The ten longest main-thread tasks (long-tasks): script, start and duration in ms. */
  longTasks: { url: string; startMs: number; durationMs: number }[];
}

async function audit(url: string, port: number, preset: 'mobile' | 'desktop'): Promise<LighthouseRun> {
  const flags = { port, output: 'json' as const, logLevel: 'error' as const, onlyCategories: [...CATEGORIES] };
  const r = await lighthouse(url, flags, preset === 'desktop' ? desktopConfig : undefined);
  if (!r) throw new Error('lighthouse returned nothing');
  const lhr = r.lhr;
  if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const score = (c: string) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
  const failing = CATEGORIES.filter((c) => c !== 'performance').flatMap((c) =>
    (lhr.categories[c]?.auditRefs ?? [])
      .filter((a) => a.weight > 0 && (lhr.audits[a.id]?.score ?? 1) < 1)
      .map((a) => `${c}/${a.id}: ${lhr.audits[a.id]!.title}`),
  );
  const num = (id: string) => Math.round((lhr.audits[id]?.numericValue ?? NaN) * 1000) / 1000;
  return {
    scores: Object.fromEntries(CATEGORIES.map((c) => [c, score(c)])) as LighthouseRun['scores'],
    cls: num('cumulative-layout-shift'),
    fcpMs: Math.round(num('first-contentful-paint')),
    lcpMs: Math.round(num('largest-contentful-paint')),
    tbtMs: Math.round(num('total-blocking-time')),
    failing,
    scriptsMs: ((lhr.audits['bootup-time']?.details as { items?: { url: string; total: number; scripting: number }[] } | undefined)?.items ?? [])
      .slice(0, 5)
      .map((i) => ({ url: i.url.replace(/^https?:\/\/[^/]+/, ''), totalMs: Math.round(i.total), scriptingMs: Math.round(i.scripting) })),
    mainThreadMs: Object.fromEntries(
      ((lhr.audits['mainthread-work-breakdown']?.details as { items?: { group: string; duration: number }[] } | undefined)?.items ?? []).map((i) => [i.group, Math.round(i.duration)]),
    ),
    longTasks: ((lhr.audits['long-tasks']?.details as { items?: { url: string; startTime: number; duration: number }[] } | undefined)?.items ?? [])
      .slice(0, 10)
      .map((i) => ({ url: i.url.replace(/^https?:\/\/[^/]+/, ''), startMs: Math.round(i.startTime), durationMs: Math.round(i.duration) })),
  };
}

type AxeView = { view: string; violations: AxeViolation[]; seriousOrCritical: number };

/** axe-core on each view, in Playwright's Chromium at phone size (390 × 844). */
async function axeViews(url: string): Promise<AxeView[]> {
  const browser = await launchBrowser();
  try {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await page.goto(url + '/?backend=wasm');
    await waitForEngine(page, 'ready');
    const out: AxeView[] = [];
    const record = async (view: string) => {
      const violations = await runAxe(page);
      out.push({ view, violations, seriousOrCritical: seriousOrCritical(violations).length });
    };
    await record('main');
    await page.locator('summary', { hasText: 'Model card' }).click();
    await page.locator('[data-testid="model-card"]').waitFor();
    await record('main, model card open');
    for (const t of ['a great fun film', 'awful , boring', 'not bad at all']) await predictText(page, t, true);
    await page.locator('[data-testid="to-dashboard"]').click();
    await page.locator('[data-testid="dash-total"]').waitFor();
    await page.locator('[data-testid="chart-versions"]').waitFor();
    await record('dashboard');
    // For the README: the dashboard on a phone.
    await page.screenshot({ path: join(REPO_ROOT, 'bench-results/dashboard-phone.png'), fullPage: true });
    return out;
  } finally {
    await browser.close();
  }
}

async function main() {
  const worker = await startLocalWorker();
  const chromium = await startChromium();
  try {
    await publishTiny(worker.url, worker.token, 'sentiment', 7);
    const url = worker.url;
    const loadBefore = loadavg()[0]!;
    const mobile = await audit(url + '/', chromium.port, 'mobile');
    const desktop = await audit(url + '/', chromium.port, 'desktop');
    await chromium.stop();
    const axe = await axeViews(url);
    const result = {
      when: new Date().toISOString(),
      // Lighthouse's performance score depends on the machine being otherwise idle (TBT, FCP are measured).
      loadAverage1m: { beforeLighthouse: Math.round(loadBefore * 10) / 10, after: Math.round(loadavg()[0]! * 10) / 10, cpus: (await import('node:os')).cpus().length },
      lighthouse: { version: '12.2.3', browser: 'Debian Chromium headless (--no-sandbox)', url: '/ (wrangler dev serving web/dist, tiny model published)', mobile, desktop },
      targets: { performance: { desktop: 95, mobile: 90 }, accessibility: 100, bestPractices: 100, seo: 100, clsMax: 0.05 },
      axe,
    };
    mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'bench-results/lighthouse.json'), JSON.stringify(result, null, 2) + '\n');
    const row = (r: LighthouseRun) => ({
      performance: r.scores.performance,
      accessibility: r.scores.accessibility,
      'best practices': r.scores['best-practices'],
      SEO: r.scores.seo,
      CLS: r.cls,
      'FCP ms': r.fcpMs,
      'LCP ms': r.lcpMs,
      'TBT ms': r.tbtMs,
    });
    console.table({ 'Lighthouse mobile': row(mobile), 'Lighthouse desktop': row(desktop) });
    console.log(`  load average (1 min) ${result.loadAverage1m.beforeLighthouse} → ${result.loadAverage1m.after} on ${result.loadAverage1m.cpus} CPUs`);
    for (const [preset, r] of [['mobile', mobile], ['desktop', desktop]] as const) for (const f of r.failing) console.log(`  ${preset}: ${f}`);
    console.table(Object.fromEntries(axe.map((a) => [`axe: ${a.view}`, { violations: a.violations.length, 'serious/critical': a.seriousOrCritical, ids: a.violations.map((v) => `${v.id} (${v.impact})`).join(', ') }])));
  } finally {
    await chromium.stop().catch(() => {});
    await worker.stop();
  }
}

await main();
