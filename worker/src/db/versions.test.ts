/** Data functions for models and versions, called directly against the local D1 (no HTTP). */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILES, describeFiles, makeDraft, rejectsWith, uniqueName } from '../../test/helpers.ts';
import { archiveVersion, createVersion, finalizeVersion, getModel, getVersion, listModels, listVersions, resolveRef } from './versions.ts';
import { forgetFileUpload, getServedFile, servedObjectKeys, listFiles, markFileUploaded } from './version-files.ts';
import { setAlias } from './aliases.ts';

const db = () => env.DB;

async function pendingVersion(name: string, version?: number) {
  const files = await describeFiles(DEFAULT_FILES);
  return createVersion(db(), makeDraft(name, files, version ? { version } : {}), '2026-01-01T00:00:00.000Z');
}

it('finalizing one model leaves other models untouched', async () => {
  const [a, b] = [uniqueName(), uniqueName()];
  await pendingVersion(b);
  await readyVersion(a);
  expect(await getModel(db(), b)).toBeNull();
  const row = await db().prepare('SELECT updated_at FROM models WHERE name = ?1').bind(b).first<{ updated_at: string }>();
  expect(row?.updated_at).toBe('2026-01-01T00:00:00.000Z');
});

/** The R2 keys recorded for a version's files (what the finalize route has just checked in R2). */
const recordedKeys = async (name: string, version: number) => new Map((await listFiles(db(), name, version)).map((f) => [f.path, f.object_key]));

async function readyVersion(name: string) {
  const m = await pendingVersion(name);
  for (const f of m.files) await markFileUploaded(db(), name, m.version, f.path, f.sha256);
  return finalizeVersion(db(), name, m.version, await recordedKeys(name, m.version));
}

