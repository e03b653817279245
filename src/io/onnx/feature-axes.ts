/**
 * Which axis of every tensor holds the features (channels, hidden units), traced through the graph from
 * the ops that define one instead of guessed from a layout carried along. Convolutions and their kin put
 * features on axis 1; dense ops (MatMul with a weight, LayerNormalization over the last axis, an embedding
 * lookup) on the last axis; every other op moves the axis where its semantics say: Transpose permutes it,
 * Reshape/Flatten/Squeeze keep it when the reshape leaves it whole (found from the tensors' probed dims),
 * Gather and reductions drop or keep it, elementwise ops and Concat/Slice inherit it from their inputs.
 *
 * The result is the same for every exporter of one model: torch.onnx's TorchScript exporter writes a
 * Linear on a [N, T, D] tensor as MatMul + Add, its dynamo exporter as Reshape to [N*T, D], Gemm and
 * Reshape back, and tf2onnx wraps convolutions in Transposes; each path lands on the same axis.
 */
import type { GraphProto, NodeProto } from 'onnx-buf';
import { CHANNELS_FIRST_OPS as SPATIAL_OPS } from './tensor-layout.js';

/** Ops whose output has its features on axis 1, whatever their input's layout (a dense Gemm is [N, features]). */
const CHANNELS_FIRST_OPS = new Set([...SPATIAL_OPS, 'Gemm']);

/** Normalizations over the last axis (onnxruntime's fused forms included): features last. */
const LAST_AXIS_NORMS = new Set([
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'RMSNormalization',
]);

/** Fused attention ops keep the hidden size on the last axis. */
const ATTENTION_OPS = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);

const RESHAPES = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

