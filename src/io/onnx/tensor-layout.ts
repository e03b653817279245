/**
 * Which axis holds the channels of each intermediate tensor. ONNX's spatial ops (Conv, pooling,
 * normalization) always produce channels-first tensors whatever the model's input layout, while tensors
 * before the first such op, or after a Transpose back to channels-last, follow the input's layout (models
 * converted from TensorFlow). This walks the graph once and propagates the layout through the ops that
 * keep it (elementwise, activations, concatenation...). Dense ops (MatMul, Gemm) put features last, so a
 * transformer's [N, tokens, features] output is read as channels-last.
 */
import type { GraphProto, NodeProto } from 'onnx-buf';
import type { ChannelLayout } from './layout.js';

export const CHANNELS_FIRST_OPS: ReadonlySet<string> = new Set([
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
  'BatchNormalization',
  'InstanceNormalization',
  'LRN',
  'QLinearConv',
  'ConvInteger',
  'DepthToSpace',
  'SpaceToDepth',
  'Upsample',
  'Resize',
]);

/** Dense and token ops put features on the last axis: a [N, L, C] sequence is channels-last. */
const CHANNELS_LAST_OPS = new Set(['MatMul', 'Gemm', 'LayerNormalization', 'Attention']);

function permutation(node: NodeProto): number[] | undefined {
  const perm = node.attribute.find((a) => a.name === 'perm');
  return perm ? perm.ints.map(Number) : undefined;
}

function transposed(layout: ChannelLayout | undefined, perm: number[] | undefined): ChannelLayout | undefined {
  if (!layout || !perm || perm.length !== 4) return undefined;
  const channelAxis = layout === 'NCHW' ? 1 : 3;
  const newAxis = perm.indexOf(channelAxis);
  if (newAxis === 1) return 'NCHW';
  if (newAxis === 3) return 'NHWC';
  return undefined;
}

/** The layout of every tensor the walk could decide; callers fall back to the input layout for the rest. */
export function tensorLayouts(
  graph: GraphProto,
  inputName: string,
  inputLayout: ChannelLayout,
): Map<string, ChannelLayout> {
  const layouts = new Map<string, ChannelLayout>([[inputName, inputLayout]]);
  for (const node of graph.node) {
    let layout: ChannelLayout | undefined;
    if (CHANNELS_FIRST_OPS.has(node.opType)) {
      layout = 'NCHW';
    } else if (node.opType === 'Transpose') {
      layout = transposed(layouts.get(node.input[0] ?? ''), permutation(node));
    } else if (CHANNELS_LAST_OPS.has(node.opType)) {
      layout = 'NHWC';
    } else if (node.opType === 'Flatten' || node.opType === 'Reshape') {
      layout = undefined;
    } else {
      layout = node.input.map((name) => layouts.get(name)).find((l) => l !== undefined);
    }
    if (layout) for (const output of node.output) layouts.set(output, layout);
  }
  return layouts;
}
