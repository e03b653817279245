/**
 * Runs a model in onnxruntime (every candidate layer read out) and through the tf.js translation on the
 * same input, and reports each layer's difference relative to its largest value.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { candidateLayers, decodeModel, withExtraOutputs } from '../../../src/io/onnx/graph.js';
import { TranslatedModel, useTfjsBackend, type TfjsBackend } from '../../../src/io/onnx-to-tfjs/index.js';
import { seededValues } from '../../helpers/tiny-models.js';

export interface LayerDifference {
  layer: string;
  /** max |tf.js - onnxruntime| / max(1, max |onnxruntime|) */
  difference: number;
}

/** Values in [0, 1) like preprocessed images, deterministic. */
export function imageLike(length: number, seed = 3): Float32Array {
  return seededValues(length, seed).map((v) => (v + 1) / 2);
}

export async function compareWithOnnxRuntime(
  bytes: Uint8Array,
  source: string,
  dims: number[],
  options: { layers?: string[]; backend?: TfjsBackend; input?: Float32Array } = {},
): Promise<LayerDifference[]> {
  const { graph } = decodeModel(bytes, source);
  const layers = options.layers ?? candidateLayers(graph).map((c) => c.name);
  const input = options.input ?? imageLike(dims.reduce((a, b) => a * b, 1));
  const session = await ort.InferenceSession.create(withExtraOutputs(bytes, layers, source), { intraOpNumThreads: 1 });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) };
  const results = await session.run(feeds, layers);
  const expected = layers.map((layer) => results[layer]!.data as Float32Array);
  await session.release();
  await useTfjsBackend(options.backend ?? 'wasm');
  const model = TranslatedModel.fromBytes(bytes, source);
  try {
    const got = tf.tidy(() => model.runLogical(tf.tensor(input, dims), layers).map((t) => t.dataSync().slice()));
    return layers.map((layer, i) => {
      const reference = expected[i]!;
      const values = got[i]!;
      let scale = 1;
      for (const v of reference) scale = Math.max(scale, Math.abs(v));
      let max = values.length === reference.length ? 0 : Infinity;
      for (let j = 0; j < reference.length && max < Infinity; j++)
        max = Math.max(max, Math.abs(values[j]! - reference[j]!));
      return { layer, difference: max / scale };
    });
  } finally {
    model.dispose();
  }
}

/** The layers whose difference exceeds `tolerance`, for an assertion message. */
export function beyond(differences: LayerDifference[], tolerance: number): string[] {
  return differences.filter((d) => !(d.difference <= tolerance)).map((d) => `${d.layer}: ${d.difference}`);
}