const REDUCTIONS = new Set([
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceSum',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

/** Ops that may change the feature axis's length and still hold features there. */
const RESIZING_OPS = new Set(['Concat', 'Slice', 'Split', 'Pad', 'Tile', 'Expand']);

export interface FeatureAxisInput {
  /** Dims (batch first) of tensors: every float activation (probed) plus what else is known. */
  shapes: ReadonlyMap<string, readonly number[]>;
  /** Tensors computed from the runtime inputs; the others are constants (weights). */
  dynamic: ReadonlySet<string>;
  /** The feature axis of each runtime input that has one (an image's channel axis; none for token ids). */
  inputAxes: ReadonlyMap<string, number>;
}

/** The feature axis of every tensor it could be traced to (absent: unknown). */
export function traceFeatureAxes(graph: GraphProto, input: FeatureAxisInput): Map<string, number> {
  const axes = new Map(input.inputAxes);
  const forward = () => {
    for (const node of graph.node) {
      node.output.forEach((output, index) => {
        if (output === '' || !input.dynamic.has(output) || axes.has(output)) return;
        const rank = input.shapes.get(output)?.length;
        if (rank === undefined) return;
        const axis = outputAxis(node, index, rank, axes, input);
        if (axis !== undefined && axis >= 0 && axis < rank) axes.set(output, axis);
      });
    }
  };
  forward();
  // What a tensor is read by tells too: a dense layer contracts its input's last axis, a LayerNormalization
  // normalizes its features (attention heads merged back by a Reshape are found this way). The gaps so
  // filled are then carried forward again.
  if (fillFromReaders(graph, axes, input)) forward();
  return axes;
}

function fillFromReaders(graph: GraphProto, axes: Map<string, number>, { shapes, dynamic }: FeatureAxisInput): boolean {
  let filled = false;
  const fill = (name: string, axis: (rank: number) => number | undefined) => {
    const rank = shapes.get(name)?.length;
    if (!dynamic.has(name) || axes.has(name) || rank === undefined || rank < 2) return;
    const value = axis(rank);
    if (value === undefined) return;
    axes.set(name, value);
    filled = true;
  };
  for (const node of graph.node) {
    const first = node.input[0] ?? '';
    if (node.opType === 'MatMul' && !dynamic.has(node.input[1] ?? '')) fill(first, (rank) => rank - 1);
    else if (LAST_AXIS_NORMS.has(node.opType) && (intAttribute(node, 'axis') ?? -1) === -1) {
      fill(first, (rank) => rank - 1);
    } else if (node.opType === 'Concat') {
      const output = node.output[0] ?? '';
      const axis = axes.get(output);
      const rank = shapes.get(output)?.length;
      if (axis === undefined || rank === undefined) continue;
      if (normalizeAxis(intAttribute(node, 'axis') ?? 0, rank) === axis) continue;
      for (const name of node.input) fill(name, (inputRank) => (inputRank === rank ? axis : undefined));
    }
  }
  return filled;
}

function outputAxis(
  node: NodeProto,
  outputIndex: number,
  rank: number,
  axes: ReadonlyMap<string, number>,
  { shapes, dynamic }: FeatureAxisInput,
): number | undefined {
  const op = node.opType;
  const first = node.input[0] ?? '';
  const output = node.output[outputIndex] ?? '';
  if (CHANNELS_FIRST_OPS.has(op)) return outputIndex === 0 ? 1 : undefined;
  if (ATTENTION_OPS.has(op)) return outputIndex === 0 ? rank - 1 : undefined;
  if (LAST_AXIS_NORMS.has(op)) {
    const axis = intAttribute(node, 'axis') ?? -1;
    const inputRank = shapes.get(first)?.length ?? rank;
    // Normalized over the last axis only: that axis holds the features. Over more axes: inherited.
    if ((axis < 0 ? axis + inputRank : axis) === inputRank - 1) return outputIndex === 0 ? rank - 1 : undefined;
  }
  if (op === 'MatMul' || op === 'MatMulInteger' || op === 'FusedMatMul') {
    const weight = node.input[1] ?? '';
    if (!dynamic.has(weight)) return rank - 1;
    const weightRank = shapes.get(weight)?.length;
    // A product with an activation keeps features last only when that operand has them last (scores @ V);
    // Q @ K^T contracts K's features and puts tokens last.
    return weightRank !== undefined && axes.get(weight) === weightRank - 1 ? rank - 1 : undefined;
  }
  if (op === 'Gather') {
    const data = shapes.get(first);
    if (!dynamic.has(first)) return rank - 1; // an embedding table looked up by ids: features last
    const axis = axes.get(first);
    if (data === undefined || axis === undefined) return undefined;
    const gathered = normalizeAxis(intAttribute(node, 'axis') ?? 0, data.length);
    if (axis < gathered) return axis;
    if (axis > gathered) return axis + rank - data.length;
    return undefined;
  }
  if (op === 'Transpose') {
    const axis = axes.get(first);
    if (axis === undefined) return undefined;
    const perm = node.attribute.find((a) => a.name === 'perm')?.ints.map(Number);
    return perm ? perm.indexOf(axis) : rank - 1 - axis;
  }
  const inputShape = shapes.get(first);
  const outputShape = shapes.get(output);
  if (RESHAPES.has(op) || REDUCTIONS.has(op)) {
    const axis = axes.get(first);
    if (axis === undefined || inputShape === undefined || outputShape === undefined) return undefined;
    return sameAxisAfterReshape(axis, inputShape, outputShape);
  }
  return inheritedAxis(node, rank, axes, shapes, outputShape);
}

/**
 * Where axis `axis` of a row-major tensor shaped `from` lands in the same data shaped `to`, when the
 * reshape keeps it whole: an axis of `to` with the same length and the same number of elements before it.
 */
export function sameAxisAfterReshape(axis: number, from: readonly number[], to: readonly number[]): number | undefined {
  const size = from[axis];
  if (size === undefined) return undefined;
  let before = 1;
  for (let i = 0; i < axis; i++) before *= from[i]!;
  let product = 1;
  let found: number | undefined;
  for (let j = 0; j < to.length; j++) {
    if (product === before && to[j] === size) {
      found = j;
      // A length-1 axis before the features also has `before` elements ahead: take the last candidate.
      if (size !== 1) return j;
    }
    product *= to[j]!;
  }
  return found;
}

/** Elementwise ops and their kin: the first computed input's axis, aligned to the output's rank. */
function inheritedAxis(
  node: NodeProto,
  rank: number,
  axes: ReadonlyMap<string, number>,
  shapes: ReadonlyMap<string, readonly number[]>,
  outputShape: readonly number[] | undefined,
): number | undefined {
  const resizing = RESIZING_OPS.has(node.opType);
  for (const name of node.input) {
    const axis = axes.get(name);
    const shape = shapes.get(name);
    if (axis === undefined || shape === undefined) continue;
    // Broadcasting aligns trailing axes.
    const shifted = axis + rank - shape.length;
    if (shifted < 0 || shifted >= rank) continue;
    if (resizing || outputShape === undefined || outputShape[shifted] === shape[axis]) return shifted;
  }
  return undefined;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function intAttribute(node: NodeProto, name: string): number | undefined {
  const found = node.attribute.find((a) => a.name === name);
  return found ? Number(found.i) : undefined;
}
