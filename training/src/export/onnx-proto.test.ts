import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainTinyModel } from '../tiny.ts';
import type { ModelWeights } from '../model.ts';
import { buildGraph, type Quantization } from './graph.ts';
import { DataType, decodeModel, encodeModel, encodeModelWithLibrary, floatTensor, int64Tensor, int8Tensor, type EncodeOptions, type Graph, type Tensor } from './onnx-proto.ts';

// The graphs the export tests build: the three tiny architectures of export.test.ts, fp32 and every int8 scheme.
const ARCHS = [
  ['plain', { attention: false, hidden: 0, negationScope: 0, calibrate: false }],
  ['attention + hidden layer', { attention: true, hidden: 8 }],
  ['attention + negation scope', { attention: true, hidden: 0, negationScope: 3 }],
] as const;
const QUANTIZATIONS: Quantization[] = ['none', 'per-tensor', 'per-column', 'per-row'];

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

describe('hand-made protobuf writer vs the onnx-proto library', () => {
  const weights = new Map<string, ModelWeights>();
  beforeAll(() => {
    for (const [name, arch] of ARCHS) weights.set(name, trainTinyModel({ rows: 3000, seed: 2, ...arch }).weights);
  }, 120_000);

  for (const [name] of ARCHS) {
    for (const q of QUANTIZATIONS) {
      it(`${name}, ${q}: byte-identical encodings, and the library decodes them to the graph`, () => {
        const w = weights.get(name)!;
        const graph = buildGraph(w, q);
        const opts: EncodeOptions = { metadata: { architecture: 'embedding-bag-v1', shape: JSON.stringify(w.shape), ...(q === 'none' ? {} : { quantization: q }) } };
        const hand = encodeModel(graph, opts);
        const lib = encodeModelWithLibrary(graph, opts);
        const identical = Buffer.from(hand).equals(Buffer.from(lib));
        console.log(`${name}, ${q}: ${hand.length} B hand-made, ${lib.length} B library, ${identical ? 'byte-identical' : 'bytes differ'}`);
        // Value for value: both files decode (with the library) to the same model, and that model is the graph.
        const fromHand = decodeModel(hand);
        const fromLib = decodeModel(lib);
        expect({ ...fromLib, graph: comparable(fromLib.graph) }).toEqual({ ...fromHand, graph: comparable(fromHand.graph) });
        expect(comparable(fromHand.graph)).toEqual(comparable(graph));
        expect(fromHand.metadata).toEqual(opts.metadata);
        expect(fromHand.opsets).toEqual([{ domain: '', version: 13 }]);
        expect(fromHand.irVersion).toBe(7);
        expect(identical).toBe(true);
      });
    }
  }

  it('a graph with every attribute kind, unnamed nodes, fixed and symbolic dims, a doc string and another opset', () => {
    const graph: Graph = {
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
    const opts: EncodeOptions = { opset: 17, producer: 'test', docString: 'doc', metadata: { a: '1', 'ü': 'ß' } };
    const hand = encodeModel(graph, opts);
    const lib = encodeModelWithLibrary(graph, opts);
    expect(Buffer.from(lib).equals(Buffer.from(hand))).toBe(true);
    const back = decodeModel(lib);
    expect(comparable(back.graph)).toEqual(comparable(graph));
    expect(back).toMatchObject({ irVersion: 7, producer: 'test', producerVersion: '0.1.0', docString: 'doc', opsets: [{ domain: '', version: 17 }], metadata: opts.metadata });
  });
});
