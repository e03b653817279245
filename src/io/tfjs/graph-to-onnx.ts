/**
 * A TF.js GraphModel (a frozen TensorFlow GraphDef in JSON, weights holding every Const) as ONNX bytes.
 * It covers the ops tensorflowjs_converter leaves in image CNNs (fused convolutions and matmuls, pooling,
 * batch norm, elementwise math, reshapes); ONNX tensors keep the TF node names. Same layout convention as
 * the Keras converter: rank-4 NHWC tensors are stored channels-first, the rest in TF order.
 */
import { InputError } from '../../errors.js';
import { OnnxGraphBuilder, type OnnxAttribute } from '../onnx/builder.js';
import { ConversionContext, NHWC_TO_NCHW, onnxAxis, toKerasOrder, type Tensor } from './conversion-context.js';
import type { KerasShape } from './keras-topology.js';
import { isRecord, type TfjsModelJson } from './model-json.js';
import { hwioToOihw, slidingWindow } from './window.js';
import type { WeightMap, WeightTensor } from './weights.js';

interface TfAttr {
  list?: { i?: string[]; s?: string[]; f?: number[] };
  s?: string;
  i?: string;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size: string }[]; unknownRank?: boolean };
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** A node's value: a computed tensor of the ONNX graph, or a constant still on the TF side. */
type Value = ({ kind: 'tensor' } & Tensor) | { kind: 'const'; name: string; tensor: WeightTensor };

const OPSET = 13;

class GraphConverter {
  readonly values = new Map<string, Value>();

  constructor(readonly ctx: ConversionContext) {}

  error(node: TfNode, what: string, hint: string): InputError {
    return new InputError(`node '${node.name}' (${node.op}) of ${this.ctx.source} ${what}`, { hint });
  }

  /** The node's inputs without control dependencies; only first outputs (`name` or `name:0`) are supported. */
  inputs(node: TfNode): Value[] {
    return (node.input ?? [])
      .filter((ref) => !ref.startsWith('^'))
      .map((ref) => {
        const [name, index] = ref.split(':') as [string, string | undefined];
        if (index !== undefined && index !== '0')
          throw this.error(
            node,
            `reads output ${index} of '${name}'`,
            'nap converts graphs whose ops read first outputs only',
          );
        const value = this.values.get(name);
        if (!value)
          throw this.error(
            node,
            `reads '${name}', which is not computed before it`,
            'the graph is incomplete; convert the model again',
          );
        return value;
      });
  }

  tensor(node: TfNode, value: Value | undefined): Tensor {
    if (!value || value.kind !== 'tensor')
      throw this.error(
        node,
        'reads a constant where it needs a computed tensor',
        'convert the model again with constant folding',
      );
    return value;
  }

  constant(node: TfNode, value: Value | undefined): WeightTensor {
    if (!value || value.kind !== 'const')
      throw this.error(
        node,
        'reads a computed tensor where it needs a constant (weights, axes or a shape)',
        'nap converts graphs whose weights, axes and shapes are constants',
      );
    return value.tensor;
  }

  ints(node: TfNode, value: Value | undefined): number[] {
    return Array.from(this.constant(node, value).data, Math.round);
  }

  /** A constant operand of an elementwise op with a tensor of rank `rank`, laid out to broadcast against it. */
  operand(value: Extract<Value, { kind: 'const' }>, rank: number): string {
    const { shape, data } = value.tensor;
    if (rank !== 4 || shape.length === 0) return this.ctx.constant(value.name, shape, data);
    const padded = [...new Array<number>(4 - shape.length).fill(1), ...shape];
    const [n, h, w, c] = padded as [number, number, number, number];
    const nchw = new Float32Array(data.length);
    for (let a = 0; a < n; a++) {
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++) nchw[((a * c + k) * h + y) * w + x] = data[((a * h + y) * w + x) * c + k]!;
    }
    return this.ctx.constant(`${value.name}/nchw`, [n, c, h, w], nchw);
  }
}

type OpConverter = (g: GraphConverter, node: TfNode) => KerasShape;

function decode(s: string | undefined): string {
  return s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8');
}

function attrInts(node: TfNode, key: string): number[] | undefined {
  return node.attr?.[key]?.list?.i?.map(Number);
}

