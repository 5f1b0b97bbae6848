import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainTinyModel } from '../../test/tiny.ts';
import type { ModelWeights } from '../model.ts';
import { buildGraph, type Quantization } from './graph.ts';
import { DataType, decodeModel, encodeModel, floatTensor, int64Tensor, int8Tensor, readInitializers, tensorToFloat32, type DecodedModel, type EncodeOptions, type Graph, type Tensor } from './onnx-proto.ts';

/** A tensor with its raw bytes as a sha256 (a deep toEqual over a megabyte array element by element takes seconds). */
const digest = (t: Tensor) => ({ ...t, raw: createHash('sha256').update(t.raw).digest('hex') });

/**
 * The graph as it comes back from a file, comparable with toEqual: every node named (encodeModel names unnamed
 * nodes op_index), tensor bytes as digests.
 */
function comparable(g: Graph) {
  return {
    ...g,
    nodes: g.nodes.map((n, i) => ({
      ...n,
      name: n.name ?? `${n.op}_${i}`,
      ...(n.attrs ? { attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, typeof v === 'object' && 'tensor' in v ? { tensor: digest(v.tensor) } : v])) } : {}),
    })),
    initializers: g.initializers.map(digest),
  };
}

// Every attribute kind, unnamed nodes, fixed and symbolic dims, int64 extremes, a doc string and another opset.
const EVERY_KIND: Graph = {
  name: 'every-kind',
  nodes: [
    { op: 'Constant', inputs: [], outputs: ['t'], attrs: { value: { tensor: floatTensor('t', [2], Float32Array.of(1.5, -2)) } } },
    { op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], name: 'leaky', attrs: { alpha: { float: 0.25 } } },
    { op: 'ReduceSum', inputs: ['y'], outputs: ['z'], attrs: { keepdims: 0, axes: [1, -1] } },
    { op: 'Cast', inputs: ['z'], outputs: ['w'], attrs: { to: DataType.INT64, mode: 'Café ✓' } },
  ],
  initializers: [int64Tensor('big', [3], [-1, 0, 9223372036854775807n]), int8Tensor('q', [2, 2], Int8Array.of(-128, 127, 0, 1)), floatTensor('scalar', [], Float32Array.of(Math.PI))],
  inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }],
  outputs: [{ name: 'w', elemType: DataType.INT64, shape: ['batch'] }],
};
const EVERY_KIND_OPTS: EncodeOptions = { opset: 17, producer: 'test', docString: 'doc', metadata: { a: '1', ü: 'ß' } };
// EVERY_KIND encoded by the hand-made protobuf writer this module had before onnx-proto (commit 975176c, where a
// test showed the two byte-identical on this graph and on every tiny-model graph below).
const EVERY_KIND_BYTES =
  'CAcSBHRlc3QaBTAuMS4wMgNkb2M66wIKORIBdBoKQ29uc3RhbnRfMCIIQ29uc3RhbnQqHgoFdmFsdWUqEgoBAhABQgF0SggAAMA/AAAAwKABBAopCgF4EgF5GgVsZWFreSIJTGVha3lSZWx1Kg8KBWFscGhhFQAAgD6gAQEKRwoBeRIBehoLUmVkdWNlU3VtXzIiCVJlZHVjZVN1bSoPCghrZWVwZGltcxgAoAECKhYKBGF4ZXNCCwH///////////8BoAEHCjUKAXoSAXcaBkNhc3RfMyIEQ2FzdCoJCgJ0bxgHoAECKhQKBG1vZGUiCUNhZsOpIOKck6ABAxIKZXZlcnkta2luZCokCgEDEAdCA2JpZ0oY//////////8AAAAAAAAAAP////////9/Kg8KAgICEANCAXFKBIB/AAEqEBABQgZzY2FsYXJKBNsPSUBaGAoBeBITChEIARINCgcSBWJhdGNoCgIIBGIUCgF3Eg8KDQgHEgkKBxIFYmF0Y2hCBAoAEBFyBgoBYRIBMXIICgLDvBICw58=';

