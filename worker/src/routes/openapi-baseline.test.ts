/**
 * /openapi.json stays a superset of openapi-baseline.json: the document as the Worker served it before the
 * routes moved to one style and the contract moved into registry/ (saved from `buildApp().request('/openapi.json')`).
 * Every baseline path and method is still there with its security, parameters and status codes, and every
 * schema keeps its type, enum, properties and required fields (descriptions and examples may change).
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import baseline from './openapi-baseline.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
interface Doc {
  paths: Record<string, Record<string, Obj>>;
  components?: { schemas?: Record<string, Obj> };
}

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows `#/components/schemas/NAME` references (and single-branch allOf wrappers) to the schema itself. */
function resolve(doc: Doc, schema: Json | undefined): Obj {
  let s = isObj(schema) ? schema : {};
  for (let depth = 0; depth < 20; depth++) {
    const ref = s.$ref;
    if (typeof ref === 'string') {
      s = doc.components?.schemas?.[ref.replace('#/components/schemas/', '')] ?? {};
      continue;
    }
    if (Array.isArray(s.allOf) && s.allOf.length === 1 && Object.keys(s).length === 1) {
      s = isObj(s.allOf[0]) ? s.allOf[0] : {};
      continue;
    }
    break;
  }
  return s;
}

/** The ways `current` fails to cover `base` (empty: it does). */
function missing(baseDoc: Doc, base: Json | undefined, curDoc: Doc, cur: Json | undefined, at: string, seen = new Set<string>()): string[] {
  const b = resolve(baseDoc, base);
  const c = resolve(curDoc, cur);
  const key = `${at}|${JSON.stringify(b)}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const out: string[] = [];
  for (const k of ['type', 'const', 'format'] as const) {
    if (b[k] !== undefined && JSON.stringify(b[k]) !== JSON.stringify(c[k])) out.push(`${at}: ${k} ${JSON.stringify(b[k])} became ${JSON.stringify(c[k])}`);
  }
  if (Array.isArray(b.enum)) {
    const have = new Set((Array.isArray(c.enum) ? c.enum : []).map((v) => JSON.stringify(v)));
    for (const v of b.enum) if (!have.has(JSON.stringify(v))) out.push(`${at}: enum value ${JSON.stringify(v)} is gone`);
  }
  if (Array.isArray(b.required)) {
    const have = new Set(Array.isArray(c.required) ? c.required : []);
    for (const r of b.required) if (!have.has(r)) out.push(`${at}: required field ${String(r)} is gone`);
  }
  if (isObj(b.properties)) {
    const props = isObj(c.properties) ? c.properties : {};
    for (const [name, schema] of Object.entries(b.properties)) {
      if (!(name in props)) out.push(`${at}: property ${name} is gone`);
      else out.push(...missing(baseDoc, schema, curDoc, props[name], `${at}.${name}`, seen));
    }
  }
  for (const k of ['items', 'additionalProperties'] as const) {
    if (isObj(b[k])) out.push(...missing(baseDoc, b[k], curDoc, c[k], `${at}.${k}`, seen));
  }
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = b[k];
    if (!Array.isArray(branches)) continue;
    const theirs = [c.anyOf, c.oneOf, c.allOf].flatMap((x) => (Array.isArray(x) ? x : []));
    branches.forEach((branch, i) => {
      if (!theirs.some((t) => missing(baseDoc, branch, curDoc, t, `${at}.${k}[${i}]`, new Set(seen)).length === 0)) out.push(`${at}: no ${k} branch covers branch ${i}`);
    });
  }
  return out;
}

function operationGaps(baseDoc: Doc, curDoc: Doc, path: string, method: string): string[] {
  const at = `${method.toUpperCase()} ${path}`;
  const b = baseDoc.paths[path]![method]!;
  const c = curDoc.paths[path]?.[method];
  if (!c) return [`${at} is gone`];
  const out: string[] = [];
  if (Array.isArray(b.security) && b.security.length > 0 && !(Array.isArray(c.security) && c.security.length > 0)) out.push(`${at}: security is gone`);
  const params = (op: Obj) => (Array.isArray(op.parameters) ? op.parameters.filter(isObj) : []);
  for (const p of params(b)) {
    const q = params(c).find((x) => x.name === p.name && x.in === p.in);
    if (!q) out.push(`${at}: ${String(p.in)} parameter ${String(p.name)} is gone`);
    else {
      if (p.required === true && q.required !== true) out.push(`${at}: parameter ${String(p.name)} is no longer required`);
      out.push(...missing(baseDoc, p.schema, curDoc, q.schema, `${at} ${String(p.name)}`));
    }
  }
  const content = (x: Json | undefined) => (isObj(x) && isObj(x.content) ? x.content : {});
  const body = (op: Obj) => (isObj(op.requestBody) ? op.requestBody : undefined);
  for (const [type, media] of Object.entries(content(body(b)))) {
    const theirs = content(body(c))[type];
    if (!theirs) out.push(`${at}: request body ${type} is gone`);
    else out.push(...missing(baseDoc, isObj(media) ? media.schema : undefined, curDoc, isObj(theirs) ? theirs.schema : undefined, `${at} body`));
  }
  const responses = (op: Obj) => (isObj(op.responses) ? op.responses : {});
  for (const [status, response] of Object.entries(responses(b))) {
    const theirs = responses(c)[status];
    if (!theirs) {
      out.push(`${at}: status ${status} is gone`);
      continue;
    }
    for (const [type, media] of Object.entries(content(response))) {
      const m = content(theirs)[type];
      if (!m) out.push(`${at} ${status}: ${type} is gone`);
      else out.push(...missing(baseDoc, isObj(media) ? media.schema : undefined, curDoc, isObj(m) ? m.schema : undefined, `${at} ${status}`));
    }
  }
  return out;
}

describe('/openapi.json against the saved baseline', () => {
  it('the baseline is the full document (28 paths, 36 operations)', () => {
    const doc = baseline as unknown as Doc;
    expect(Object.keys(doc.paths)).toHaveLength(28);
    expect(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0)).toBe(36);
  });

  it('documents every baseline operation with the same parameters, bodies, statuses and schema fields', async () => {
    const res = await buildApp().request('/openapi.json');
    expect(res.status).toBe(200);
    const current = (await res.json()) as Doc;
    const base = baseline as unknown as Doc;
    const gaps = Object.entries(base.paths).flatMap(([path, ops]) => Object.keys(ops).flatMap((method) => operationGaps(base, current, path, method)));
    expect(gaps).toEqual([]);
  });

  it('the superset check notices a dropped field, status and route', () => {
    const base = baseline as unknown as Doc;
    const cut = structuredClone(base) as Doc;
    const manifest = cut.components!.schemas!.Manifest!;
    (manifest.required as string[]).splice((manifest.required as string[]).indexOf('bytes'), 1);
    delete (manifest.properties as Obj).bytes;
    delete (cut.paths['/api/v1/models']!.get!.responses as Obj)['200'];
    delete cut.paths['/api/v1/history']!.post;
    const gaps = Object.entries(base.paths).flatMap(([path, ops]) => Object.keys(ops).flatMap((method) => operationGaps(base, cut, path, method)));
    expect(gaps).toContain('GET /api/v1/models: status 200 is gone');
    expect(gaps).toContain('POST /api/v1/history is gone');
    expect(gaps.some((g) => g.endsWith('required field bytes is gone'))).toBe(true);
    expect(gaps.some((g) => g.endsWith('property bytes is gone'))).toBe(true);
  });
});