/** The [1, h, w, 1] attributes of NHWC ops as [h, w]. */
function spatialPair(g: GraphConverter, node: TfNode, key: string): [number, number] {
  const values = attrInts(node, key) ?? [1, 1, 1, 1];
  if (values.length !== 4) throw g.error(node, `has ${key} [${values.join(', ')}]`, 'nap converts 2-D NHWC ops');
  return [values[1]!, values[2]!];
}

function requireNhwc(g: GraphConverter, node: TfNode): void {
  const format = decode(node.attr?.data_format?.s);
  if (format !== '' && format !== 'NHWC')
    throw g.error(node, `uses data_format ${format}`, 'nap converts NHWC graphs (what tensorflowjs_converter writes)');
}

function imageShape(g: GraphConverter, node: TfNode, x: Tensor): [number | null, number | null, number | null, number] {
  const channels = x.shape[3];
  if (x.shape.length !== 4 || typeof channels !== 'number')
    throw g.error(
      node,
      `reads a tensor shaped [${x.shape.join(', ')}]`,
      'this op needs an NHWC image batch with a known channel count',
    );
  return [x.shape[0] ?? null, x.shape[1] ?? null, x.shape[2] ?? null, channels];
}

function windowAttributes(
  g: GraphConverter,
  node: TfNode,
  shape: KerasShape,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
) {
  const padding = decode(node.attr?.padding?.s) || 'VALID';
  return slidingWindow(
    shape,
    { kernel, strides, dilations },
    padding,
    `node '${node.name}' (${node.op}) of ${g.ctx.source}`,
  );
}

const ACTIVATIONS: Record<string, (g: GraphConverter, node: TfNode, input: string, output: string) => string> = {
  Relu: (g, _node, input, output) => g.ctx.node('Relu', [input], output),
  Relu6: (g, _node, input, output) => g.ctx.node('Clip', [input, g.ctx.scalar(0), g.ctx.scalar(6)], output),
  Elu: (g, _node, input, output) => g.ctx.node('Elu', [input], output),
  Selu: (g, _node, input, output) => g.ctx.node('Selu', [input], output),
  Sigmoid: (g, _node, input, output) => g.ctx.node('Sigmoid', [input], output),
  Tanh: (g, _node, input, output) => g.ctx.node('Tanh', [input], output),
  Softplus: (g, _node, input, output) => g.ctx.node('Softplus', [input], output),
  Softsign: (g, _node, input, output) => g.ctx.node('Softsign', [input], output),
  Exp: (g, _node, input, output) => g.ctx.node('Exp', [input], output),
  Sqrt: (g, _node, input, output) => g.ctx.node('Sqrt', [input], output),
  Rsqrt: (g, _node, input, output) => g.ctx.node('Reciprocal', [g.ctx.node('Sqrt', [input], `${output}/sqrt`)], output),
  Square: (g, _node, input, output) => g.ctx.node('Mul', [input, input], output),
  Neg: (g, _node, input, output) => g.ctx.node('Neg', [input], output),
  Abs: (g, _node, input, output) => g.ctx.node('Abs', [input], output),
  LeakyRelu: (g, node, input, output) =>
    g.ctx.node('LeakyRelu', [input], output, {
      alpha: { float: node.attr?.alpha?.f ?? node.attr?.leakyrelu_alpha?.f ?? 0.2 },
    }),
};

/** Applies the ops listed in a fused node's fused_ops after its main op, which wrote `main`. */
function fusedTail(g: GraphConverter, node: TfNode, main: string, args: Value[], channels: number, rank: number): void {
  const fused = (node.attr?.fused_ops?.list?.s ?? []).map(decode);
  let current = main;
  let argIndex = 0;
  fused.forEach((op, i) => {
    const output = i === fused.length - 1 ? node.name : `${node.name}/${op}`;
    if (op === 'BiasAdd') {
      current = g.ctx.node('Add', [current, g.operand(asConst(g, node, args[argIndex++]), rank)], output);
    } else if (op === 'FusedBatchNorm') {
      const params = args.slice(argIndex, argIndex + 4).map((arg) => {
        const value = asConst(g, node, arg);
        return g.ctx.constant(value.name, [channels], value.tensor.data);
      });
      argIndex += 4;
      current = g.ctx.node('BatchNormalization', [current, ...params], output, {
        epsilon: { float: node.attr?.epsilon?.f ?? 1e-3 },
      });
    } else if (ACTIVATIONS[op]) {
      current = ACTIVATIONS[op](g, node, current, output);
    } else {
      throw g.error(node, `fuses the op ${op}`, 'nap converts fused BiasAdd, FusedBatchNorm and activations');
    }
  });
}

