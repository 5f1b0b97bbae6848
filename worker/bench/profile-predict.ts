/**
 * Where a /predict request's time goes inside the Worker: runs the bundled Worker in workerd (no dev
 * proxy) with the V8 inspector open, sends 1000 sequential requests for a tiny real model while the
 * CPU profiler samples the Worker's isolate, and prints self time per function (ms per request).
 * Writes the whole profile to bench-results/predict.cpuprofile (open it in Chrome DevTools).
 *
 *   pnpm --filter @sentiment-edge/worker exec tsx bench/profile-predict.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@sentiment-edge/registry';
import { DATA_DIR } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { versionDraft } from '@sentiment-edge/training/publish';
import { REPO_ROOT, startLocalWorkerd } from '../scripts/local-worker.ts';

const REQUESTS = 1000;
const INSPECTOR_PORT = 9229;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const w = await startLocalWorkerd({ token: 't', inspectorPort: INSPECTOR_PORT });
const dir = mkdtempSync(join(tmpdir(), 'profile-model-'));
try {
  buildTinyModel(dir, { seed: 7 });
  const { draft, files } = await versionDraft(dir, 'profile', { data: join(DATA_DIR, 'sst2/validation.csv') });
  const client = new RegistryClient({ baseUrl: w.url, token: 't' });
  const v = (await client.publish(draft, files)).version;
  await client.setAlias('profile', 'champion', { version: v });
  const body = JSON.stringify({ text: 'A wonderful, heartfelt film with great acting.', model: 'profile' });
  const predict = async () => (await fetch(`${w.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
  for (let i = 0; i < 100; i++) await predict();
  const list = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
  const target = list.find((l) => l.title.includes('sentiment-edge'));
  if (!target) throw new Error(`no inspector target for the Worker among: ${list.map((l) => l.title).join(', ')}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r) => ws.addEventListener('open', r));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const send = <T = unknown>(method: string, params: object = {}) =>
    new Promise<T>((r) => {
      const i = ++id;
      pending.set(i, r as (v: unknown) => void);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 50 });
  await send('Profiler.start');
  const t = performance.now();
  for (let i = 0; i < REQUESTS; i++) await predict();
  const ms = performance.now() - t;
  const { profile } = await send<{ profile: Profile }>('Profiler.stop');
  mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench-results/predict.cpuprofile'), JSON.stringify(profile));
  // Self time per function, summed over the run.
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const dt: number[] = profile.timeDeltas;
  profile.samples.forEach((s, i) => {
    const n = nodes.get(s)!;
    const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`${REQUESTS} requests in ${ms.toFixed(0)} ms (${(ms / REQUESTS).toFixed(2)} ms each, client included); self time per function, ms per request:`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(us / 1000 / REQUESTS).toFixed(3).padStart(8)}  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
  ws.close();
} finally {
  await w.stop();
  rmSync(dir, { recursive: true, force: true });
}
