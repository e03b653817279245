/**
 * Elementwise ops. They work on the stored tensors in whatever order those are kept (value.ts): a unary op
 * keeps its input's permutation, a binary op brings both operands to the permutation of the larger one,
 * which for a per-channel constant is a tiny transpose of the constant.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readScalar, required, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, withRank, type Value } from '../value.js';
import { withGradient } from './custom-gradient.js';
import { redirectedClipGradient } from './redirected-relu.js';

function unary(f: (x: tf.Tensor) => tf.Tensor): OpTranslator {
  return (ctx) => (inputs) => {
    const x = required(ctx, inputs, 0);
    return [{ tensor: f(x.tensor), perm: x.perm }];
  };
}

/** Operands broadcast like numpy, stored in one permutation; the result has that permutation. */
export function broadcastPair(a: Value, b: Value): { a: tf.Tensor; b: tf.Tensor; perm: readonly number[] } {
  const rank = Math.max(a.perm.length, b.perm.length);
  const [wideA, wideB] = [withRank(a, rank), withRank(b, rank)];
  const perm =
    b.perm.length > a.perm.length || (b.perm.length === a.perm.length && b.tensor.size > a.tensor.size)
      ? wideB.perm
      : wideA.perm;
  return { a: arranged(wideA, perm), b: arranged(wideB, perm), perm };
}

export function binaryValues(a: Value, b: Value, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Value {
  const pair = broadcastPair(a, b);
  return { tensor: f(pair.a, pair.b), perm: pair.perm };
}

function binary(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpTranslator {
  return (ctx) => (inputs) => [binaryValues(required(ctx, inputs, 0), required(ctx, inputs, 1), f)];
}

/** Sum, Max, Min, Mean: any number of broadcast operands. */
function variadic(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, divide = false): OpTranslator {
  return (ctx) => (inputs) => {
    const operands = inputs.filter((v): v is Value => v !== undefined);
    let result = required(ctx, operands, 0);
    for (const operand of operands.slice(1)) result = binaryValues(result, operand, f);
    if (divide) result = { tensor: tf.div(result.tensor, operands.length), perm: result.perm };
    return [result];
  };
}

/** TF.js arithmetic needs one dtype; ONNX graphs mix int64 shape math with float values only through Cast. */
function sameType(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  return (a, b) => (a.dtype === b.dtype ? f(a, b) : f(tf.cast(a, 'float32'), tf.cast(b, 'float32')));
}

/**
 * Comparisons have no gradient in tf.js, and tf.grad fails on any op without one that lies between the input
 * and the output (a mask computed from activations): these give a zero gradient to both operands instead.
 */
function comparison(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  const compare = sameType(f);
  return (a, b) => {
    const withoutGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, y] = args as [tf.Tensor, tf.Tensor];
      return { value: compare(x, y), gradFunc: () => [tf.zerosLike(x), tf.zerosLike(y)] };
    });
    return withoutGradient(a, b);
  };
}

/** clip(x, lo, hi) whose gradient below `lo` is the redirected ReLU gradient (redirected-relu.ts). */
function redirectedClip(x: tf.Tensor, lo: number, hi: number): tf.Tensor {
  return withGradient(
    x,
    (input) => tf.clipByValue(input, lo, Math.min(hi, 3.4e38)),
    (dy, input) => redirectedClipGradient(dy, input, lo, hi),
  );
}

function hardSigmoid(x: tf.Tensor, alpha: number, beta: number): tf.Tensor {
  return tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1);
}

function gelu(x: tf.Tensor, approximate: string): tf.Tensor {
  if (approximate === 'tanh') {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  }
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

function clip(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    // Opset < 11 has min and max attributes; later opsets take them as optional inputs.
    const min = ctx.opset < 11 ? ctx.float('min', -Infinity) : readScalar(inputs[1], -Infinity);
    const max = ctx.opset < 11 ? ctx.float('max', Infinity) : readScalar(inputs[2], Infinity);
    const [lo, hi] = [Math.max(min, -3.4e38), Math.min(max, 3.4e38)];
    const clipped =
      ctx.options.redirectedRelu && lo === 0 ? redirectedClip(x.tensor, lo, hi) : tf.clipByValue(x.tensor, lo, hi);
    return [{ tensor: clipped, perm: x.perm }];
  };
}