function asConst(g: GraphConverter, node: TfNode, value: Value | undefined): Extract<Value, { kind: 'const' }> {
  g.constant(node, value);
  return value as Extract<Value, { kind: 'const' }>;
}

function hasFusedOps(node: TfNode): boolean {
  return (node.attr?.fused_ops?.list?.s ?? []).length > 0;
}

function convolution(depthwise: boolean): OpConverter {
  return (g, node) => {
    requireNhwc(g, node);
    const [input, filter, ...args] = g.inputs(node);
    const x = g.tensor(node, input);
    const [n, , , channels] = imageShape(g, node, x);
    const f = asConst(g, node, filter).tensor;
    const [kh, kw, inChannels, outChannels] = f.shape as [number, number, number, number];
    const strides = spatialPair(g, node, 'strides');
    const dilations = spatialPair(g, node, 'dilations');
    const filters = depthwise ? channels * outChannels : outChannels;
    const groups = depthwise ? channels : channels / inChannels;
    if (!Number.isInteger(groups) || (depthwise && inChannels !== channels))
      throw g.error(
        node,
        `has a filter shaped [${f.shape.join(', ')}] for ${channels} channels`,
        'the weights do not match the graph',
      );
    const w = depthwise ? hwioToOihw(f.data, kh, kw, 1, filters) : hwioToOihw(f.data, kh, kw, inChannels, outChannels);
    const weight = g.ctx.constant(
      `${asConst(g, node, filter).name}/oihw`,
      [filters, depthwise ? 1 : inChannels, kh, kw],
      w,
    );
    const { attributes, size } = windowAttributes(g, node, x.shape, [kh, kw], strides, dilations);
    const main = hasFusedOps(node) ? `${node.name}/conv` : node.name;
    g.ctx.node('Conv', [x.name, weight], main, {
      kernel_shape: [kh, kw],
      strides,
      dilations,
      group: groups,
      ...attributes,
    });
    if (hasFusedOps(node)) fusedTail(g, node, main, args, filters, 4);
    return [n, ...size, filters];
  };
}

const matMul: OpConverter = (g, node) => {
  const [a, b, ...args] = g.inputs(node);
  const x = g.tensor(node, a);
  if (x.shape.length !== 2)
    throw g.error(
      node,
      `multiplies a rank-${x.shape.length} tensor`,
      'nap converts MatMul of [batch, features] by a constant',
    );
  if (node.attr?.transpose_a?.b)
    throw g.error(node, 'transposes its first input', 'nap converts MatMul with transpose_a false');
  const weights = asConst(g, node, b);
  const transB = node.attr?.transpose_b?.b ? 1 : 0;
  const units = weights.tensor.shape[transB ? 0 : 1]!;
  const main = hasFusedOps(node) ? `${node.name}/matmul` : node.name;
  g.ctx.node('Gemm', [x.name, g.ctx.constant(weights.name, weights.tensor.shape, weights.tensor.data)], main, {
    transB,
  });
  if (hasFusedOps(node)) fusedTail(g, node, main, args, units, 2);
  return [x.shape[0] ?? null, units];
};

function broadcastShape(shapes: KerasShape[]): KerasShape {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    const sizes = shapes.map((s) => s[s.length - rank + i]).filter((d): d is number | null => d !== undefined);
    return sizes.find((d) => d !== null && d !== 1) ?? sizes.find((d) => d !== null) ?? null;
  });
}

