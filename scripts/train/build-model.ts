/**
 * One built-in model end to end: train with tfjs (or reload the cached weights with --reuse-weights), or
 * load the weights snapshot a training script elsewhere wrote (PyTorch: train_fashion_cnn.py), export to
 * models/<name>.onnx, check it through onnxruntime-node against tfjs and on the evaluation set, and write
 * models/<name>.json. Shared by train-mnist.ts and train-fashion-mnist.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { describeArchitecture, type CnnSpec } from './cnn-spec.js';
import { exportCnnToOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export-onnx.js';
import { installFastCpuKernels } from './fast-cpu-kernels.js';
import { firstImages, type LabeledImages } from './labeled-images.js';
import { onnxProbabilities } from './onnx-inference.js';
import { trainClassifier } from './train-classifier.js';
import { accuracyOf, predictProbabilities, type CnnWeights } from './tfjs-cnn.js';
import { loadWeightsSnapshot, saveWeightsSnapshot } from './weights-snapshot.js';

const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../../train-cache/', import.meta.url));
const MAX_MODEL_BYTES = 1024 * 1024;
const AGREEMENT_IMAGES = 100;
const AGREEMENT_TOLERANCE = 1e-4;

/** Training by tfjs here (train-classifier.ts). */
export interface TfjsTraining {
  by: 'tfjs';
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Per-epoch learning-rate factor (see TrainOptions.learningRateDecay). */
  learningRateDecay: number;
  /** Random-shift augmentation in pixels (see TrainOptions.maxShift); 0 for none. */
  maxShift: number;
}

/**
 * Training by another script, which writes the weights snapshot (weights-snapshot.ts) this build exports;
 * the snapshot's training record holds the metadata fields (epochs, batchSize, optimizer, augmentation,
 * trainSeconds, trainedWith, trainedAt) besides seed and trainSamples, which must match the build's.
 */
export interface SnapshotTraining {
  by: 'snapshot';
  /** The script that trains and writes the snapshot, as run from the repository root. */
  command: string;
}

export interface ModelBuild {
  spec: CnnSpec;
  seed: number;
  training: TfjsTraining | SnapshotTraining;
  train: LabeledImages;
  evaluation: LabeledImages;
  /** Which images train / evaluate, in words, for the metadata. */
  trainSet: string;
  evalSet: string;
  /** Accuracy the evaluation set must reach; below it the script exits with status 1. */
  requiredAccuracy: number;
  labels: readonly string[];
  inputPreprocessing: string;
  /** Script that builds this model, recorded in the metadata. */
  script: string;
}

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** The settings that determine the trained weights; a cached snapshot must match them all. */
function trainingFacts(build: ModelBuild): Record<string, unknown> {
  const facts = { seed: build.seed, trainSamples: build.train.count };
  if (build.training.by === 'snapshot') return facts;
  const { epochs, batchSize, learningRate, learningRateDecay, maxShift } = build.training;
  return {
    ...facts,
    epochs,
    batchSize,
    learningRate,
    learningRateDecay,
    ...(maxShift > 0 ? { maxShift } : {}),
  };
}

function loadMatchingSnapshot(build: ModelBuild, cachePath: string, retrain: string) {
  log(`reusing weights from ${cachePath}`);
  const loaded = loadWeightsSnapshot(cachePath, build.spec.name);
  for (const [key, value] of Object.entries(trainingFacts(build))) {
    if (loaded.training[key] !== value) {
      throw new Error(
        `${cachePath} was trained with ${key}=${String(loaded.training[key])}, the script now says ${String(value)}; ${retrain}`,
      );
    }
  }
  return loaded;
}

function trainOrReuse(build: ModelBuild, reuse: boolean): { weights: CnnWeights; training: Record<string, unknown> } {
  const cachePath = `${CACHE_DIR}${build.spec.name}.weights.json`;
  const training = build.training;
  if (training.by === 'snapshot') {
    const retrain = `train with \`${training.command}\``;
    if (!existsSync(cachePath)) throw new Error(`${cachePath} does not exist; ${retrain} first`);
    return loadMatchingSnapshot(build, cachePath, retrain);
  }
  if (reuse) {
    if (!existsSync(cachePath))
      throw new Error(`--reuse-weights: ${cachePath} does not exist; run once without the flag to train`);
    return loadMatchingSnapshot(build, cachePath, 'retrain without --reuse-weights');
  }
  log(
    `training ${build.spec.name} on ${build.train.count} images, ${training.epochs} epochs of batches of ${training.batchSize}, seed ${build.seed}`,
  );
  const result = trainClassifier(build.spec, build.train, {
    seed: build.seed,
    epochs: training.epochs,
    batchSize: training.batchSize,
    learningRate: training.learningRate,
    learningRateDecay: training.learningRateDecay,
    maxShift: training.maxShift,
    monitor: firstImages(build.evaluation, 500),
    log,
    logEvery: 100,
  });
  const facts = {
    ...trainingFacts(build),
    trainSeconds: Math.round(result.seconds),
    trainedAt: new Date().toISOString(),
  };
  saveWeightsSnapshot(cachePath, build.spec.name, result.weights, facts);
  log(`trained in ${result.seconds.toFixed(0)} s; weights cached in ${cachePath}`);
  return { weights: result.weights, training: facts };
}

