/** Reductions and Softmax / LogSoftmax over any axes, on the stored tensor where its order allows. */
import * as tf from '@tensorflow/tfjs-core';
import { readInts, required, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, identityPerm, invertPerm, logical, normalizeAxis, plain, type Value } from '../value.js';

type Reducer = (x: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor;

/** The permutation of the stored result once `reduced` stored axes are removed (keepdims 0). */
function permAfterRemoving(perm: readonly number[], axes: ReadonlySet<number>): number[] {
  const kept = perm.filter((_, i) => !axes.has(i));
  const order = [...kept].sort((a, b) => a - b);
  return kept.map((stored) => order.indexOf(stored));
}

function reduce(reducer: Reducer, axesInputSince: number): OpTranslator {
  return (ctx: NodeContext) => {
    const keepDims = ctx.int('keepdims', 1) === 1;
    const noopWithEmptyAxes = ctx.int('noop_with_empty_axes', 0) === 1;
    return (inputs) => {
      const x = required(ctx, inputs, 0);
      const rank = x.perm.length;
      const given =
        ctx.opset < axesInputSince ? ctx.ints('axes') : inputs[1] === undefined ? undefined : readInts(inputs[1]);
      if ((given === undefined || given.length === 0) && noopWithEmptyAxes) return [x];
      const axes =
        given === undefined || given.length === 0 ? identityPerm(rank) : given.map((a) => normalizeAxis(a, rank));
      const tensor = reducer(
        x.tensor,
        axes.map((a) => x.perm[a]!),
        keepDims,
      );
      return [{ tensor, perm: keepDims ? x.perm : permAfterRemoving(x.perm, new Set(axes)) } satisfies Value];
    };
  };
}

/** Softmax or LogSoftmax: over one axis (opset 13+), or over all axes from `axis` on (older opsets). */
function softmax(f: (x: tf.Tensor) => tf.Tensor): OpTranslator {
  return (ctx) => {
    const modern = ctx.opset >= 13;
    const axisAttribute = ctx.int('axis', modern ? -1 : 1);
    return (inputs) => {
      const x = required(ctx, inputs, 0);
      const rank = x.perm.length;
      const axis = normalizeAxis(axisAttribute, rank);
      if (!modern && axis !== rank - 1) {
        const t = logical(x);
        const rows = t.shape.slice(0, axis).reduce((a, b) => a * b, 1);
        return [plain(tf.reshape(f(tf.reshape(t, [rows, -1])), t.shape))];
      }
      if (x.perm[axis] === rank - 1) return [{ tensor: f(x.tensor), perm: x.perm }];
      // Stored with the softmax axis last: stored axis j holds ONNX axis order[j].
      const order = [...identityPerm(rank).filter((a) => a !== axis), axis];
      const perm = invertPerm(order);
      return [{ tensor: f(arranged(x, perm)), perm }];
    };
  };
}

export const REDUCE_OPS: Record<string, OpTranslator> = {
  ReduceMean: reduce((x, axes, keep) => tf.mean(x, axes, keep), 18),
  ReduceSum: reduce((x, axes, keep) => tf.sum(x, axes, keep), 13),
  ReduceMax: reduce((x, axes, keep) => tf.max(x, axes, keep), 18),
  ReduceMin: reduce((x, axes, keep) => tf.min(x, axes, keep), 18),
  ReduceProd: reduce((x, axes, keep) => tf.prod(x, axes, keep), 18),
  ReduceL2: reduce((x, axes, keep) => tf.sqrt(tf.sum(tf.square(x), axes, keep)), 18),
  ReduceSumSquare: reduce((x, axes, keep) => tf.sum(tf.square(x), axes, keep), 18),
  Softmax: softmax((x) => tf.softmax(x)),
  LogSoftmax: softmax((x) => tf.logSoftmax(x)),
};
