/**
 * Ops that move values around: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice,
 * Gather, Expand, Tile, Pad, and the shape arithmetic of exported graphs (Shape, Size, Constant,
 * ConstantOfShape, Range). Transpose, Concat, Split, Slice and Pad work on the stored tensor; the rest need
 * the ONNX order (value.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInts, readScalar, required, tensorOf, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, composePerm, identityPerm, logical, normalizeAxis, plain, shapeOf, type Value } from '../value.js';
import { gatherAxis } from './gather.js';

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function reshape(ctx: NodeContext): ReturnType<OpTranslator> {
  const allowZero = ctx.int('allowzero', 0) === 1;
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    const target = ctx.opset < 5 ? (ctx.ints('shape') ?? []) : readInts(inputs[1]);
    const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
    return [plain(tf.reshape(x, shape))];
  };
}

function flatten(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    const axis = normalizeAxis(ctx.int('axis', 1), x.rank);
    return [plain(tf.reshape(x, [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))]))];
  };
}

function transpose(ctx: NodeContext): ReturnType<OpTranslator> {
  const perm = ctx.ints('perm');
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    const order = perm ?? identityPerm(x.perm.length).reverse();
    return [{ tensor: x.tensor, perm: composePerm(x.perm, order) }];
  };
}

/** Axes from the attribute (older opsets) or the second input. */
function axesOf(ctx: NodeContext, inputs: readonly (Value | undefined)[], inputSince: number): number[] | undefined {
  if (ctx.opset < inputSince) return ctx.ints('axes');
  return inputs[1] === undefined ? undefined : readInts(inputs[1]);
}

function squeeze(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    const axes = axesOf(ctx, inputs, 13)?.map((a) => normalizeAxis(a, x.rank));
    return [
      plain(
        tf.reshape(
          x,
          x.shape.filter((d, i) => (axes === undefined ? d !== 1 : !axes.includes(i))),
        ),
      ),
    ];
  };
}

function unsqueeze(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    const rank = x.rank + (axesOf(ctx, inputs, 13)?.length ?? 0);
    const axes = new Set(axesOf(ctx, inputs, 13)?.map((a) => normalizeAxis(a, rank)));
    const shape: number[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : x.shape[next++]!);
    return [plain(tf.reshape(x, shape))];
  };
}

/** Operands of one rank stored alike: in the order of the biggest, so a concat of conv maps stays channels-last. */
function commonPerm(values: readonly Value[]): readonly number[] {
  return values.reduce((best, v) => (v.tensor.size > best.tensor.size ? v : best)).perm;
}

function concat(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const values = inputs.filter((v): v is Value => v !== undefined);
    const nonEmpty = values.filter((v) => v.tensor.size > 0);
    const parts = nonEmpty.length > 0 ? nonEmpty : values.slice(0, 1);
    const perm = commonPerm(parts);
    const axis = normalizeAxis(ctx.int('axis', 0), perm.length);
    const dtype = parts.some((v) => v.tensor.dtype === 'float32') ? 'float32' : parts[0]!.tensor.dtype;
    const stored = parts.map((v) => {
      const t = arranged(v, perm);
      return t.dtype === dtype ? t : tf.cast(t, dtype);
    });
    return [{ tensor: stored.length === 1 ? stored[0]! : tf.concat(stored, perm[axis]), perm }];
  };
}

function split(ctx: NodeContext): ReturnType<OpTranslator> {
  const outputs = ctx.node.output.length;
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    const axis = normalizeAxis(ctx.int('axis', 0), x.perm.length);
    const size = shapeOf(x)[axis]!;
    let sizes = ctx.opset < 13 ? ctx.ints('split') : inputs[1] === undefined ? undefined : readInts(inputs[1]);
    if (sizes === undefined || sizes.length === 0) {
      const parts = ctx.int('num_outputs', outputs);
      const chunk = Math.ceil(size / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.min(chunk, size - i * chunk));
    }
    return tf.split(x.tensor, sizes, x.perm[axis]).map((tensor) => ({ tensor, perm: x.perm }));
  };
}

/** The indices a Slice takes along one axis of `size` (ONNX clamping rules), in order. */
function sliceIndices(start: number, end: number, step: number, size: number): number[] {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const s = start < 0 ? start + size : start;
  const e = end < 0 ? end + size : end;
  const indices: number[] = [];
  if (step > 0) for (let i = clamp(s, 0, size); i < clamp(e, 0, size); i += step) indices.push(i);
  else for (let i = clamp(s, 0, size - 1); i > clamp(e, -1, size - 1); i += step) indices.push(i);
  return indices;
}

function slice(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    const shape = shapeOf(x);
    const old = ctx.opset < 10;
    const starts = old ? (ctx.ints('starts') ?? []) : readInts(inputs[1]);
    const ends = old ? (ctx.ints('ends') ?? []) : readInts(inputs[2]);
    const axesGiven = old ? ctx.ints('axes') : inputs[3] === undefined ? undefined : readInts(inputs[3]);
    const axes = (axesGiven ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, shape.length));
    const steps = old || inputs[4] === undefined ? starts.map(() => 1) : readInts(inputs[4]);
    let tensor = x.tensor;
    const begin = new Array<number>(shape.length).fill(0);
    const size = x.tensor.shape.slice();
    axes.forEach((axis, i) => {
      const indices = sliceIndices(starts[i]!, ends[i]!, steps[i]!, shape[axis]!);
      const stored = x.perm[axis]!;
      if (steps[i] === 1) {
        begin[stored] = indices[0] ?? 0;
        size[stored] = indices.length;
      } else {
        tensor = gatherAxis(tensor, indices, [indices.length], stored);
        size[stored] = indices.length;
      }
    });
    const whole = size.every((d, i) => d === tensor.shape[i] && begin[i] === 0);
    return [{ tensor: whole ? tensor : tf.slice(tensor, begin, size), perm: x.perm }];
  };
}

