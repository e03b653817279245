/**
 * A TF.js model run by tf.js itself, for feature visualization's input gradients: model.json and its shards
 * are read from disk (no network) and loaded with tf.loadLayersModel or tf.loadGraphModel, and tf.grad
 * differentiates through the model's own ops. Layer names are those nap's ONNX conversion gives (Keras layer
 * names, TF node names), and rank-4 outputs are handed back as that conversion's channels-first tensors
 * (stored channels-last, no transpose), so objectives read a layer alike on both paths.
 *
 * Two things make tf.js's gradients usable on its fast wasm backend: fused ops, whose custom gradients also
 * compute the weights' gradients with kernels wasm lacks, are unfused (unfuse.ts for graph models; Keras
 * Conv2D layers call an unfused convolution), and while the model is loaded some kernels take the gradients
 * of gradients.ts (convolutions' input gradients as forward convolutions, the redirected ReLU).
 */
import path from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { InputError } from '../../errors.js';
import { channelsLastPerm, plain, type Value } from '../onnx-to-tfjs/value.js';
import { useVisualizationGradients } from './gradients.js';
import { readModelJson } from './load.js';
import type { TfjsModelJson } from './model-json.js';
import { unfuseGraph } from './unfuse.js';
import { concat, readGroupBytes } from './weights.js';

/** What feature visualization runs a model through: TranslatedModel (ONNX) and TfjsModel share it. */
export interface DifferentiableModel {
  /** Checks that `outputs` can be computed; an unknown one is an InputError naming it. */
  prepare(outputs: readonly string[]): void;
  /** The outputs for `input` in the ONNX model's layout, differentiable with tf.grad. */
  run(input: Tfjs.Tensor, outputs: readonly string[]): Value[];
  dispose(): void;
}

type Loaded =
  { kind: 'layers'; model: Tfjs.LayersModel } | { kind: 'graph'; model: Tfjs.GraphModel; nodes: ReadonlySet<string> };

export class TfjsModel implements DifferentiableModel {
  private readonly submodels = new Map<string, Tfjs.LayersModel>();

  /** Restores tf.js's own gradients (gradients.ts) when the model is disposed. */
  private readonly release = useVisualizationGradients();

  private constructor(
    private readonly tf: typeof Tfjs,
    private readonly loaded: Loaded,
    private readonly source: string,
  ) {}

  /** Loads model.json and its shards from disk; tf.js's backend must be set (useTfjsBackend). */
  static async load(file: string): Promise<TfjsModel> {
    const tf = await import('@tensorflow/tfjs');
    const json = await readModelJson(file);
    const handler = { load: async () => artifacts(json, await weightData(json, file)) };
    if (json.format === 'graph-model') {
      const nodes = new Set(((json.modelTopology.node ?? []) as { name: string }[]).map((node) => node.name));
      return new TfjsModel(tf, { kind: 'graph', model: await tf.loadGraphModel(handler), nodes }, file);
    }
    const model = await tf.loadLayersModel(handler);
    for (const layer of allLayers(model)) {
      unfuseConvolution(tf, layer);
      batchNormWithoutMissingParameters(tf, layer);
    }
    return new TfjsModel(tf, { kind: 'layers', model }, file);
  }

  prepare(outputs: readonly string[]): void {
    const loaded = this.loaded;
    if (loaded.kind === 'layers') {
      this.submodel(outputs);
      return;
    }
    const missing = outputs.find((name) => !loaded.nodes.has(name));
    if (missing !== undefined) throw this.unknown(missing, 'node');
  }

  run(input: Tfjs.Tensor, outputs: readonly string[]): Value[] {
    const results =
      this.loaded.kind === 'layers'
        ? this.submodel(outputs).apply(input, { training: false })
        : this.loaded.model.execute(input, [...outputs]);
    const tensors = (Array.isArray(results) ? results : [results]) as Tfjs.Tensor[];
    return tensors.map((tensor) => (tensor.rank === 4 ? { tensor, perm: channelsLastPerm(4) } : plain(tensor)));
  }

  dispose(): void {
    this.release();
    this.loaded.model.dispose();
    this.submodels.clear();
  }

  /** A model from the input to the layers' outputs (first calls of top-level layers). */
  private submodel(outputs: readonly string[]): Tfjs.LayersModel {
    const key = JSON.stringify(outputs);
    let model = this.submodels.get(key);
    if (model === undefined) {
      const full = (this.loaded as { model: Tfjs.LayersModel }).model;
      const tensors = outputs.map((name) => {
        const layer = full.layers.find((l) => l.name === name);
        if (layer === undefined) throw this.unknown(name, 'layer');
        return layer.output as Tfjs.SymbolicTensor;
      });
      model = this.tf.model({ inputs: full.inputs, outputs: tensors });
      this.submodels.set(key, model);
    }
    return model;
  }

