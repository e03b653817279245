/**
 * An ONNX model translated to tf.js operations, so that tf.grad can differentiate it (onnxruntime has no
 * gradients). Nodes are translated when an output first needs them, and only the nodes that output
 * depends on: a layer early in the graph never needs the classifier's ops. Weights become tf.js tensors
 * once and live until dispose().
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphProto, NodeProto } from 'onnx-buf';
import { InputError, NapError } from '../../errors.js';
import { decoded, singleFloatInput, type DecodedModel, type GraphValue } from '../onnx/graph.js';
import { NodeContext, tensorOf, type Kernel, type TranslationOptions } from './node-context.js';
import { OP_TRANSLATORS, SUPPORTED_OPS } from './ops/index.js';
import { decodeTensorProto, type ConstantData } from './tensor-proto.js';
import { logical, plain, type Value } from './value.js';

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export class TranslatedModel {
  /** The model's one float input, as declared (strings are symbolic dims). */
  readonly input: GraphValue;
  private readonly constants = new Map<string, ConstantData>();
  private readonly constantValues = new Map<string, Value>();
  private readonly producer = new Map<string, number>();
  private readonly kernels = new Map<number, Kernel>();
  private readonly kept: tf.Tensor[] = [];
  private readonly opset: number;

  private constructor(
    private readonly graph: GraphProto,
    opset: number,
    private readonly source: string,
    private readonly options: TranslationOptions,
  ) {
    this.opset = opset;
    this.input = singleFloatInput(graph, source);
    for (const initializer of graph.initializer)
      this.constants.set(initializer.name, decodeTensorProto(initializer, source));
    graph.node.forEach((node, index) => {
      for (const output of node.output) if (output !== '') this.producer.set(output, index);
      if (node.opType === 'Constant' && DEFAULT_DOMAINS.has(node.domain)) {
        const value = constantAttribute(node, source);
        if (value !== undefined && node.output[0] !== undefined) this.constants.set(node.output[0], value);
      }
    });
  }

  /** Reads ONNX bytes, or a model decoded before; `source` names the model in errors. */
  static fromBytes(
    bytes: Uint8Array | DecodedModel,
    source: string,
    options: TranslationOptions = {},
  ): TranslatedModel {
    const { model, graph } = decoded(bytes, source);
    const opset = model.opsetImport.find((o) => DEFAULT_DOMAINS.has(o.domain));
    return new TranslatedModel(graph, opset === undefined ? 1 : Number(opset.version), source, options);
  }

  /** Translates every node that `outputs` need; an op without a translation is an InputError naming it. */
  prepare(outputs: readonly string[]): void {
    const needed = this.neededNodes(outputs);
    const unsupported = new Map<string, string>();
    for (const index of needed) {
      const node = this.graph.node[index]!;
      const supported = DEFAULT_DOMAINS.has(node.domain) && OP_TRANSLATORS[node.opType] !== undefined;
      if (!supported) unsupported.set(opName(node), node.name || node.output[0] || `#${index}`);
    }
    if (unsupported.size > 0) {
      const list = [...unsupported].map(([op, node]) => `${op} (node '${node}')`).join(', ');
      throw new InputError(`${this.source} uses ONNX ops that the tf.js translation does not support: ${list}`, {
        hint: `feature visualization needs gradients, computed by tf.js; supported ops: ${SUPPORTED_OPS.join(', ')}. Pick an earlier layer, or export the model with these ops`,
      });
    }
    for (const index of needed) this.kernel(index);
  }

  /**
   * Runs the model on `input` (the ONNX input tensor, batch first) up to `outputs` and returns them as
   * stored (value.ts; logical() gives the ONNX tensors). Call inside tf.tidy or tf.grad.
   */
  run(input: tf.Tensor, outputs: readonly string[]): Value[] {
    this.prepare(outputs);
    const values = new Map<string, Value>([[this.input.name, plain(input)]]);
    for (const index of this.neededNodes(outputs)) {
      const node = this.graph.node[index]!;
      const inputs = node.input.map((name) => (name === '' ? undefined : this.valueOf(name, values)));
      let results: Value[];
      try {
        results = this.kernel(index)(inputs);
      } catch (error) {
        if (error instanceof NapError) throw error;
        throw new InputError(
          `${node.opType} node '${node.name || node.output[0]}' of ${this.source} failed in tf.js: ${error instanceof Error ? error.message : String(error)}`,
          { hint: 'the translation does not cover this use of the op; pick an earlier layer', cause: error },
        );
      }
      node.output.forEach((name, i) => {
        const result = results[i];
        if (name !== '' && result !== undefined) values.set(name, result);
      });
    }
    return outputs.map((name) => this.valueOf(name, values));
  }

  /** run() with the outputs as ONNX tensors. */
  runLogical(input: tf.Tensor, outputs: readonly string[]): tf.Tensor[] {
    return this.run(input, outputs).map(logical);
  }

  dispose(): void {
    for (const tensor of this.kept) tensor.dispose();
    this.kept.length = 0;
    this.kernels.clear();
    this.constantValues.clear();
  }

  private valueOf(name: string, values: ReadonlyMap<string, Value>): Value {
    const value = values.get(name) ?? this.constantValue(name);
    if (value === undefined) {
      throw new InputError(`tensor '${name}' of ${this.source} is neither an input, a weight nor a node output`, {
        hint: 'the model is malformed; check it with onnx.checker',
      });
    }
    return value;
  }

  private constantValue(name: string): Value | undefined {
    let value = this.constantValues.get(name);
    const data = this.constants.get(name);
    if (value === undefined && data !== undefined && !this.producer.has(name)) {
      const tensor = tensorOf(data);
      this.kept.push(tf.keep(tensor));
      value = plain(tensor);
      this.constantValues.set(name, value);
    }
    return value;
  }

  private kernel(index: number): Kernel {
    let kernel = this.kernels.get(index);
    if (kernel === undefined) {
      const node = this.graph.node[index]!;
      const context = new NodeContext(node, this.opset, this.source, this.constants, this.kept, this.options);
      // Weights rearranged for tf.js are kept by the context; the scope frees their intermediates.
      tf.engine().startScope();
      try {
        kernel = OP_TRANSLATORS[node.opType]!(context);
      } finally {
        tf.engine().endScope();
      }
      this.kernels.set(index, kernel);
    }
    return kernel;
  }

  /** Indices of the nodes `outputs` depend on, in graph order; unknown output names are an InputError. */
  private neededNodes(outputs: readonly string[]): number[] {
    const needed = new Set<number>();
    const stack: string[] = [];
    for (const name of outputs) {
      if (!this.producer.has(name) && name !== this.input.name) {
        throw new InputError(`tensor '${name}' is not computed by ${this.source}`, {
          hint: 'name a node output (nap layers lists them)',
        });
      }
      stack.push(name);
    }
    while (stack.length > 0) {
      const index = this.producer.get(stack.pop()!);
      if (index === undefined || needed.has(index)) continue;
      needed.add(index);
      for (const input of this.graph.node[index]!.input) if (input !== '') stack.push(input);
    }
    return [...needed].sort((a, b) => a - b);
  }
}

function opName(node: NodeProto): string {
  return DEFAULT_DOMAINS.has(node.domain) ? node.opType : `${node.domain}.${node.opType}`;
}

/** A Constant node's value: its tensor, float(s) or int(s) attribute. */
function constantAttribute(node: NodeProto, source: string): ConstantData | undefined {
  const attribute = node.attribute[0];
  if (attribute === undefined) return undefined;
  switch (attribute.name) {
    case 'value':
      return attribute.t === undefined ? undefined : decodeTensorProto(attribute.t, source);
    case 'value_float':
      return { dims: [], dtype: 'float32', data: Float32Array.of(attribute.f) };
    case 'value_floats':
      return { dims: [attribute.floats.length], dtype: 'float32', data: Float32Array.from(attribute.floats) };
    case 'value_int':
      return { dims: [], dtype: 'int32', data: Int32Array.of(Number(attribute.i)) };
    case 'value_ints':
      return { dims: [attribute.ints.length], dtype: 'int32', data: Int32Array.from(attribute.ints, Number) };
    default:
      return undefined;
  }
}