function binary(opType: string): OpConverter {
  return (g, node) => {
    const operands = g.inputs(node);
    const tensors = operands.filter((v): v is Extract<Value, { kind: 'tensor' }> => v.kind === 'tensor');
    if (tensors.length === 0)
      throw g.error(node, 'computes only constants', 'convert the model again with constant folding');
    const rank = Math.max(...tensors.map((t) => t.shape.length));
    if (tensors.some((t) => t.shape.length !== rank && (rank === 4 || t.shape.length === 4))) {
      throw g.error(
        node,
        'combines an image tensor with a tensor of another rank',
        'nap converts elementwise ops on tensors of one rank or with constants',
      );
    }
    const names = operands.map((v) => (v.kind === 'tensor' ? v.name : g.operand(v, rank)));
    g.ctx.node(opType, names, node.name);
    return broadcastShape(operands.map((v) => (v.kind === 'tensor' ? v.shape : v.tensor.shape)));
  };
}

function unary(op: string): OpConverter {
  return (g, node) => {
    const x = g.tensor(node, g.inputs(node)[0]);
    ACTIVATIONS[op]!(g, node, x.name, node.name);
    return x.shape;
  };
}

function softmax(opType: 'Softmax' | 'LogSoftmax'): OpConverter {
  return (g, node) => {
    const x = g.tensor(node, g.inputs(node)[0]);
    g.ctx.node(opType, [x.name], node.name, { axis: onnxAxis(-1, x.shape.length) });
    return x.shape;
  };
}

function pool(opType: 'MaxPool' | 'AveragePool'): OpConverter {
  return (g, node) => {
    requireNhwc(g, node);
    const x = g.tensor(node, g.inputs(node)[0]);
    const [n, , , channels] = imageShape(g, node, x);
    const kernel = spatialPair(g, node, 'ksize');
    const strides = spatialPair(g, node, 'strides');
    const { attributes, size } = windowAttributes(g, node, x.shape, kernel, strides, [1, 1]);
    const extra: Record<string, OnnxAttribute> = opType === 'AveragePool' ? { count_include_pad: 0 } : {};
    g.ctx.node(opType, [x.name], node.name, { kernel_shape: kernel, strides, ...attributes, ...extra });
    return [n, ...size, channels];
  };
}

function reduce(opType: 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceSum'): OpConverter {
  return (g, node) => {
    const [input, indices] = g.inputs(node);
    const x = g.tensor(node, input);
    const rank = x.shape.length;
    const axes = [...new Set(g.ints(node, indices).map((a) => (a < 0 ? a + rank : a)))];
    const keep = node.attr?.keep_dims?.b === true;
    // Dropping axes of a channels-first tensor leaves TF order only when both spatial axes go.
    const direct = rank !== 4 || keep || (axes.includes(1) && axes.includes(2));
    const source = direct ? x.name : toKerasOrder(g.ctx, x, `${node.name}/nhwc`);
    const onnxAxes = direct ? axes.map((a) => onnxAxis(a, rank)) : axes;
    if (opType === 'ReduceSum')
      g.ctx.node(opType, [source, g.ctx.int64s(onnxAxes)], node.name, { keepdims: keep ? 1 : 0 });
    else g.ctx.node(opType, [source], node.name, { axes: onnxAxes, keepdims: keep ? 1 : 0 });
    return keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  };
}

/** Ops that change rank run in TF order: channels-first inputs are transposed back first. */
function reshapeLike(
  g: GraphConverter,
  node: TfNode,
  x: Tensor,
  shape: KerasShape,
  emit: (input: string, output: string) => void,
): KerasShape {
  const source = toKerasOrder(g.ctx, x, `${node.name}/nhwc`);
  if (shape.length === 4) {
    emit(source, `${node.name}/nhwc_out`);
    g.ctx.node('Transpose', [`${node.name}/nhwc_out`], node.name, { perm: NHWC_TO_NCHW });
  } else emit(source, node.name);
  return shape;
}

const squeeze: OpConverter = (g, node) => {
  const x = g.tensor(node, g.inputs(node)[0]);
  const rank = x.shape.length;
  const listed = (attrInts(node, 'squeeze_dims') ?? attrInts(node, 'axis') ?? []).map((a) => (a < 0 ? a + rank : a));
  const axes = listed.length > 0 ? listed : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  return reshapeLike(g, node, x, shape, (input, output) => g.ctx.node('Squeeze', [input, g.ctx.int64s(axes)], output));
};

