/**
 * A tensor of the ONNX graph as the translation holds it: a tf.js tensor stored with its axes permuted.
 * The ONNX tensor is `tf.transpose(tensor, perm)` (its axis i is the stored tensor's axis perm[i]).
 * Convolutions and pools run channels-last in tf.js, so they store image tensors as [N,H,W,C] with perm
 * [0,3,1,2]; ops that do not care about the order (elementwise ops, reductions, concatenation, Transpose
 * itself) work on the stored tensor and only rewrite perm, so a chain of convolutions needs no transposes
 * and a TF.js model's NHWC-to-NCHW Transpose costs nothing.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface Value {
  readonly tensor: tf.Tensor;
  readonly perm: readonly number[];
}

export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, axis) => axis);
}

export function isIdentity(perm: readonly number[]): boolean {
  return perm.every((axis, i) => axis === i);
}

export function invertPerm(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => (inverse[axis] = i));
  return inverse;
}

/** The permutation of transposing by `first`, then by `second`. */
export function composePerm(first: readonly number[], second: readonly number[]): number[] {
  return second.map((axis) => first[axis]!);
}

/** An ONNX tensor stored as is. */
export function plain(tensor: tf.Tensor): Value {
  return { tensor, perm: identityPerm(tensor.rank) };
}

/** The ONNX shape of a value. */
export function shapeOf(value: Value): number[] {
  return value.perm.map((axis) => value.tensor.shape[axis]!);
}

/** The ONNX tensor itself (a transpose when the value is stored permuted). */
export function logical(value: Value): tf.Tensor {
  return isIdentity(value.perm) ? value.tensor : tf.transpose(value.tensor, value.perm as number[]);
}

/** The value stored with permutation `perm`: a tensor t with tf.transpose(t, perm) equal to the ONNX tensor. */
export function arranged(value: Value, perm: readonly number[]): tf.Tensor {
  const move = composePerm(value.perm, invertPerm(perm));
  return isIdentity(move) ? value.tensor : tf.transpose(value.tensor, move);
}

/** Channels-last storage of an ONNX channels-first tensor [N, C, d1..dk]: stored [N, d1..dk, C]. */
export function channelsLastPerm(rank: number): number[] {
  return rank < 3 ? identityPerm(rank) : [0, rank - 1, ...identityPerm(rank - 2).map((axis) => axis + 1)];
}

/** A value of rank `rank` >= its own, with leading axes of size 1 (numpy broadcasting). */
export function withRank(value: Value, rank: number): Value {
  const extra = rank - value.perm.length;
  if (extra <= 0) return value;
  const shape = [...new Array<number>(extra).fill(1), ...value.tensor.shape];
  return {
    tensor: tf.reshape(value.tensor, shape),
    perm: [...identityPerm(extra), ...value.perm.map((axis) => axis + extra)],
  };
}

/** An ONNX axis attribute (negative counts from the end) as an axis in [0, rank). */
export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
