/** ONNX message builders (field numbers from onnx.proto) on top of the tiny protobuf writer. */
import { createRequire } from 'node:module';
import type { onnx as pb } from 'onnx-proto';
import { ProtoWriter, readFields, readPackedVarints } from './protobuf.ts';

// onnx-proto is CommonJS with `module.exports = root`: Node's ESM loader cannot see `onnx` as a named export.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface Tensor {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian raw bytes. */
  raw: Uint8Array;
}

export type AttrValue = number | number[] | string | { float: number } | { tensor: Tensor };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** number = fixed, string = symbolic (dynamic) dimension. */
  shape: Array<number | string>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export function floatTensor(name: string, dims: number[], data: Float32Array): Tensor {
  return { name, dataType: DataType.FLOAT, dims, raw: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

export function int8Tensor(name: string, dims: number[], data: Int8Array): Tensor {
  return { name, dataType: DataType.INT8, dims, raw: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

export function int64Tensor(name: string, dims: number[], data: ArrayLike<number | bigint>): Tensor {
  const arr = BigInt64Array.from(Array.from(data), (v) => BigInt(v));
  return { name, dataType: DataType.INT64, dims, raw: new Uint8Array(arr.buffer) };
}

function writeTensor(w: ProtoWriter, t: Tensor): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttr(w: ProtoWriter, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'number') {
    w.int(3, v);
    w.int(20, AttrType.INT);
  } else if (typeof v === 'string') {
    w.string(4, v);
    w.int(20, AttrType.STRING);
  } else if (Array.isArray(v)) {
    w.packedInts(8, v);
    w.int(20, AttrType.INTS);
  } else if ('float' in v) {
    w.float(2, v.float);
    w.int(20, AttrType.FLOAT);
  } else {
    w.message(5, (tw) => writeTensor(tw, v.tensor));
    w.int(20, AttrType.TENSOR);
  }
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

export interface EncodeOptions {
  opset?: number;
  producer?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** ir_version 7 (the opset 13 era). */
const IR_VERSION = 7;

export function encodeModel(graph: Graph, opts: EncodeOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, opts.producer ?? 'sentiment-edge');
  w.string(3, '0.1.0');
  if (opts.docString) w.string(6, opts.docString);
  w.message(7, (g) => {
    graph.nodes.forEach((n, i) => {
      g.message(1, (nw) => {
        for (const inp of n.inputs) nw.string(1, inp);
        for (const out of n.outputs) nw.string(2, out);
        nw.string(3, n.name ?? `${n.op}_${i}`);
        nw.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) nw.message(5, (aw) => writeAttr(aw, k, v));
      });
    });
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, opts.opset ?? 13);
  });
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    w.message(14, (m) => {
      m.string(1, k);
      m.string(2, v);
    });
  }
  return w.finish();
}

/** Reads the graph initializers (name, type, dims, raw bytes) back from an ONNX model file. */
export function readInitializers(model: Uint8Array): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const graph = readFields(model).find((f) => f.field === 7)?.bytes;
  if (!graph) throw new Error('ONNX model has no graph');
  for (const f of readFields(graph)) {
    if (f.field !== 5 || !f.bytes) continue;
    const t: Tensor = { name: '', dataType: 0, dims: [], raw: new Uint8Array() };
    for (const tf of readFields(f.bytes)) {
      if (tf.field === 1) {
        if (tf.bytes) t.dims.push(...readPackedVarints(tf.bytes).map(Number));
        else t.dims.push(Number(tf.value));
      } else if (tf.field === 2) t.dataType = Number(tf.value);
      else if (tf.field === 8 && tf.bytes) t.name = new TextDecoder().decode(tf.bytes);
      else if (tf.field === 9 && tf.bytes) t.raw = tf.bytes.slice();
    }
    out.set(t.name, t);
  }
  return out;
}

export function tensorToFloat32(t: Tensor): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new Error(`tensor ${t.name} is not float32`);
  return new Float32Array(t.raw.buffer.slice(t.raw.byteOffset, t.raw.byteOffset + t.raw.byteLength));
}

// ---- The same messages through the `onnx-proto` library (protobufjs 6 code generated from onnx.proto3). ----