describe('createVersion', () => {
  it('stores a pending version and its declared files', async () => {
    const name = uniqueName();
    const m = await pendingVersion(name);
    expect(m).toMatchObject({ name, version: 1, status: 'pending', bytes: 29, createdAt: '2026-01-01T00:00:00.000Z' });
    expect(await getVersion(db(), name, 1)).toBeNull();
    expect(await getVersion(db(), name, 1, { includePending: true })).toEqual(m);
    const files = await listFiles(db(), name, 1);
    expect(files.map((f) => [f.path, f.uploaded_sha256])).toEqual([
      ['config.json', null],
      ['onnx/model.onnx', null],
    ]);
  });

  it('keeps the suite summary of a draft that has one (and none for one without)', async () => {
    const name = uniqueName();
    const files = await describeFiles(DEFAULT_FILES);
    const suite = {
      sets: [{ set: 'uci/imdb', scoring: 'polar' as const, rows: 996, accuracy: 0.84, macroF1: 0.84, recall: { negative: 0.8, positive: 0.88 }, ece: 0.05 }],
      evaluationOnlyMeanMacroF1: 0.8,
      worst: { set: 'finance/test (polar)', macroF1: 0.55 },
      checklist: null,
    };
    const m = await createVersion(db(), { ...makeDraft(name, files), suite });
    expect((await getVersion(db(), name, m.version, { includePending: true }))?.suite).toEqual(suite);
    const plain = await pendingVersion(name);
    expect((await getVersion(db(), name, plain.version, { includePending: true }))?.suite).toBeUndefined();
  });

  it('numbers versions after the highest one and refuses duplicates with 409', async () => {
    const name = uniqueName();
    await pendingVersion(name, 3);
    expect((await pendingVersion(name)).version).toBe(4);
    const e = await rejectsWith(pendingVersion(name, 3));
    expect(e.status).toBe(409);
  });

  it('assigns distinct numbers to concurrent creates', async () => {
    const name = uniqueName();
    const made = await Promise.all([1, 2, 3, 4].map(() => pendingVersion(name)));
    expect(made.map((m) => m.version).sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('finalizeVersion', () => {
  it('requires every file verified, then flips pending → ready exactly once', async () => {
    const name = uniqueName();
    const m = await pendingVersion(name);
    const [a, b] = m.files;
    expect((await rejectsWith(finalizeVersion(db(), name, 1, new Map()))).details).toEqual({ missing: ['config.json', 'onnx/model.onnx'] });
    await markFileUploaded(db(), name, 1, a!.path, a!.sha256, 'k/a');
    // A wrong hash recorded for b (cannot happen through the route, which refuses it) still blocks.
    await markFileUploaded(db(), name, 1, b!.path, 'f'.repeat(64), 'k/b1');
    const e = await rejectsWith(finalizeVersion(db(), name, 1, await recordedKeys(name, 1)));
    expect(e.code).toBe('upload_incomplete');
    expect(e.details).toEqual({ missing: ['onnx/model.onnx'] });
    // Re-uploading b reports the key it replaced (to delete); the recorded keys are the new ones.
    expect(await markFileUploaded(db(), name, 1, b!.path, b!.sha256, 'k/b2')).toEqual({ recorded: true, replacedKey: 'k/b1' });
    // Keys checked before that upload no longer match what is recorded: refused.
    const stale = new Map([[a!.path, 'k/a'], [b!.path, 'k/b1']]);
    expect((await rejectsWith(finalizeVersion(db(), name, 1, stale))).details).toEqual({ missing: ['onnx/model.onnx'] });
    const ready = await finalizeVersion(db(), name, 1, await recordedKeys(name, 1), '2026-02-01T00:00:00.000Z');
    expect(ready.status).toBe('ready');
    expect(await getModel(db(), name)).toMatchObject({ createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z' });
    expect((await rejectsWith(finalizeVersion(db(), name, 1, await recordedKeys(name, 1)))).status).toBe(409);
    expect(await markFileUploaded(db(), name, 1, a!.path, a!.sha256, 'k/a2')).toEqual({ recorded: false, replacedKey: null });
    expect(await servedObjectKeys(db(), name, 1)).toEqual(new Map([[a!.path, 'k/a'], [b!.path, 'k/b2']]));
    expect((await rejectsWith(finalizeVersion(db(), name, 9, new Map()))).status).toBe(404);
  });

  it('forgets an upload only while it is still the recorded one; files uploaded before 0003 keep their old key', async () => {
    const name = uniqueName();
    const m = await pendingVersion(name);
    const [a, b] = m.files;
    await markFileUploaded(db(), name, 1, a!.path, a!.sha256, 'k/a1');
    await markFileUploaded(db(), name, 1, a!.path, a!.sha256, 'k/a2');
    await forgetFileUpload(db(), name, 1, a!.path, 'k/a1'); // an older key: nothing happens
    expect((await listFiles(db(), name, 1)).find((f) => f.path === a!.path)).toMatchObject({ uploaded_sha256: a!.sha256, object_key: 'k/a2' });
    await forgetFileUpload(db(), name, 1, a!.path, 'k/a2');
    expect((await listFiles(db(), name, 1)).find((f) => f.path === a!.path)).toMatchObject({ uploaded_sha256: null });
    // No key recorded (uploaded before migration 0003): the legacy key models/<name>/<version>/<path>.
    await markFileUploaded(db(), name, 1, b!.path, b!.sha256);
    expect((await listFiles(db(), name, 1)).find((f) => f.path === b!.path)?.object_key).toBe(`models/${name}/1/${b!.path}`);
    expect(await getServedFile(db(), name, 1, b!.path)).toBeNull(); // still pending: not served
  });
});

describe('reads', () => {
  it('summarizes models and lists visible versions newest first', async () => {
    const name = uniqueName();
    await readyVersion(name);
    await readyVersion(name);
    await pendingVersion(name);
    expect((await listVersions(db(), name)).map((m) => m.version)).toEqual([2, 1]);
    await setAlias(db(), { name, alias: 'champion', version: 2 });
    expect(await getModel(db(), name)).toMatchObject({ name, versionCount: 2, latestVersion: 2, aliases: { champion: 2 } });
    expect((await listModels(db())).find((m) => m.name === name)).toMatchObject({ versionCount: 2 });
    expect((await resolveRef(db(), name, 'champion')).version).toBe(2);
    expect((await resolveRef(db(), name, '1')).version).toBe(1);
    expect((await rejectsWith(resolveRef(db(), name, '3'))).status).toBe(404);
    expect((await rejectsWith(resolveRef(db(), name, 'challenger'))).status).toBe(404);
  });

  it('does not list a model whose only version is pending', async () => {
    const name = uniqueName();
    await pendingVersion(name);
    expect(await getModel(db(), name)).toBeNull();
    expect((await listModels(db())).map((m) => m.name)).not.toContain(name);
  });
});

describe('archiveVersion', () => {
  it('refuses while aliased, archives after, and is idempotent', async () => {
    const name = uniqueName();
    await readyVersion(name);
    await readyVersion(name);
    await setAlias(db(), { name, alias: 'champion', version: 1 });
    const e = await rejectsWith(archiveVersion(db(), name, 1));
    expect(e.status).toBe(409);
    expect(e.details).toEqual({ aliases: ['champion'] });
    await setAlias(db(), { name, alias: 'champion', version: 2 });
    expect((await archiveVersion(db(), name, 1)).status).toBe('archived');
    expect((await archiveVersion(db(), name, 1)).status).toBe('archived');
    expect((await getModel(db(), name))?.versionCount).toBe(1);
  });
});
