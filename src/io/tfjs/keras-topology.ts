/**
 * A Keras model config (Functional/Model or Sequential, as a TF.js LayersModel stores it) flattened into
 * layer calls in dependency order. Nested models are inlined, so a Sequential head on a Functional base
 * becomes one graph whose tensors carry the inner layers' names.
 *
 * Tensor names: the first call of a layer produces the tensor named like the layer; a shared layer's
 * later calls produce `<layer>:<call index>`.
 */
import { InputError } from '../../errors.js';
import { configText, isRecord } from './model-json.js';

export type KerasShape = (number | null)[];

export interface KerasInput {
  name: string;
  /** Batch first, Keras (channels-last) order; null where any size is accepted. */
  shape: KerasShape;
  dtype: string;
}

export interface LayerCall {
  /** The output tensor's name. */
  output: string;
  /** The Keras layer's name: weights are looked up under it. */
  layer: string;
  className: string;
  config: Record<string, unknown>;
  /** Input tensor names, in call order. */
  inputs: string[];
}

export interface KerasGraph {
  inputs: KerasInput[];
  calls: LayerCall[];
  outputs: string[];
}

const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

interface LayerEntry {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

type TensorRef = [layer: string, node: number, tensor: number];

/** Flattens the LayersModel topology (`{ model_config }` or a bare Keras model config). */
export function kerasGraph(topology: Record<string, unknown>, source: string): KerasGraph {
  const modelConfig = isRecord(topology.model_config) ? topology.model_config : topology;
  const flattener = new Flattener(source);
  const { inputs, outputs } = flattener.model(modelConfig, undefined);
  return { inputs, calls: checkOrder(flattener.calls, inputs, source), outputs };
}

class Flattener {
  readonly calls: LayerCall[] = [];
  private readonly usedNames = new Set<string>();

  constructor(private readonly source: string) {}

  /**
   * Adds the calls of one model. `bound` feeds a nested model's inputs with outer tensors; the top model
   * (bound undefined) declares its inputs as graph inputs.
   */
  model(model: Record<string, unknown>, bound: string[] | undefined): { inputs: KerasInput[]; outputs: string[] } {
    const className = configText(model.class_name ?? '');
    if (!MODEL_CLASSES.has(className)) {
      throw this.error(
        `has a model of class '${className}'`,
        'nap reads Keras Functional (Model) and Sequential models',
      );
    }
    return className === 'Sequential' ? this.sequential(model, bound) : this.functional(model, bound);
  }

  private sequential(
    model: Record<string, unknown>,
    bound: string[] | undefined,
  ): { inputs: KerasInput[]; outputs: string[] } {
    const config = model.config;
    const list = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
    const layers = Array.isArray(list) ? list.map(layerEntry) : [];
    if (layers.length === 0)
      throw this.error('has a Sequential model without layers', 'convert a model that has layers');
    const inputs: KerasInput[] = [];
    let current: string;
    let rest = layers;
    if (layers[0]!.class_name === 'InputLayer') {
      const input = this.inputLayer(layers[0]!);
      current = bound ? bound[0]! : this.claim(input.name);
      if (!bound) inputs.push(input);
      rest = layers.slice(1);
    } else if (bound) {
      current = bound[0]!;
    } else {
      const shape = batchShape(layers[0]!.config);
      if (!shape)
        throw this.error(
          `has a Sequential model whose first layer '${layers[0]!.name}' declares no input shape`,
          'give the first layer an input_shape (or start with an InputLayer) before converting',
        );
      const name = this.claim(`${layers[0]!.name}_input`);
      inputs.push({ name, shape, dtype: dtypeName(layers[0]!.config.dtype) });
      current = name;
    }
    for (const layer of rest) current = this.call(layer, [current], 0)[0]!;
    return { inputs, outputs: [current] };
  }

  private functional(
    model: Record<string, unknown>,
    bound: string[] | undefined,
  ): { inputs: KerasInput[]; outputs: string[] } {
    const config = isRecord(model.config) ? model.config : {};
    const layers = Array.isArray(config.layers) ? config.layers.map(layerEntry) : undefined;
    if (!layers) throw this.error('has a Functional model without a layers list', 'convert a complete Keras model');
    const byName = new Map(layers.map((layer) => [layer.name, layer]));
    const inputRefs = refList(config.input_layers);
    const outputRefs = refList(config.output_layers);
    /** Tensor names of each (layer, call) once produced; nested models map to their outputs. */
    const produced = new Map<string, string[]>();
    const inputs: KerasInput[] = [];
    inputRefs.forEach(([name], i) => {
      const layer = byName.get(name);
      if (!layer)
        throw this.error(`lists input layer '${name}' that is not among its layers`, 'convert a complete Keras model');
      const input = this.inputLayer(layer);
      const tensor = bound ? bound[i] : this.claim(input.name);
      if (tensor === undefined)
        throw this.error(
          `has a nested model '${String(config.name)}' called with fewer inputs than it declares`,
          'check the model',
        );
      if (!bound) inputs.push(input);
      produced.set(`${name}#0`, [tensor]);
    });

    const nestedModels = new Set(
      layers.filter((layer) => MODEL_CLASSES.has(layer.class_name)).map((layer) => layer.name),
    );
    // A nested model's node 0 is its own construction, which Keras does not save, so its first call is
    // referenced as node 1; nested models are called once, so their references need no index.
    const producedKey = (name: string, node: number): string =>
      nestedModels.has(name) ? `${name}#call` : `${name}#${node}`;
    const pending = layers.filter((layer) => layer.class_name !== 'InputLayer');
    // Layers are listed roughly in order; repeat passes until every call's inputs exist.
    let progress = true;
    const done = new Set<string>();
    while (progress) {
      progress = false;
      for (const layer of pending) {
        const nodes = layer.inbound_nodes ?? [];
        nodes.forEach((node, callIndex) => {
          const key = `${layer.name}#${callIndex}`;
          if (done.has(key)) return;
          const tensors = nodeRefs(node).map(
            ([from, nodeIndex, tensorIndex]) => produced.get(producedKey(from, nodeIndex))?.[tensorIndex],
          );
          if (tensors.some((t) => t === undefined)) return;
          produced.set(producedKey(layer.name, callIndex), this.call(layer, tensors as string[], callIndex));
          done.add(key);
          progress = true;
        });
      }
    }
    const outputs = outputRefs.map(([name, nodeIndex, tensorIndex]) => {
      const tensor = produced.get(producedKey(name, nodeIndex))?.[tensorIndex];
      if (tensor === undefined)
        throw this.error(
          `has output '${name}' that no layer call produces`,
          'check that every layer input exists in the model',
        );
      return tensor;
    });
    return { inputs, outputs };
  }

