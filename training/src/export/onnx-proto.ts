/** ONNX message builders (field numbers from onnx.proto) on top of the tiny protobuf writer. */
import { ProtoWriter, readFields, readPackedVarints } from './protobuf.ts';

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

export function encodeModel(graph: Graph, opts: { opset?: number; producer?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 7); // ir_version 7 (opset 13 era)
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
