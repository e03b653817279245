/** What an op translator sees of its ONNX node: attributes, constant inputs, and where to keep tensors. */
import * as tf from '@tensorflow/tfjs-core';
import type { AttributeProto, NodeProto } from 'onnx-buf';
import { InputError } from '../../errors.js';
import { decodeTensorProto, type ConstantData } from './tensor-proto.js';
import { logical, type Value } from './value.js';

export interface TranslationOptions {
  /**
   * ReLU (and Clip at 0) gradients of Lucid's `redirected_relu_grad`: where an image's whole gradient through
   * a ReLU is zero (every unit dead, as for a gray start image), the gradient passes where it would raise a
   * negative input. Forward values are unchanged. Default false: the exact gradient.
   */
  redirectedRelu?: boolean;
}

/** Runs a node: its inputs in ONNX order (undefined for an omitted optional input), its outputs in ONNX order. */
export type Kernel = (inputs: readonly (Value | undefined)[]) => Value[];

/** Prepares a node once (reads attributes, rearranges weights) and returns the kernel that runs it. */
export type OpTranslator = (ctx: NodeContext) => Kernel;

export class NodeContext {
  constructor(
    readonly node: NodeProto,
    /** The model's opset of the default ONNX domain. */
    readonly opset: number,
    readonly source: string,
    private readonly constants: ReadonlyMap<string, ConstantData>,
    private readonly kept: tf.Tensor[],
    readonly options: TranslationOptions = {},
  ) {}

  /** The node's input i when it is a constant of the graph (initializer or Constant output). */
  constantInput(i: number): ConstantData | undefined {
    const name = this.node.input[i];
    return name === undefined || name === '' ? undefined : this.constants.get(name);
  }

  /** The value of a Constant node, decoded when the graph was read. */
  outputConstant(): ConstantData | undefined {
    const name = this.node.output[0];
    return name === undefined ? undefined : this.constants.get(name);
  }

  /** A tensor that lives as long as the translated model (weights rearranged once). */
  keep<T extends tf.Tensor>(tensor: T): T {
    this.kept.push(tf.keep(tensor));
    return tensor;
  }

  private attribute(name: string): AttributeProto | undefined {
    return this.node.attribute.find((a) => a.name === name);
  }

  has(name: string): boolean {
    return this.attribute(name) !== undefined;
  }

  int(name: string, fallback: number): number {
    const found = this.attribute(name);
    return found === undefined ? fallback : Number(found.i);
  }

  ints(name: string): number[] | undefined {
    return this.attribute(name)?.ints.map(Number);
  }

  float(name: string, fallback: number): number {
    const found = this.attribute(name);
    return found === undefined ? fallback : found.f;
  }

  floats(name: string): number[] | undefined {
    return this.attribute(name)?.floats;
  }

  string(name: string, fallback: string): string {
    const found = this.attribute(name);
    return found === undefined ? fallback : new TextDecoder().decode(found.s);
  }

  tensor(name: string): ConstantData | undefined {
    const found = this.attribute(name)?.t;
    return found === undefined ? undefined : decodeTensorProto(found, this.source);
  }

  /** An InputError that names this node, its op and the model. */
  error(problem: string, hint: string): InputError {
    const name = this.node.name === '' ? this.node.output[0] : this.node.name;
    return new InputError(`${this.node.opType} node '${name}' of ${this.source}: ${problem}`, { hint });
  }
}

/** The values of a small tensor (shape, axes, pads) read back to JavaScript; [] for an omitted input. */
export function readInts(value: Value | undefined): number[] {
  return value === undefined ? [] : Array.from(logical(value).dataSync(), Number);
}

/** The first value of a scalar input, or `fallback` when it is omitted. */
export function readScalar(value: Value | undefined, fallback: number): number {
  return value === undefined ? fallback : Number(logical(value).dataSync()[0]);
}

export function tensorOf(data: ConstantData): tf.Tensor {
  return tf.tensor(data.data, data.dims, data.dtype);
}

/** The input at `i`, which the op requires. */
export function required(ctx: NodeContext, inputs: readonly (Value | undefined)[], i: number): Value {
  const value = inputs[i];
  if (value === undefined) throw ctx.error(`input ${i} is missing`, 'the model is malformed; export it again');
  return value;
}
