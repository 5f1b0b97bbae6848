/**
 * Reliability under load and faults, against the real Worker (`wrangler dev`: local D1/R2 in workerd,
 * real HTTP with keep-alive connections), bounded in count and time, loopback only:
 * - concurrent cold loads of several versions under background load (once: plain-text 500s
 *   "Cannot perform I/O on behalf of a different request");
 * - ≥ 10,000 /predict requests at 32 connections while `champion` flips between two versions 20
 *   times (with and without reload) and a third version is published: no 5xx, every answer names a
 *   version that was champion during the run, and history holds exactly one row per answer;
 * - finalize racing uploads and archive racing alias moves never leave a broken state.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { RegistryClient, type HistoryPage } from '@sentiment-edge/registry';
import { DATA_DIR } from '@sentiment-edge/training';
import { sharedTinyModel } from './src/tiny-models.ts';
import { modelFiles, versionDraft } from '@sentiment-edge/training/publish';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';

let worker: LocalWorker;
let dir: string;
let client: RegistryClient;
let agent: http.Agent;

interface Answer {
  status: number;
  body: string;
}

/** One request on the keep-alive agent (32 sockets), as a browser or a load balancer would send them. */
function request(method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const u = new URL(worker.url + path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = {};
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: u.hostname, port: u.port, method, path: u.pathname + u.search, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end(payload);
  });
}

async function publishCopy(name: string): Promise<number> {
  const { draft, files } = await versionDraft(dir, name, { data: join(DATA_DIR, 'sst2/validation.csv') });
  return (await client.publish(draft, files)).version;
}

async function historyRows(model: string): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page: HistoryPage = await client.history({ model, n: 500, ...(cursor ? { cursor } : {}) });
    n += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

beforeAll(async () => {
  dir = sharedTinyModel(11);
  worker = await startLocalWorker();
  client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
  agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
});

afterAll(async () => {
  agent?.destroy();
  await worker?.stop();
});