const reshape: OpConverter = (g, node) => {
  const [input, shapeValue] = g.inputs(node);
  const x = g.tensor(node, input);
  const target = g.ints(node, shapeValue);
  const known = x.shape.every((d) => d !== null) ? x.shape.reduce((a, b) => a * b, 1) : null;
  const fixed = target.filter((d) => d > 0).reduce((a, b) => a * b, 1);
  const batchKept = target[0] === -1 && x.shape[0] === null;
  const shape = target.map((d, i) =>
    d !== -1 ? d : i === 0 && batchKept ? null : known === null ? null : known / fixed,
  );
  return reshapeLike(g, node, x, shape, (source, output) =>
    g.ctx.node('Reshape', [source, g.ctx.int64s(target)], output),
  );
};

const concat: OpConverter = (g, node) => {
  const values = g.inputs(node);
  const axisValue = values.pop();
  const tensors = values.map((v) => g.tensor(node, v));
  const rank = tensors[0]?.shape.length ?? 0;
  if (tensors.some((t) => t.shape.length !== rank))
    throw g.error(node, 'concatenates tensors of different ranks', 'concatenate tensors of one rank');
  const raw = g.ints(node, axisValue)[0]!;
  const axis = raw < 0 ? raw + rank : raw;
  g.ctx.node(
    'Concat',
    tensors.map((t) => t.name),
    node.name,
    { axis: onnxAxis(axis, rank) },
  );
  const sizes = tensors.map((t) => t.shape[axis] ?? null);
  const joined = sizes.some((s) => s === null) ? null : (sizes as number[]).reduce((a, b) => a + b, 0);
  return tensors[0]!.shape.map((d, i) => (i === axis ? joined : d));
};

const pad: OpConverter = (g, node) => {
  const [input, paddings, constant] = g.inputs(node);
  const x = g.tensor(node, input);
  const rank = x.shape.length;
  const pairs = g.ints(node, paddings);
  const storage = rank === 4 ? NHWC_TO_NCHW : x.shape.map((_, i) => i);
  const pads = [...storage.map((axis) => pairs[2 * axis]!), ...storage.map((axis) => pairs[2 * axis + 1]!)];
  const value = constant ? g.constant(node, constant).data[0]! : 0;
  g.ctx.node('Pad', [x.name, g.ctx.int64s(pads), g.ctx.scalar(value)], node.name, { mode: 'constant' });
  return x.shape.map((d, i) => (d === null ? null : d + pairs[2 * i]! + pairs[2 * i + 1]!));
};

const batchNorm: OpConverter = (g, node) => {
  const [input, ...params] = g.inputs(node);
  const x = g.tensor(node, input);
  if (x.shape.length !== 4)
    throw g.error(node, `normalizes a rank-${x.shape.length} tensor`, 'nap converts batch norm of NHWC images');
  const names = params.slice(0, 4).map((p) => {
    const value = asConst(g, node, p);
    return g.ctx.constant(value.name, value.tensor.shape, value.tensor.data);
  });
  g.ctx.node('BatchNormalization', [x.name, ...names], node.name, {
    epsilon: { float: node.attr?.epsilon?.f ?? 1e-3 },
  });
  return x.shape;
};

const identity: OpConverter = (g, node) => {
  const x = g.tensor(node, g.inputs(node)[0]);
  g.ctx.node('Identity', [x.name], node.name);
  return x.shape;
};

