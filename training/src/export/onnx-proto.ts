/**
 * The ONNX model files we write and read back, through `onnx-proto` (protobufjs code generated from onnx.proto3,
 * ONNX v1.10.2's schema): our small Graph/Node/Tensor structures to and from ModelProto bytes.
 */
import { createRequire } from 'node:module';
import type { onnx as pb } from 'onnx-proto';

// onnx-proto is CommonJS with `module.exports = root`: Node's ESM loader (tsx, vitest) cannot see `onnx` as a
// named export, so it is required.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

const TensorType = onnx.TensorProto.DataType;
export const DataType = { FLOAT: TensorType.FLOAT, UINT8: TensorType.UINT8, INT8: TensorType.INT8, INT32: TensorType.INT32, INT64: TensorType.INT64 } as const;
const AttrType = onnx.AttributeProto.AttributeType;

/** ir_version 7 (the opset 13 era). */
const IR_VERSION = 7;

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

export interface EncodeOptions {
  opset?: number;
  producer?: string;
  docString?: string;
  metadata?: Record<string, string>;
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

export function tensorToFloat32(t: Tensor): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new Error(`tensor ${t.name} is not float32`);
  return new Float32Array(t.raw.buffer.slice(t.raw.byteOffset, t.raw.byteOffset + t.raw.byteLength));
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function tensorMessage(t: Tensor): pb.ITensorProto {
  return { dims: t.dims, dataType: t.dataType, name: t.name, rawData: t.raw };
}

function attributeMessage(name: string, v: AttrValue): pb.IAttributeProto {
  if (typeof v === 'number') return { name, i: v, type: AttrType.INT };
  // A string in a protobufjs bytes field would be read as base64: UTF-8 bytes it is.
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

/**
 * Every graph input, initializer and node output has its own name. A repeated initializer is one ONNX Runtime
 * takes as a graph input ("Initializer … appears in graph inputs and will not be treated as constant value/weight")
 * and keeps only the last of, so it is refused here rather than left to a warning at load time.
 */
function checkUniqueNames(graph: Graph): void {
  const seen = new Map<string, string>();
  const add = (name: string, what: string): void => {
    const before = seen.get(name);
    if (before) throw new Error(`ONNX graph ${graph.name}: "${name}" is both ${before} and ${what}; every input, initializer and node output needs its own name`);
    seen.set(name, what);
  };
  for (const v of graph.inputs) add(v.name, 'a graph input');
  for (const t of graph.initializers) add(t.name, 'an initializer');
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => add(o, `an output of node ${n.name ?? `${n.op}_${i}`}`)));
}

export function encodeModel(graph: Graph, opts: EncodeOptions = {}): Uint8Array {
  checkUniqueNames(graph);
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

/** A 64-bit integer as protobufjs decodes it: a number, or a Long (protobufjs 6 brings the `long` package). */
type Int64 = number | { toNumber(): number };
const toNumber = (v: Int64 | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

function decodeTensor(t: pb.ITensorProto): Tensor {
  const name = t.name ?? '';
  const typed = [t.floatData, t.int32Data, t.int64Data, t.doubleData, t.uint64Data, t.stringData].some((d) => d?.length);
  if (typed && !t.rawData?.length) throw new Error(`ONNX tensor ${name}: values in typed fields, not raw_data (not a file this exporter wrote)`);
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
    shape: (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue))),
  };
}

/** Decodes an ONNX model into the structures encodeModel takes (for the kinds of values this exporter writes). */
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

/** Reads the graph initializers (name, type, dims, raw bytes) back from an ONNX model file. */
export function readInitializers(model: Uint8Array): Map<string, Tensor> {
  return new Map(decodeModel(model).graph.initializers.map((t) => [t.name, t]));
}