describe('under load, with faults', () => {
  it('concurrent cold loads of 6 versions (more than the session cache holds) under background load: every answer is JSON 200', async () => {
    const name = 'cold';
    const versions: number[] = [];
    for (let i = 0; i < 6; i++) versions.push(await publishCopy(name));
    await client.setAlias(name, 'champion', { version: versions[0]! });
    let busy = true;
    const background = Promise.all(Array.from({ length: 8 }, async () => {
      while (busy) await request('POST', '/api/v1/predict', { text: 'background traffic', model: name }, worker.token);
    }));
    const bad: string[] = [];
    let answered = 0;
    for (let b = 0; b < 24; b++) {
      const v = versions[b % 6]!;
      const burst = await Promise.all(Array.from({ length: 8 }, () => request('POST', '/api/v1/predict', { text: `burst ${b}`, model: `${name}@${v}` }, worker.token)));
      for (const a of burst) {
        answered++;
        if (a.status !== 200 || JSON.parse(a.body).model.version !== v) bad.push(`${a.status} ${a.body.slice(0, 100)}`);
      }
    }
    busy = false;
    await background;
    expect(answered).toBe(192);
    expect(bad).toEqual([]);
  });

  it('10,000 requests at 32 connections while champion flips 20 times and a version is published: 0 × 5xx, only champions answer, one history row per answer', async () => {
    const name = 'load';
    const [v1, v2] = [await publishCopy(name), await publishCopy(name)];
    await client.setAlias(name, 'champion', { version: v1! });
    const TOTAL = 10_000;
    const statuses = new Map<number, number>();
    const versionsSeen = new Map<number, number>();
    let sent = 0;
    let done = false;
    const started = performance.now();
    const load = Promise.all(Array.from({ length: 32 }, async (_, c) => {
      while (sent < TOTAL) {
        const i = sent++;
        // With the token: the operator's own traffic is not rate limited (wrangler.toml [[ratelimits]]).
        const a = await request('POST', '/api/v1/predict', { text: `request ${i} from client ${c}: a fine, moving film`, model: name }, worker.token);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status === 200) {
          const v = JSON.parse(a.body).model.version as number;
          versionsSeen.set(v, (versionsSeen.get(v) ?? 0) + 1);
        }
      }
    })).then(() => (done = true));
    // Faults while the load runs: 20 flips v2, v1, v2, … (flips 0-1, 4-5, 8-9, … followed by a reload, the
    // others left to the alias cache), a third version published.
    let flips = 0;
    let v3: number | undefined;
    while (!done && flips < 20) {
      await new Promise((r) => setTimeout(r, 250));
      await client.setAlias(name, 'champion', { version: flips % 2 ? v1! : v2! });
      if (flips % 4 < 2) await request('POST', '/api/v1/admin/reload', undefined, worker.token);
      flips++;
      if (flips === 10) v3 = await publishCopy(name);
    }
    await load;
    const seconds = (performance.now() - started) / 1000;
    expect(flips).toBe(20);
    expect(v3).toBeGreaterThan(v2!);
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBe(TOTAL);
    expect([...versionsSeen.keys()].every((v) => v === v1 || v === v2)).toBe(true);
    expect(versionsSeen.get(v2!)).toBeGreaterThan(0);
    // History is written after each answer, coalesced per isolate: wait until it is all there.
    let rows = 0;
    for (let i = 0; i < 60 && rows < TOTAL; i++) {
      rows = await historyRows(name);
      if (rows < TOTAL) await new Promise((r) => setTimeout(r, 250));
    }
    expect(rows).toBe(TOTAL);
    console.log(`load: ${TOTAL} requests in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(0)} req/s), ${flips} champion flips, versions answering: ${JSON.stringify(Object.fromEntries(versionsSeen))}`);
  }, 240_000);

  it('finalize racing uploads, archive racing alias moves: never a ready version with a missing or wrong file, never an alias on an archived version', async () => {
    const name = 'race';
    const files = await modelFiles(dir);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const { draft } = await versionDraft(dir, name, { data: join(DATA_DIR, 'sst2/validation.csv') });
    const onnx = 'onnx/model_quantized.onnx';
    const right = files.get(onnx)!;
    const wrong = Uint8Array.from(right, (b, i) => (i === right.length - 1 ? b ^ 1 : b));
    let readyVersions = 0;
    for (let t = 0; t < 10; t++) {
      const described = [...files].map(([path, bytes]) => ({ path, bytes: bytes.byteLength, sha256: sha(bytes) }));
      const v = (await client.createVersion({ ...draft, files: described })).manifest.version;
      for (const [path, bytes] of files) if (path !== onnx) expect((await client.uploadFile(name, v, path, bytes)).path).toBe(path);
      const put = (bytes: Uint8Array) => fetch(`${worker.url}/api/v1/models/${name}/versions/${v}/files/${onnx}`, { method: 'PUT', headers: { authorization: `Bearer ${worker.token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) }).then((r) => r.status);
      // A right and a wrong upload of the same file, and a finalize, all at once.
      const [a, b, fin] = await Promise.all([put(right), put(wrong), request('POST', `/api/v1/models/${name}/versions/${v}/finalize`, undefined, worker.token)]);
      expect(a).toBe(200);
      expect([400, 409]).toContain(b); // refused: wrong bytes, or the version was finalized first
      if (fin.status !== 201) {
        const again = await request('POST', `/api/v1/models/${name}/versions/${v}/finalize`, undefined, worker.token);
        expect(again.status, `first finalize: ${fin.status} ${fin.body}; again: ${again.body}`).toBe(201);
      }
      for (const [path, bytes] of files) {
        const dl = await fetch(`${worker.url}/api/v1/models/${name}/versions/${v}/files/${path}`);
        expect(dl.status).toBe(200);
        expect(sha(new Uint8Array(await dl.arrayBuffer()))).toBe(sha(bytes));
      }
      readyVersions++;
    }
    expect(readyVersions).toBe(10);
    // Archive racing an alias move onto the same version: exactly one wins.
    for (let t = 0; t < 10; t++) {
      const v = await publishCopy(name);
      const [archived, moved] = await Promise.all([
        request('POST', `/api/v1/models/${name}/versions/${v}/archive`, undefined, worker.token),
        request('PUT', `/api/v1/models/${name}/aliases/champion`, { version: v }, worker.token),
      ]);
      const champion = (await client.getAlias(name, 'champion').catch(() => null))?.version;
      const status = (await client.getVersion(name, v)).status;
      if (champion === v) expect([status, archived.status]).toEqual(['ready', 409]);
      else expect([status, archived.status, moved.status >= 400]).toEqual(['archived', 200, true]);
    }
  }, 240_000);
});