  private unknown(name: string, what: string): InputError {
    return new InputError(`${what} '${name}' is not an output tf.js can compute in ${this.source}`, {
      hint: `feature visualization of a TF.js model reads a top-level ${what} of the model; list them with nap layers`,
    });
  }
}

/**
 * tf.js's error for an op without a gradient between the input and the objective, as an InputError that
 * names the op; any other error as it is.
 */
export function missingGradientError(error: unknown, source: string, layer: string): unknown {
  const op = error instanceof Error ? /gradient function not found for (\w+)/.exec(error.message)?.[1] : undefined;
  if (op === undefined) return error;
  return new InputError(`tf.js has no gradient for the ${op} op that ${source} computes before layer '${layer}'`, {
    hint: 'visualize an earlier layer, or register a gradient for the op with tf.registerGradient',
    cause: error,
  });
}

/** The model.json's artifacts for tf.js: graph models unfused, the weights as one buffer. */
function artifacts(json: TfjsModelJson, data: ArrayBuffer): Tfjs.io.ModelArtifacts {
  const graph = json.format === 'graph-model';
  const signature = json.userDefinedMetadata?.signature;
  return {
    format: json.format,
    modelTopology: graph ? unfuseGraph(json.modelTopology, 'model') : json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights) as Tfjs.io.WeightsManifestEntry[],
    weightData: data,
    ...(signature !== undefined ? { signature: signature as object } : {}),
  };
}

async function weightData(json: TfjsModelJson, file: string): Promise<ArrayBuffer> {
  const groups = await Promise.all(json.weightsManifest.map((g) => readGroupBytes(g, path.dirname(file), file)));
  const bytes = concat(groups);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function allLayers(model: Tfjs.LayersModel): Tfjs.layers.Layer[] {
  return model.layers.flatMap((layer) =>
    'layers' in layer ? allLayers(layer as unknown as Tfjs.LayersModel) : [layer],
  );
}

/** The fields of a tfjs-layers Conv2D that its call reads. */
interface Conv2DLayer {
  kernel: { read(): Tfjs.Tensor4D };
  bias: { read(): Tfjs.Tensor1D } | null;
  strides: [number, number];
  padding: 'valid' | 'same' | 'causal';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: [number, number];
  activation: { apply(x: Tfjs.Tensor): Tfjs.Tensor } | null;
  call(inputs: Tfjs.Tensor | Tfjs.Tensor[]): Tfjs.Tensor;
}

/** A Keras Conv2D layer's call as conv2d, bias and activation (tfjs-layers calls tf.fused.conv2d). */
function unfuseConvolution(tf: typeof Tfjs, layer: Tfjs.layers.Layer): void {
  if (layer.getClassName() !== 'Conv2D') return;
  const conv = layer as unknown as Conv2DLayer;
  if (conv.dataFormat !== 'channelsLast' || conv.padding === 'causal') return;
  conv.call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as Tfjs.Tensor4D;
      let y: Tfjs.Tensor = tf.conv2d(
        x,
        conv.kernel.read(),
        conv.strides,
        conv.padding as 'valid' | 'same',
        'NHWC',
        conv.dilationRate,
      );
      if (conv.bias !== null) y = tf.add(y, conv.bias.read());
      return conv.activation === null ? y : conv.activation.apply(y);
    });
}

/** The fields of a tfjs-layers BatchNormalization that its inference call reads. */
interface BatchNormLayer {
  /** Unset (undefined) without scale or offset. */
  gamma?: { read(): Tfjs.Tensor } | null;
  beta?: { read(): Tfjs.Tensor } | null;
  movingMean: { read(): Tfjs.Tensor };
  movingVariance: { read(): Tfjs.Tensor };
  epsilon: number;
  axis: number;
  call(inputs: Tfjs.Tensor | Tfjs.Tensor[]): Tfjs.Tensor;
}

/**
 * A Keras BatchNormalization without scale or offset (scale=False, as InceptionV3's) as elementwise ops:
 * tf.js's batch-norm kernel cannot save the missing input for its gradient (the engine clones undefined).
 */
function batchNormWithoutMissingParameters(tf: typeof Tfjs, layer: Tfjs.layers.Layer): void {
  if (layer.getClassName() !== 'BatchNormalization') return;
  const bn = layer as unknown as BatchNormLayer;
  if ((bn.gamma != null && bn.beta != null) || (bn.axis !== -1 && bn.axis !== 3)) return;
  bn.call = (inputs) =>
    tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const inverse = tf.rsqrt(tf.add(bn.movingVariance.read(), bn.epsilon));
      const y = tf.mul(tf.sub(x, bn.movingMean.read()), bn.gamma == null ? inverse : tf.mul(inverse, bn.gamma.read()));
      return bn.beta == null ? y : tf.add(y, bn.beta.read());
    });
}
