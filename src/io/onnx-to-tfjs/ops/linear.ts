/** MatMul (numpy semantics, batch dims broadcast), Gemm, BatchNormalization and LayerNormalization. */
import * as tf from '@tensorflow/tfjs-core';
import { required, tensorOf, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, channelsLastPerm, logical, normalizeAxis, plain } from '../value.js';
import { binaryValues } from './elementwise.js';

/** numpy matmul: 1-D operands are promoted and the added axis removed; batch dims broadcast. */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const a2 = a.rank === 1 ? tf.reshape(a, [1, -1]) : a;
  const b2 = b.rank === 1 ? tf.reshape(b, [-1, 1]) : b;
  let result: tf.Tensor;
  if (b2.rank === 2 && a2.rank > 2) {
    // [..., M, K] x [K, N]: one 2-D product over all rows, the common case of dense layers on tokens.
    const rows = tf.reshape(a2, [-1, a2.shape[a2.rank - 1]!]);
    result = tf.reshape(tf.matMul(rows, b2), [...a2.shape.slice(0, -1), b2.shape[1]!]);
  } else {
    result = tf.matMul(a2, b2);
  }
  if (a.rank === 1) result = tf.squeeze(result, [result.rank - 2]);
  if (b.rank === 1) result = tf.squeeze(result, [result.rank - 1]);
  return result;
}

function gemm(ctx: NodeContext): ReturnType<OpTranslator> {
  const alpha = ctx.float('alpha', 1);
  const beta = ctx.float('beta', 1);
  const transA = ctx.int('transA', 0) === 1;
  const transB = ctx.int('transB', 0) === 1;
  return (inputs) => {
    const a = logical(required(ctx, inputs, 0));
    const b = logical(required(ctx, inputs, 1));
    let product = tf.matMul(a, b, transA, transB);
    if (alpha !== 1) product = tf.mul(product, alpha);
    const c = inputs[2];
    if (c === undefined) return [plain(product)];
    const scaled = beta === 1 ? c : { tensor: tf.mul(c.tensor, beta), perm: c.perm };
    return [binaryValues(plain(product), scaled, tf.add)];
  };
}

/** Inference-mode BatchNormalization folded into a per-channel scale and shift. */
function batchNormalization(ctx: NodeContext): ReturnType<OpTranslator> {
  const epsilon = ctx.float('epsilon', 1e-5);
  const constants = [1, 2, 3, 4].map((i) => ctx.constantInput(i));
  let folded: { scale: tf.Tensor1D; shift: tf.Tensor1D } | undefined;
  if (constants.every((c) => c !== undefined)) {
    folded = tf.tidy(() => {
      const [gamma, beta, mean, variance] = constants.map((c) => tf.reshape<tf.Rank.R1>(tensorOf(c), [-1]));
      const scale = tf.div<tf.Tensor1D>(gamma!, tf.sqrt(tf.add(variance!, epsilon)));
      return { scale: ctx.keep(scale), shift: ctx.keep(tf.sub<tf.Tensor1D>(beta!, tf.mul(mean!, scale))) };
    });
  }
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    const rank = x.perm.length;
    const perm = channelsLastPerm(rank);
    const stored = arranged(x, perm);
    const { scale, shift } =
      folded ??
      (() => {
        const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => logical(required(ctx, inputs, i)));
        const s = tf.div<tf.Tensor1D>(gamma!, tf.sqrt(tf.add(variance!, epsilon)));
        return { scale: s, shift: tf.sub<tf.Tensor1D>(beta!, tf.mul(mean!, s)) };
      })();
    return [{ tensor: tf.add(tf.mul(stored, scale), shift), perm }];
  };
}

function layerNormalization(ctx: NodeContext): ReturnType<OpTranslator> {
  const epsilon = ctx.float('epsilon', 1e-5);
  const axisAttribute = ctx.int('axis', -1);
  if (ctx.node.output.length > 1 && ctx.node.output.slice(1).some((name) => name !== '')) {
    throw ctx.error('the mean and inverse deviation outputs are not supported', 'export the model for inference');
  }
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    const axis = normalizeAxis(axisAttribute, x.rank);
    const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
    const { mean, variance } = tf.moments(x, axes, true);
    const normalized = plain(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))));
    let result = binaryValues(normalized, required(ctx, inputs, 1), tf.mul);
    const bias = inputs[2];
    if (bias !== undefined) result = binaryValues(result, bias, tf.add);
    return [result];
  };
}

export const LINEAR_OPS: Record<string, OpTranslator> = {
  MatMul: (ctx) => (inputs) => [plain(matMul(logical(required(ctx, inputs, 0)), logical(required(ctx, inputs, 1))))],
  Gemm: gemm,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
};