const ONNX_TO_TF_DTYPE: Record<number, tf.DataType> = {
  1: 'float32',
  11: 'float32',
  10: 'float32',
  6: 'int32',
  7: 'int32',
  2: 'int32',
  3: 'int32',
  4: 'int32',
  5: 'int32',
  9: 'bool',
};

export const ELEMENTWISE_OPS: Record<string, OpTranslator> = {
  Identity: unary((x) => x),
  Dropout: unary((x) => x),
  Relu: (ctx) => unary(ctx.options.redirectedRelu ? (x) => redirectedClip(x, 0, Infinity) : tf.relu)(ctx),
  Sigmoid: unary(tf.sigmoid),
  Tanh: unary(tf.tanh),
  Exp: unary(tf.exp),
  Log: unary(tf.log),
  Sqrt: unary(tf.sqrt),
  Abs: unary(tf.abs),
  Neg: unary(tf.neg),
  Reciprocal: unary(tf.reciprocal),
  Erf: unary(tf.erf),
  Softplus: unary(tf.softplus),
  Floor: unary(tf.floor),
  Ceil: unary(tf.ceil),
  Sign: unary(tf.sign),
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Not: unary(tf.logicalNot),
  Softsign: unary((x) => tf.div(x, tf.add(1, tf.abs(x)))),
  LeakyRelu: (ctx) => unary((x) => tf.leakyRelu(x, ctx.float('alpha', 0.01)))(ctx),
  Elu: (ctx) => {
    const alpha = ctx.float('alpha', 1);
    return unary((x) => tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1))))(ctx);
  },
  HardSigmoid: (ctx) => unary((x) => hardSigmoid(x, ctx.float('alpha', 0.2), ctx.float('beta', 0.5)))(ctx),
  HardSwish: unary((x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
  Gelu: (ctx) => unary((x) => gelu(x, ctx.string('approximate', 'none')))(ctx),
  Clip: clip,
  Cast: (ctx) => {
    const to = ONNX_TO_TF_DTYPE[ctx.int('to', 1)];
    if (to === undefined) {
      throw ctx.error(
        `casting to ONNX element type ${ctx.int('to', 1)} is not supported`,
        'export the model in float32',
      );
    }
    return unary((x) => (x.dtype === to ? x : tf.cast(x, to)))(ctx);
  },
  Add: binary(sameType(tf.add)),
  Sub: binary(sameType(tf.sub)),
  Mul: binary(sameType(tf.mul)),
  Div: binary((a, b) =>
    a.dtype === 'int32' && b.dtype === 'int32'
      ? tf.floorDiv(a, b)
      : tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32')),
  ),
  Pow: binary((a, b) => tf.pow(a, tf.cast(b, a.dtype))),
  Equal: binary(comparison(tf.equal)),
  Less: binary(comparison(tf.less)),
  LessOrEqual: binary(comparison(tf.lessEqual)),
  Greater: binary(comparison(tf.greater)),
  GreaterOrEqual: binary(comparison(tf.greaterEqual)),
  And: binary(tf.logicalAnd),
  Or: binary(tf.logicalOr),
  PRelu: binary((x, slope) => tf.sub(tf.relu(x), tf.mul(slope, tf.relu(tf.neg(x))))),
  Sum: variadic(tf.add),
  Mean: variadic(tf.add, true),
  Max: variadic(sameType(tf.maximum)),
  Min: variadic(sameType(tf.minimum)),
  Where: (ctx) => (inputs) => [
    whereValues(required(ctx, inputs, 0), required(ctx, inputs, 1), required(ctx, inputs, 2)),
  ],
};

/** Where(condition, x, y), the three broadcast against each other (tf.where broadcasts like numpy). */
function whereValues(condition: Value, x: Value, y: Value): Value {
  const xy = broadcastPair(x, y);
  const rank = xy.perm.length;
  const wideCondition = withRank(condition, rank);
  const perm = wideCondition.perm.length > rank ? wideCondition.perm : xy.perm;
  const [a, b] =
    perm === xy.perm
      ? [xy.a, xy.b]
      : [arranged(withRank(x, perm.length), perm), arranged(withRank(y, perm.length), perm)];
  return { tensor: tf.where(arranged(wideCondition, perm), a, tf.cast(b, a.dtype)), perm };
}