describe('ONNX model files through onnx-proto', () => {
  it('writes the every-kind graph byte for byte as the hand-made writer did, and reads it back', () => {
    const bytes = encodeModel(EVERY_KIND, EVERY_KIND_OPTS);
    expect(Buffer.from(bytes).toString('base64')).toBe(EVERY_KIND_BYTES);
    const back = decodeModel(bytes);
    expect(comparable(back.graph)).toEqual(comparable(EVERY_KIND));
    expect(back).toMatchObject({ irVersion: 7, producer: 'test', producerVersion: '0.1.0', docString: 'doc', opsets: [{ domain: '', version: 17 }], metadata: EVERY_KIND_OPTS.metadata });
    const inits = readInitializers(bytes);
    expect([...inits.keys()]).toEqual(['big', 'q', 'scalar']);
    expect(inits.get('big')).toMatchObject({ dataType: DataType.INT64, dims: [3] });
    expect(Array.from(new BigInt64Array(inits.get('big')!.raw.slice().buffer))).toEqual([-1n, 0n, 9223372036854775807n]);
    expect(Array.from(new Int8Array(inits.get('q')!.raw.slice().buffer))).toEqual([-128, 127, 0, 1]);
    expect(inits.get('scalar')!.dims).toEqual([]);
    expect(tensorToFloat32(inits.get('scalar')!)[0]).toBe(Math.fround(Math.PI));
  });

  it('refuses a name used twice (a repeated initializer loads as a graph input, with a warning, in ONNX Runtime)', () => {
    const twice = (g: Partial<Graph>): Graph => ({ ...EVERY_KIND, ...g });
    expect(() => encodeModel(twice({ initializers: [...EVERY_KIND.initializers, int64Tensor('big', [1], [-1])] }))).toThrow(/"big" is both an initializer and an initializer/);
    expect(() => encodeModel(twice({ initializers: [...EVERY_KIND.initializers, floatTensor('x', [1], Float32Array.of(0))] }))).toThrow(/"x" is both a graph input and an initializer/);
    expect(() => encodeModel(twice({ nodes: [...EVERY_KIND.nodes, { op: 'Identity', inputs: ['x'], outputs: ['q'] }] }))).toThrow(/"q" is both an initializer and an output of node Identity_4/);
  });

  it('a truncated file is an error, never a smaller graph', () => {
    const bytes = encodeModel(EVERY_KIND, EVERY_KIND_OPTS);
    // Protobuf has no end marker: a cut after the graph (before the opset and metadata that follow it) still
    // decodes, but then to the whole graph; every cut inside it throws.
    const decodable: number[] = [];
    for (let n = 0; n < bytes.length; n++) {
      let back: DecodedModel;
      try {
        back = decodeModel(bytes.subarray(0, n));
      } catch (e) {
        expect((e as Error).message, `first ${n} bytes`).toMatch(/index out of range|no graph/);
        continue;
      }
      decodable.push(n);
      expect(comparable(back.graph), `first ${n} bytes`).toEqual(comparable(EVERY_KIND));
    }
    expect(decodable.length).toBeLessThan(4);
    expect(decodable[0]).toBeGreaterThan(bytes.length - 30);
  });
});

// The graphs the export tests build: the five tiny architectures of export.test.ts, fp32 and every int8 scheme.
const ARCHS = [
  ['plain', { attention: false, hidden: 0, negationScope: 0, calibrate: false }],
  ['attention + hidden layer', { attention: true, hidden: 8 }],
  ['attention + negation scope', { attention: true, hidden: 0, negationScope: 3 }],
  ['attention + negation scope + contrast', { attention: true, hidden: 0, negationScope: 3, contrastWindow: 6 }],
  ['attention + negation scope + contrast + intensity', { attention: true, hidden: 0, negationScope: 3, contrastWindow: 6, intensityWindow: 2 }],
] as const;
const QUANTIZATIONS: Quantization[] = ['none', 'per-tensor', 'per-column', 'per-row'];

describe('exported graphs decode to the Graph they were written from', () => {
  const weights = new Map<string, ModelWeights>();
  beforeAll(() => {
    for (const [name, arch] of ARCHS) weights.set(name, trainTinyModel({ rows: 3000, seed: 2, ...arch }).weights);
  }, 120_000);

  for (const [name] of ARCHS) {
    it(`${name}: fp32 and int8 (${QUANTIZATIONS.slice(1).join(', ')}), every node, attribute, initializer, input and output`, () => {
      const w = weights.get(name)!;
      for (const q of QUANTIZATIONS) {
        const graph = buildGraph(w, q);
        const metadata = { architecture: 'embedding-bag-v1', shape: JSON.stringify(w.shape), ...(q === 'none' ? {} : { quantization: q }) };
        const back = decodeModel(encodeModel(graph, { metadata }));
        expect(comparable(back.graph), q).toEqual(comparable(graph));
        expect(back, q).toMatchObject({ irVersion: 7, producer: 'sentiment-edge', opsets: [{ domain: '', version: 13 }], metadata });
      }
    });
  }
});