  /** One call of a layer; returns its output tensor names (several for a nested model with several outputs). */
  private call(layer: LayerEntry, inputs: string[], callIndex: number): string[] {
    if (MODEL_CLASSES.has(layer.class_name)) {
      if (callIndex > 0)
        throw this.error(
          `calls nested model '${layer.name}' more than once`,
          'nap converts nested models that are called once',
        );
      return this.model(layer as unknown as Record<string, unknown>, inputs).outputs;
    }
    const output = this.claim(callIndex === 0 ? layer.name : `${layer.name}:${callIndex}`);
    this.calls.push({ output, layer: layer.name, className: layer.class_name, config: layer.config ?? {}, inputs });
    return [output];
  }

  private inputLayer(layer: LayerEntry): KerasInput {
    const shape = batchShape(layer.config);
    if (!shape)
      throw this.error(
        `has input layer '${layer.name}' without a batch_input_shape`,
        'convert the model again with a declared input shape',
      );
    return { name: layer.name, shape, dtype: dtypeName(layer.config.dtype) };
  }

  private claim(name: string): string {
    if (this.usedNames.has(name)) {
      throw this.error(
        `uses the layer name '${name}' twice (a nested model repeats an outer name)`,
        'rename one of the layers before converting',
      );
    }
    this.usedNames.add(name);
    return name;
  }

  private error(what: string, hint: string): InputError {
    return new InputError(`the Keras model in ${this.source} ${what}`, { hint });
  }
}

/** Sequential configs name layers only inside `config`; Functional ones on the entry too. */
function layerEntry(value: unknown): LayerEntry {
  const entry = isRecord(value) ? value : {};
  const config = isRecord(entry.config) ? entry.config : {};
  return {
    ...entry,
    name: configText(entry.name ?? config.name ?? ''),
    class_name: configText(entry.class_name ?? ''),
    config,
    inbound_nodes: Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [],
  };
}

/** Keras 2 writes 'float32'; Keras 3 may write a DTypePolicy object naming it. */
function dtypeName(dtype: unknown): string {
  if (dtype == null) return 'float32';
  if (isRecord(dtype) && isRecord(dtype.config)) return configText(dtype.config.name ?? 'float32');
  return configText(dtype);
}

function batchShape(config: Record<string, unknown>): KerasShape | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (Array.isArray(shape)) return shape.map((d) => (typeof d === 'number' ? d : null));
  if (Array.isArray(config.input_shape))
    return [null, ...config.input_shape.map((d: unknown) => (typeof d === 'number' ? d : null))];
  return undefined;
}

/** `[[name, node, tensor], ...]` or a single `[name, node, tensor]` (tf.keras writes both). */
function refList(value: unknown): TensorRef[] {
  if (!Array.isArray(value)) return [];
  if (typeof value[0] === 'string') return [value as TensorRef];
  return value as TensorRef[];
}

/** The tensors one call reads: Keras 2 lists `[name, node, tensor, kwargs]`; Keras 3 nests keras_history in args. */
function nodeRefs(node: unknown): TensorRef[] {
  if (Array.isArray(node)) {
    return node.map((ref: unknown): TensorRef => {
      const [name, index = 0, tensor = 0] = Array.isArray(ref) ? (ref as unknown[]) : [];
      return [configText(name), Number(index), Number(tensor)];
    });
  }
  const refs: TensorRef[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      const history = isRecord(value.config) ? value.config.keras_history : undefined;
      if (value.class_name === '__keras_tensor__' && Array.isArray(history))
        refs.push([String(history[0]), Number(history[1]), Number(history[2])]);
      else Object.values(value).forEach(visit);
    }
  };
  visit(isRecord(node) ? node.args : node);
  return refs;
}

/** Calls are appended as their inputs become ready, so they are in dependency order; this guards that. */
function checkOrder(calls: LayerCall[], inputs: KerasInput[], source: string): LayerCall[] {
  const ready = new Set(inputs.map((input) => input.name));
  for (const call of calls) {
    const missing = call.inputs.find((name) => !ready.has(name));
    if (missing !== undefined) {
      throw new InputError(`layer '${call.layer}' of ${source} reads '${missing}', which nothing before it produces`, {
        hint: 'the Keras topology is inconsistent; convert the model again',
      });
    }
    ready.add(call.output);
  }
  return calls;
}
