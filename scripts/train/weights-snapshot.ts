/**
 * Saves / loads trained CnnWeights as JSON (float32 bytes in base64, so values round-trip exactly), so the
 * ONNX export and verification can be rerun without retraining (`--reuse-weights`).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { CnnWeights } from './tfjs-cnn.js';

interface SnapshotTensor {
  shape: number[];
  float32Base64: string;
}

export interface WeightsSnapshot {
  model: string;
  /** Facts about the training run that produced the weights (they go into the metadata). */
  training: Record<string, unknown>;
  layers: Record<string, { kernel: SnapshotTensor; bias: SnapshotTensor }>;
}

function encode(tensor: tf.Tensor): SnapshotTensor {
  const values = tensor.dataSync() as Float32Array;
  return {
    shape: tensor.shape,
    float32Base64: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
  };
}

function decode(entry: SnapshotTensor): tf.Variable {
  const bytes = Buffer.from(entry.float32Base64, 'base64');
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return tf.variable(tf.tensor(values, entry.shape), true);
}

export function saveWeightsSnapshot(
  path: string,
  model: string,
  weights: CnnWeights,
  training: Record<string, unknown>,
): void {
  const layers: WeightsSnapshot['layers'] = {};
  for (const [name, w] of weights) layers[name] = { kernel: encode(w.kernel), bias: encode(w.bias) };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ model, training, layers } satisfies WeightsSnapshot));
}

export function loadWeightsSnapshot(
  path: string,
  model: string,
): { weights: CnnWeights; training: Record<string, unknown> } {
  const snapshot = JSON.parse(readFileSync(path, 'utf8')) as WeightsSnapshot;
  if (snapshot.model !== model) {
    throw new Error(
      `${path} holds weights of '${snapshot.model}', not '${model}'; pass the snapshot of the right model`,
    );
  }
  const weights: CnnWeights = new Map();
  for (const [name, layer] of Object.entries(snapshot.layers)) {
    weights.set(name, { kernel: decode(layer.kernel), bias: decode(layer.bias) });
  }
  return { weights, training: snapshot.training };
}