function gather(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    const indicesValue = required(ctx, inputs, 1);
    const axis = normalizeAxis(ctx.int('axis', 0), x.perm.length);
    const size = shapeOf(x)[axis]!;
    const indices = readInts(indicesValue).map((i) => (i < 0 ? i + size : i));
    const indexShape = shapeOf(indicesValue);
    // Gathered along its stored axis, the tensor keeps its order; the index axes take the gathered axis' place.
    const stored = x.perm[axis]!;
    const tensor = gatherAxis(x.tensor, indices, indexShape, stored);
    const added = indexShape.length - 1;
    const perm: number[] = [];
    x.perm.forEach((p, i) => {
      if (i === axis) for (let k = 0; k < indexShape.length; k++) perm.push(stored + k);
      else perm.push(p > stored ? p + added : p);
    });
    return [{ tensor, perm }];
  };
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
}

function expand(ctx: NodeContext): ReturnType<OpTranslator> {
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    const shape = broadcastShape(x.shape, readInts(inputs[1]));
    const wide = tf.reshape(x, [...new Array<number>(shape.length - x.rank).fill(1), ...x.shape]);
    return [plain(wide.shape.every((d, i) => d === shape[i]) ? wide : tf.broadcastTo(wide, shape))];
  };
}

function pad(ctx: NodeContext): ReturnType<OpTranslator> {
  const mode = ctx.string('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect') {
    throw ctx.error(
      `pad mode '${mode}' is not supported`,
      'feature visualization translates constant and reflect padding',
    );
  }
  return (inputs) => {
    const x = required(ctx, inputs, 0);
    const rank = x.perm.length;
    const old = ctx.opset < 11;
    const pads = old ? (ctx.ints('pads') ?? []) : readInts(inputs[1]);
    const value = old ? ctx.float('value', 0) : readScalar(inputs[2], 0);
    const axes = (old || inputs[3] === undefined ? identityPerm(rank) : readInts(inputs[3])).map((a) =>
      normalizeAxis(a, rank),
    );
    const paddings: [number, number][] = x.tensor.shape.map(() => [0, 0]);
    axes.forEach((axis, i) => (paddings[x.perm[axis]!] = [pads[i]!, pads[i + axes.length]!]));
    const grow = paddings.map(([b, e]): [number, number] => [Math.max(0, b), Math.max(0, e)]);
    let tensor = x.tensor;
    if (mode === 'constant' && grow.some(([b, e]) => b > 0 || e > 0)) tensor = tf.pad(tensor, grow, value);
    if (mode === 'reflect') {
      // tf.mirrorPad's gradient drops the reflected parts; gathering mirrored indices differentiates right.
      grow.forEach(([b, e], axis) => {
        if (b === 0 && e === 0) return;
        const n = tensor.shape[axis]!;
        const indices = Array.from({ length: n + b + e }, (_, i) => {
          const at = i - b;
          return at < 0 ? -at : at >= n ? 2 * (n - 1) - at : at;
        });
        tensor = gatherAxis(tensor, indices, [indices.length], axis);
      });
    }
    if (paddings.some(([b, e]) => b < 0 || e < 0)) {
      const begin = paddings.map(([b]) => Math.max(0, -b));
      const size = tensor.shape.map((d, i) => d - begin[i]! - Math.max(0, -paddings[i]![1]));
      tensor = tf.slice(tensor, begin, size);
    }
    return [{ tensor, perm: x.perm }];
  };
}

function constant(ctx: NodeContext): ReturnType<OpTranslator> {
  const data = ctx.outputConstant();
  if (data === undefined) throw ctx.error('its value attribute is not supported', 'use a tensor, float or int value');
  const tensor = ctx.keep(tensorOf(data));
  return () => [plain(tensor)];
}

export const SHAPE_OPS: Record<string, OpTranslator> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Expand: expand,
  Pad: pad,
  Constant: constant,
  Tile: (ctx) => (inputs) => [plain(tf.tile(logical(required(ctx, inputs, 0)), readInts(inputs[1])))],
  Shape: (ctx) => (inputs) => {
    const shape = shapeOf(required(ctx, inputs, 0));
    const start = normalizeAxis(ctx.int('start', 0), shape.length);
    const end = ctx.has('end') ? normalizeAxis(ctx.int('end', shape.length), shape.length) : shape.length;
    return [plain(tf.tensor1d(shape.slice(Math.max(0, start), Math.min(shape.length, end)), 'int32'))];
  },
  Size: (ctx) => (inputs) => [plain(tf.scalar(product(shapeOf(required(ctx, inputs, 0))), 'int32'))],
  ConstantOfShape: (ctx) => {
    const value = ctx.tensor('value');
    return (inputs) => {
      const shape = readInts(inputs[0]);
      const dtype = value?.dtype ?? 'float32';
      return [plain(tf.fill(shape, Number(value?.data[0] ?? 0), dtype === 'bool' ? 'bool' : dtype))];
    };
  },
  Range: (ctx) => (inputs) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => readScalar(inputs[i], 0));
    const dtype = logical(required(ctx, inputs, 0)).dtype === 'int32' ? 'int32' : 'float32';
    return [plain(tf.range(start!, limit!, delta, dtype))];
  },
};