/** A 64-bit integer as protobufjs decodes it: a number, or a Long when the `long` package is present. */
type Int64 = number | { toNumber(): number };
const toNumber = (v: Int64 | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function tensorMessage(t: Tensor): pb.ITensorProto {
  return { dims: t.dims, dataType: t.dataType, name: t.name, rawData: t.raw };
}

function attributeMessage(name: string, v: AttrValue): pb.IAttributeProto {
  if (typeof v === 'number') return { name, i: v, type: AttrType.INT };
  if (typeof v === 'string') return { name, s: utf8.encode(v), type: AttrType.STRING };
  if (Array.isArray(v)) return { name, ints: v, type: AttrType.INTS };
  if ('float' in v) return { name, f: v.float, type: AttrType.FLOAT };
  return { name, t: tensorMessage(v.tensor), type: AttrType.TENSOR };
}

function valueInfoMessage(v: ValueInfo): pb.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: v.elemType, shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function encodeModelWithLibrary(graph: Graph, opts: EncodeOptions = {}): Uint8Array {
  const model: pb.IModelProto = {
    irVersion: IR_VERSION,
    producerName: opts.producer ?? 'sentiment-edge',
    producerVersion: '0.1.0',
    ...(opts.docString ? { docString: opts.docString } : {}),
    graph: {
      node: graph.nodes.map((n, i) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attributeMessage(k, v)),
      })),
      name: graph.name,
      initializer: graph.initializers.map(tensorMessage),
      input: graph.inputs.map(valueInfoMessage),
      output: graph.outputs.map(valueInfoMessage),
    },
    opsetImport: [{ domain: '', version: opts.opset ?? 13 }],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}

export interface DecodedModel {
  irVersion: number;
  producer: string;
  producerVersion: string;
  docString?: string;
  opsets: Array<{ domain: string; version: number }>;
  metadata: Record<string, string>;
  graph: Graph;
}

function decodeTensor(t: pb.ITensorProto): Tensor {
  const name = t.name ?? '';
  const typed = [t.floatData, t.int32Data, t.int64Data, t.doubleData, t.uint64Data, t.stringData].some((d) => d?.length);
  if (typed && !t.rawData?.length) throw new Error(`ONNX tensor ${name}: values in typed fields, not raw_data (not written by this exporter)`);
  return { name, dataType: t.dataType ?? 0, dims: (t.dims ?? []).map(toNumber), raw: new Uint8Array(t.rawData ?? []) };
}

function decodeAttribute(a: pb.IAttributeProto): AttrValue {
  switch (a.type) {
    case AttrType.INT:
      return toNumber(a.i);
    case AttrType.INTS:
      return (a.ints ?? []).map(toNumber);
    case AttrType.STRING:
      return fromUtf8.decode(a.s ?? new Uint8Array());
    case AttrType.FLOAT:
      return { float: a.f ?? 0 };
    case AttrType.TENSOR:
      return { tensor: decodeTensor(a.t ?? {}) };
    default:
      throw new Error(`ONNX attribute ${a.name}: type ${a.type} is not one this exporter writes`);
  }
}

function decodeValueInfo(v: pb.IValueInfoProto): ValueInfo {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? '',
    elemType: tensor?.elemType ?? 0,
    shape: (tensor?.shape?.dim ?? []).map((d) => (d.dimParam != null && d.dimParam !== '' ? d.dimParam : toNumber(d.dimValue))),
  };
}

/** Decodes a whole ONNX model into the structures encodeModel takes (what this exporter writes). */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  const m = onnx.ModelProto.decode(bytes);
  if (!m.graph) throw new Error('ONNX model has no graph');
  const g = m.graph;
  return {
    irVersion: toNumber(m.irVersion),
    producer: m.producerName ?? '',
    producerVersion: m.producerVersion ?? '',
    ...(m.docString ? { docString: m.docString } : {}),
    opsets: (m.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
    graph: {
      name: g.name ?? '',
      nodes: (g.node ?? []).map((n) => {
        const attrs = n.attribute ?? [];
        return {
          op: n.opType ?? '',
          inputs: n.input ?? [],
          outputs: n.output ?? [],
          name: n.name ?? '',
          ...(attrs.length ? { attrs: Object.fromEntries(attrs.map((a) => [a.name ?? '', decodeAttribute(a)])) } : {}),
        };
      }),
      initializers: (g.initializer ?? []).map(decodeTensor),
      inputs: (g.input ?? []).map(decodeValueInfo),
      outputs: (g.output ?? []).map(decodeValueInfo),
    },
  };
}