const OPS: Record<string, OpConverter> = {
  Conv2D: convolution(false),
  _FusedConv2D: convolution(false),
  DepthwiseConv2dNative: convolution(true),
  FusedDepthwiseConv2dNative: convolution(true),
  MatMul: matMul,
  _FusedMatMul: matMul,
  BiasAdd: binary('Add'),
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  ...Object.fromEntries(Object.keys(ACTIVATIONS).map((op) => [op, unary(op)])),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  Mean: reduce('ReduceMean'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Sum: reduce('ReduceSum'),
  Squeeze: squeeze,
  Reshape: reshape,
  ConcatV2: concat,
  Pad: pad,
  PadV2: pad,
  FusedBatchNorm: batchNorm,
  FusedBatchNormV3: batchNorm,
  Identity: identity,
  StopGradient: identity,
  Snapshot: identity,
};

export function graphModelToOnnx(model: TfjsModelJson, weights: WeightMap, source: string): Uint8Array {
  const nodes = model.modelTopology.node as TfNode[];
  const builder = new OnnxGraphBuilder('tfjs_graph_model');
  const g = new GraphConverter(new ConversionContext(builder, weights, source));
  for (const node of topologicalOrder(nodes, source)) {
    if (node.op === 'Const') {
      const tensor = weights.get(node.name);
      if (!tensor) throw g.error(node, 'has no value in the weights manifest', 'keep every shard next to model.json');
      g.values.set(node.name, { kind: 'const', name: node.name, tensor });
    } else if (node.op === 'Placeholder') {
      g.values.set(node.name, placeholder(g, node));
    } else if (node.op === 'NoOp') {
      continue;
    } else {
      const convert = OPS[node.op];
      if (!convert) {
        throw g.error(
          node,
          'has no ONNX conversion',
          `supported ops: ${Object.keys(OPS).join(', ')}; or export the model to ONNX with tf2onnx`,
        );
      }
      g.values.set(node.name, { kind: 'tensor', name: node.name, shape: convert(g, node) });
    }
  }
  for (const name of graphOutputs(model, nodes)) {
    const value = g.values.get(name);
    if (value?.kind !== 'tensor')
      throw new InputError(`output '${name}' of ${source} is not a computed tensor`, {
        hint: 'check the model signature',
      });
    const dims = value.shape.map((d, i) => d ?? (i === 0 ? 'batch' : `${name}_dim${i}`));
    builder.output(name, value.shape.length === 4 ? NHWC_TO_NCHW.map((axis) => dims[axis]!) : dims);
  }
  return builder.toBytes(OPSET);
}

function placeholder(g: GraphConverter, node: TfNode): Value {
  const dtype = node.attr?.dtype?.type;
  if (dtype !== undefined && dtype !== 'DT_FLOAT')
    throw g.error(node, `is a ${dtype} input`, 'nap feeds float32 inputs');
  const dims = node.attr?.shape?.shape?.dim;
  if (!dims || node.attr?.shape?.shape?.unknownRank)
    throw g.error(node, 'has no declared shape', 'convert the model with a fixed input rank');
  const shape: KerasShape = dims.map((d) => (Number(d.size) >= 0 ? Number(d.size) : null));
  g.ctx.builder.input(
    node.name,
    shape.map((d, i) => d ?? (i === 0 ? 'batch' : `${node.name}_dim${i}`)),
  );
  const name =
    shape.length === 4 ? g.ctx.node('Transpose', [node.name], `${node.name}/nchw`, { perm: NHWC_TO_NCHW }) : node.name;
  return { kind: 'tensor', name, shape };
}

/** GraphDef nodes may come in any order; this orders them so every input comes first. */
function topologicalOrder(nodes: TfNode[], source: string): TfNode[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const ordered: TfNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (node: TfNode): void => {
    const seen = state.get(node.name);
    if (seen === 'done') return;
    if (seen === 'visiting')
      throw new InputError(`the graph in ${source} has a cycle through '${node.name}'`, {
        hint: 'nap converts frozen inference graphs without control flow',
      });
    state.set(node.name, 'visiting');
    for (const ref of node.input ?? []) {
      const input = byName.get(ref.replace(/^\^/, '').split(':')[0]!);
      if (input) visit(input);
    }
    state.set(node.name, 'done');
    ordered.push(node);
  };
  // An explicit stack depth is not needed: CNN graphs are a few hundred nodes deep at most.
  nodes.forEach(visit);
  return ordered;
}

/** The signature's outputs when the converter recorded them, else every computed node nothing reads. */
function graphOutputs(model: TfjsModelJson, nodes: TfNode[]): string[] {
  const metadata = model.userDefinedMetadata;
  const signature = metadata && isRecord(metadata.signature) ? metadata.signature.outputs : undefined;
  if (isRecord(signature) && Object.keys(signature).length > 0)
    return Object.keys(signature).map((key) => key.split(':')[0]!);
  const read = new Set(nodes.flatMap((node) => (node.input ?? []).map((ref) => ref.replace(/^\^/, '').split(':')[0]!)));
  return nodes
    .filter((node) => !read.has(node.name) && node.op !== 'Const' && node.op !== 'NoOp')
    .map((node) => node.name);
}
