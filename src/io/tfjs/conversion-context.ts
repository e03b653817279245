/**
 * What layer converters share while a Keras model becomes an ONNX graph: the graph builder, the weights,
 * cached constants, and the layout convention.
 *
 * Layout convention: Keras tensors are channels-last. Every rank-4 tensor (an image batch [N,H,W,C] in
 * Keras) is stored channels-first [N,C,H,W] in the ONNX graph, so ONNX's Conv/pooling ops read it
 * directly; tensors of any other rank keep Keras order. Shapes are tracked in Keras order throughout.
 */
import { InputError } from '../../errors.js';
import type { OnnxAttribute, OnnxGraphBuilder } from '../onnx/builder.js';
import type { KerasShape, LayerCall } from './keras-topology.js';
import type { WeightMap, WeightTensor } from './weights.js';

/** A tensor of the ONNX graph with its Keras shape (batch first, channels last). */
export interface Tensor {
  name: string;
  shape: KerasShape;
}

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];

export class ConversionContext {
  private readonly constants = new Set<string>();
  /** Weight names by their last two path parts (`layer/weight`), for manifests that prefix a scope. */
  private weightIndex: Map<string, string[]> | undefined;

  constructor(
    readonly builder: OnnxGraphBuilder,
    private readonly weights: WeightMap,
    readonly source: string,
  ) {}

  /** Adds a node whose name is its output tensor's name, and returns that name. */
  node(opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttribute> = {}): string {
    this.builder.node(opType, inputs, [output], attributes, output);
    return output;
  }

  /** An initializer added once under `name`. */
  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    if (!this.constants.has(name)) {
      this.constants.add(name);
      this.builder.initializer(name, dims, data);
    }
    return name;
  }

  scalar(value: number): string {
    return this.constant(`const/float_${value}`, [], new Float32Array([value]));
  }

  int64s(values: number[]): string {
    return this.constant(`const/int64_${values.join('_')}`, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  hasWeight(layer: string, key: string): boolean {
    return this.lookup(layer, key) !== undefined;
  }

  /** The weight `<layer>/<key>`; manifests may prefix it with a model scope or suffix `:0`. */
  weight(call: LayerCall, key: string, expectedShape?: number[]): WeightTensor {
    const name = this.lookup(call.layer, key);
    const tensor = name === undefined ? undefined : this.weights.get(name);
    if (!tensor) {
      throw new InputError(
        `weight '${call.layer}/${key}' of layer '${call.layer}' (${call.className}) is missing from ${this.source}'s weights manifest`,
        {
          hint: 'convert the model again with its weights, and keep every shard next to model.json',
        },
      );
    }
    if (
      expectedShape &&
      (tensor.shape.length !== expectedShape.length || tensor.shape.some((d, i) => d !== expectedShape[i]))
    ) {
      throw new InputError(
        `weight '${name}' of ${this.source} has shape [${tensor.shape.join(', ')}], but layer '${call.layer}' needs [${expectedShape.join(', ')}]`,
        {
          hint: 'the weights do not belong to this topology; convert the model again',
        },
      );
    }
    return tensor;
  }

  private lookup(layer: string, key: string): string | undefined {
    for (const name of [`${layer}/${key}`, `${layer}/${key}:0`]) if (this.weights.has(name)) return name;
    if (!this.weightIndex) {
      this.weightIndex = new Map();
      for (const name of this.weights.keys()) {
        const tail = name.replace(/:0$/, '').split('/').slice(-2).join('/');
        this.weightIndex.set(tail, [...(this.weightIndex.get(tail) ?? []), name]);
      }
    }
    const matches = this.weightIndex.get(`${layer}/${key}`) ?? [];
    return matches.length === 1 ? matches[0] : undefined;
  }
}

/** The ONNX axis of Keras axis `axis` (negative counts from the end) of a tensor of rank `rank`. */
export function onnxAxis(axis: number, rank: number): number {
  const kerasAxis = axis < 0 ? axis + rank : axis;
  // Keras [N,H,W,C] axis k sits at ONNX [N,C,H,W] axis NCHW_TO_NHWC[k].
  return rank === 4 ? NCHW_TO_NHWC[kerasAxis]! : kerasAxis;
}

/** The tensor in Keras order: a rank-4 tensor is transposed back to channels-last as `<output>`. */
export function toKerasOrder(ctx: ConversionContext, tensor: Tensor, output: string): string {
  return tensor.shape.length === 4 ? ctx.node('Transpose', [tensor.name], output, { perm: NCHW_TO_NHWC }) : tensor.name;
}

/** The inverse of toKerasOrder for a result of rank `rank`, written to `output` (an Identity when nothing moves). */
export function fromKerasOrder(ctx: ConversionContext, input: string, rank: number, output: string): string {
  return ctx.node(rank === 4 ? 'Transpose' : 'Identity', [input], output, rank === 4 ? { perm: NHWC_TO_NCHW } : {});
}

/** Keras pair options (`kernel_size: 3` or `[3, 3]`). */
export function pair(value: unknown, fallback: number): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) {
    const [first, second] = value as unknown[];
    if (typeof first === 'number' && typeof second === 'number') return [first, second];
  }
  return [fallback, fallback];
}

export function layerError(ctx: ConversionContext, call: LayerCall, what: string, hint: string): InputError {
  return new InputError(`layer '${call.layer}' (${call.className}) of ${ctx.source} ${what}`, { hint });
}