/** The sidecar's description of the training: from the tfjs settings, or from the snapshot's own record. */
function trainingMetadata(build: ModelBuild, record: Record<string, unknown>): Record<string, unknown> {
  const training = build.training;
  if (training.by === 'snapshot') {
    const { epochs, batchSize, optimizer, augmentation, trainedWith } = record;
    return { epochs, batchSize, optimizer, augmentation, trainSeconds: record['trainSeconds'] ?? null, trainedWith };
  }
  return {
    epochs: training.epochs,
    batchSize: training.batchSize,
    optimizer: `Adam, learning rate ${training.learningRate} times ${training.learningRateDecay} per epoch, softmax cross-entropy`,
    augmentation:
      training.maxShift > 0 ? `random shifts of up to ${training.maxShift} pixels along each axis, zero fill` : 'none',
    trainSeconds: typeof record['trainSeconds'] === 'number' ? Math.round(record['trainSeconds']) : null,
    trainedWith: `@tensorflow/tfjs ${tf.version.tfjs}, cpu backend with the kernels of scripts/train/fast-cpu-kernels.ts, Node ${process.version}, via ${build.script}`,
  };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export async function buildModel(build: ModelBuild, argv: string[] = process.argv.slice(2)): Promise<void> {
  const { spec, evaluation } = build;
  await tf.setBackend('cpu');
  installFastCpuKernels();
  const { weights, training } = trainOrReuse(build, argv.includes('--reuse-weights'));

  const bytes = exportCnnToOnnx(spec, weights);
  mkdirSync(MODELS_DIR, { recursive: true });
  const onnxPath = `${MODELS_DIR}${spec.name}.onnx`;
  writeFileSync(onnxPath, bytes);
  log(`wrote ${onnxPath} (${(bytes.length / 1024).toFixed(1)} KiB)`);
  if (bytes.length >= MAX_MODEL_BYTES)
    throw new Error(`${onnxPath} is ${bytes.length} bytes; built-in models must stay under 1 MiB`);

  const session = await ort.InferenceSession.create(bytes);
  const onnx = await onnxProbabilities(session, evaluation.pixels, evaluation.count, spec.side);
  const accuracy = accuracyOf(onnx, evaluation.labels, spec.classes);
  const agreement = firstImages(evaluation, AGREEMENT_IMAGES);
  const reference = predictProbabilities(spec, weights, agreement.pixels, agreement.count);
  const difference = maxAbsDifference(reference, onnx.subarray(0, reference.length));
  await session.release();
  log(
    `onnxruntime vs tfjs on the first ${agreement.count} evaluation images: max |difference| ${difference.toExponential(2)} (tolerance ${AGREEMENT_TOLERANCE})`,
  );
  log(
    `onnxruntime accuracy on ${evaluation.count} evaluation images: ${(accuracy * 100).toFixed(2)}% (required ${(build.requiredAccuracy * 100).toFixed(0)}%)`,
  );

  const metadata = {
    name: spec.name,
    seed: build.seed,
    architecture: describeArchitecture(spec),
    input: { name: ONNX_INPUT_NAME, shape: ['batch', 1, spec.side, spec.side], layout: 'NCHW' },
    output: { name: ONNX_OUTPUT_NAME, shape: ['batch', spec.classes] },
    namedTensors: onnxTensorNames(spec),
    trainSamples: build.train.count,
    trainSet: build.trainSet,
    evalSamples: evaluation.count,
    evalSet: build.evalSet,
    accuracy: Number(accuracy.toFixed(4)),
    accuracyMeasuredWith: `onnxruntime-node ${ort.env.versions.common} on all ${evaluation.count} evaluation images`,
    maxAbsDifferenceVsTfjs: Number(difference.toExponential(2)),
    ...trainingMetadata(build, training),
    date: (typeof training['trainedAt'] === 'string' ? training['trainedAt'] : new Date().toISOString()).slice(0, 10),
    inputPreprocessing: build.inputPreprocessing,
    labels: build.labels,
    onnxOpset: 13,
  };
  const jsonPath = `${MODELS_DIR}${spec.name}.json`;
  writeFileSync(jsonPath, `${JSON.stringify(metadata, null, 2)}\n`);
  log(`wrote ${jsonPath}`);

  if (difference > AGREEMENT_TOLERANCE) {
    log(`FAIL: onnxruntime and tfjs disagree by ${difference}; the export is wrong`);
    process.exitCode = 1;
  }
  if (accuracy < build.requiredAccuracy) {
    log(`FAIL: accuracy ${accuracy} is below ${build.requiredAccuracy}; train longer or on more images`);
    process.exitCode = 1;
  }
}

/** The tensor names a NAP analysis can pick, in graph order: every named layer output. */
export function onnxTensorNames(spec: CnnSpec): string[] {
  return spec.layers.flatMap((layer) => (layer.kind === 'dropout' ? [] : [layer.name]));
}
