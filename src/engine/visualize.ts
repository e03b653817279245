/**
 * Feature visualization of a run's layer: for each requested unit or pattern, images optimised to maximise
 * its objective (src/featureviz) through the run's model translated to tf.js (src/io/onnx-to-tfjs), stored
 * in the results file with the value each image reaches and the best value over the run's inputs. Each
 * objective is committed when done; an interrupted run resumes by skipping objectives whose images are
 * stored with the same parameters. A TF.js model.json is differentiated through tf.js itself
 * (src/io/tfjs/direct-model.ts) unless viaOnnx asks for its ONNX conversion.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { AGGREGATIONS, layerGeometry, type Aggregation } from '../compute/aggregate.js';
import { patternCentroids } from '../compute/heatmap.js';
import { InputError } from '../errors.js';
import type { ImageShape } from '../featureviz/fourier-image.js';
import {
  gramSimilarity,
  objectiveValues,
  positionsByUnits,
  storedRowValue,
  type LayerSpace,
  type Objective,
} from '../featureviz/objectives.js';
import {
  optimizeImages,
  resolveOptimizeOptions,
  type ImageScorer,
  type OptimizeOptions,
  type ResolvedOptimizeOptions,
} from '../featureviz/optimize.js';
import type { Preprocessing } from '../io/datasets/types.js';
import { decodeModel, singleFloatInput, type DecodedModel } from '../io/onnx/graph.js';
import type { ChannelLayout } from '../io/onnx/layout.js';
import { readModelFile } from '../io/onnx/session.js';
import { tensorLayouts } from '../io/onnx/tensor-layout.js';
import { TranslatedModel, useTfjsBackend, type TfjsBackend } from '../io/onnx-to-tfjs/index.js';
import { isTfjsModelPath, missingGradientError, TfjsModel, type DifferentiableModel } from '../io/tfjs/index.js';
import type {
  FeatureObjective,
  FeatureVisualizationToSave,
  LayerInfo,
  RunRecord,
  FeatureVisualizationWriter,
  StoreReader,
} from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { runConfig } from './run-config.js';
import { pickClustering, pickLayer, pickRun } from './run-selection.js';

export interface VisualizeOptions extends OptimizeOptions {
  /** Run; default the newest run of the store. */
  runId?: number;
  /** Layer (tensor name) whose units or patterns are visualized. */
  layer: string;
  /** Units whose mean activation is maximised. Default: units 0-7 when no patterns are asked for. */
  units?: number[];
  /**
   * Maximise the units' activation at this one spatial position instead of their mean (the channel
   * objective): a row-major index over the layer's positions, or [row, column] of a 2-D map.
   */
  position?: number | readonly [number, number];
  /** Objectives optimised together in one batch through the model (faster per objective); default 8. */
  batch?: number;
  /** Patterns of the layer clustering whose direction is maximised: ids or 'all'. Default none. */
  patterns?: number[] | 'all';
  /** Layer clustering of the patterns; default the layer's newest. */
  clusteringId?: number;
  /** Pattern objectives subtract the cosine with the nearest other pattern's centroid. Default false. */
  contrast?: boolean;
  /** Model file; default the run's stored model path. Must be the very model analysed (same SHA-256). */
  model?: string;
  /** tf.js backend; default 'wasm'. */
  backend?: TfjsBackend;
  /**
   * A TF.js model is differentiated through tf.js's own model (tf.loadLayersModel / loadGraphModel) unless
   * this is true: then through its ONNX conversion translated to tf.js, as ONNX models are (for comparison).
   */
  viaOnnx?: boolean;
  /** Make images again even when images with the same parameters are stored. Default false. */
  force?: boolean;
}

export interface VisualizedObjective {
  objective: FeatureObjective;
  /** Unit or pattern id. */
  target: number;
  /** The channel objective's position (row-major over the layer's positions); -1 for the others. */
  position: number;
  /** pattern_contrast: the subtracted pattern. */
  contrastPattern: number | null;
  /** The value each stored image reaches. */
  values: number[];
  /** The highest value over the run's inputs; null when the store cannot tell (see storedRowValue). */
  datasetMax: number | null;
  /** True when the images were already stored with these parameters and were not made again. */
  reused: boolean;
  /** Seconds spent optimising (0 when reused). */
  seconds: number;
}

export interface VisualizeResult {
  runId: number;
  layer: string;
  /** The clustering of the pattern objectives; null when only units were visualized. */
  clusteringId: number | null;
  width: number;
  height: number;
  channels: number;
  objectives: VisualizedObjective[];
}

interface ObjectiveSpec {
  kind: FeatureObjective;
  target: number;
  /** The channel objective's position; -1 for the others. */
  position: number;
  objective: Objective;
  contrastPattern: number | null;
}

const DEFAULT_UNITS = 8;
/** Objectives optimised together in one batch. */
const DEFAULT_BATCH = 8;

export async function visualizeLayer(
  store: StoreReader & FeatureVisualizationWriter,
  options: VisualizeOptions,
  control: TaskControl = {},
): Promise<VisualizeResult> {
  resolveOptimizeOptions(options); // bad settings are refused before anything is read
  const run = await pickRun(store, options.runId);
  const layer = await pickLayer(store, run.runId, options.layer);
  const { preprocessing } = runConfig(run);
  if (preprocessing === null) {
    throw new InputError(`run ${run.runId} has no stored preprocessing`, {
      hint: 'analyze the model again with this nap; feature visualization feeds images as the analysis did',
    });
  }
  const modelPath = options.model ?? run.modelPath;
  const modelBytes = await readModelFile(modelPath);
  const modelSha256 = createHash('sha256').update(modelBytes).digest('hex');
  if (modelSha256 !== run.modelSha256) {
    throw new InputError(`model ${modelPath} is not the model run ${run.runId} analysed (its SHA-256 differs)`, {
      hint: 'restore the analysed model file, or pass its current path with --model',
    });
  }
  // Decoded once: the layer's channel order (older runs) and the tf.js translation both come from it.
  const decoded = decodeModel(modelBytes, modelPath);
  const space = await layerSpace(store, run, layer, decoded, modelPath);
  const { specs, clusteringId } = await objectiveSpecs(store, run, layer, space, options);
  const activations = await store.readActivations(run.runId, layer.layer);
  const shape: ImageShape = {
    height: preprocessing.height,
    width: preprocessing.width,
    channels: preprocessing.channels,
  };
  const optimize = resolveOptimizeOptions(options, shape);
  const backend = options.backend ?? 'wasm';
  await useTfjsBackend(backend);
  const results = new Map<ObjectiveSpec, VisualizedObjective>();
  const batchSize = options.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InputError(`batch ${batchSize} is not a positive whole number`, {
      hint: 'give the number of objectives optimised together, e.g. 8',
    });
  }
  // Disposed in the finally below: a TF.js model holds tf.js's gradient registrations while loaded.
  const direct = isTfjsModelPath(modelPath) && !options.viaOnnx;
  const model: DifferentiableModel = direct
    ? await TfjsModel.load(modelPath)
    : TranslatedModel.fromBytes(decoded, modelPath, { redirectedRelu: true });
  try {
    model.prepare([layer.layer]);
    const pending: { spec: ObjectiveSpec; params: object; paramsHash: string }[] = [];
    for (const spec of specs) {
      const params = {
        objective: spec.kind,
        target: spec.target,
        position: spec.position,
        contrastPattern: spec.contrastPattern,
        clusteringId: spec.kind.startsWith('pattern') ? clusteringId : null,
        optimize,
        backend,
        ...(isTfjsModelPath(modelPath) ? { through: direct ? 'tfjs' : 'onnx' } : {}),
        modelSha256,
        preprocessing,
      };
      const paramsHash = createHash('sha256').update(JSON.stringify(params)).digest('hex');
      const stored = await store.readFeatureVisualizations(run.runId, layer.layer, {
        objective: spec.kind,
        target: spec.target,
        ...(spec.kind.startsWith('pattern') && clusteringId !== null ? { clusteringId } : {}),
      });
      const same = stored.filter((image) => image.paramsHash === paramsHash && image.position === spec.position);
      if (!options.force && same.length === optimize.images) {
        results.set(spec, {
          objective: spec.kind,
          target: spec.target,
          position: spec.position,
          contrastPattern: spec.contrastPattern,
          values: same.map((image) => image.value),
          datasetMax: same[0]!.datasetMax,
          reused: true,
          seconds: 0,
        });
      } else {
        pending.push({ spec, params, paramsHash });
      }
    }
    for (let from = 0; from < pending.length; from += batchSize) {
      throwIfCancelled(control.signal, 'feature visualization');
      const batch = pending.slice(from, from + batchSize);
      const started = performance.now();
      const names = batch.map(({ spec }) => `${spec.kind.replace('_', ' ')} ${spec.target}`);
      const stage = `${layer.layer}: ${names.length === 1 ? names[0] : `${names[0]} to ${names[names.length - 1]}`}`;
      let optimized: ReturnType<typeof optimizeImages>;
      try {
        optimized = optimizeImages(
          imageScorer(
            model,
            layer.layer,
            space,
            batch.map(({ spec }) => spec.objective),
            preprocessing,
          ),
          shape,
          optimize,
          batch.length,
          { ...control, stage },
        );
      } catch (error) {
        throw direct ? missingGradientError(error, modelPath, layer.layer) : error;
      }
      const seconds = (performance.now() - started) / 1000 / batch.length;
      const rows: FeatureVisualizationToSave[] = [];
      batch.forEach(({ spec, params, paramsHash }, b) => {
        const images = optimized[b]!;
        const datasetMax = bestStoredValue(activations.matrix, space, spec.objective);
        images.pixels.forEach((pixels, imageIndex) =>
          rows.push({
            runId: run.runId,
            layer: layer.layer,
            objective: spec.kind,
            target: spec.target,
            position: spec.position,
            clusteringId: spec.kind.startsWith('pattern') ? clusteringId : null,
            imageIndex,
            contrastPattern: spec.contrastPattern,
            params,
            paramsHash,
            width: shape.width,
            height: shape.height,
            channels: shape.channels,
            pixels,
            value: images.values[imageIndex]!,
            datasetMax,
          }),
        );
        results.set(spec, {
          objective: spec.kind,
          target: spec.target,
          position: spec.position,
          contrastPattern: spec.contrastPattern,
          values: images.values,
          datasetMax,
          reused: false,
          seconds,
        });
      });
      await store.saveFeatureVisualizations(rows);
    }
  } finally {
    model.dispose();
  }
  return {
    runId: run.runId,
    layer: layer.layer,
    clusteringId,
    ...shape,
    objectives: specs.map((spec) => results.get(spec)!),
  };
}

/**
 * Images [n, h, w, c] in [0, 1] -> the model input the run's preprocessing gives -> the objective per image:
 * the batch holds `perObjective` consecutive images of each objective in turn.
 */
export function imageScorer(
  model: DifferentiableModel,
  layer: string,
  space: LayerSpace,
  objectives: readonly Objective[],
  preprocessing: Preprocessing,
): ImageScorer {
  const scale = (preprocessing.scale ?? 1 / 255) * 255;
  return (images, perObjective) => {
    let input: tf.Tensor = tf.mul(images, scale);
    if (preprocessing.mean !== undefined) input = tf.sub(input, tf.tensor1d(preprocessing.mean));
    if (preprocessing.std !== undefined) input = tf.div(input, tf.tensor1d(preprocessing.std));
    if (preprocessing.layout === 'NCHW') input = tf.transpose(input, [0, 3, 1, 2]);
    const [activations] = model.run(input, [layer]);
    const x = positionsByUnits(activations!, space);
    const own = (o: number): tf.Tensor3D => tf.slice(x, [o * perObjective, 0, 0], [perObjective, -1, -1]);
    const values = objectives.map((objective, o) => objectiveValues(own(o), space, objective));
    const similarities = perObjective > 1 ? objectives.map((_, o) => gramSimilarity(own(o))) : [];
    return {
      objective: values.length === 1 ? values[0]! : tf.concat(values),
      ...(similarities.length > 0 ? { similarity: tf.addN(similarities) } : {}),
    };
  };
}

/** The highest objective over the stored rows, or null when the rows do not determine it. */
function bestStoredValue(
  matrix: { count: number; dim: number; data: Float32Array },
  space: LayerSpace,
  objective: Objective,
): number | null {
  let best = -Infinity;
  for (let r = 0; r < matrix.count; r++) {
    const value = storedRowValue(matrix.data.subarray(r * matrix.dim, (r + 1) * matrix.dim), space, objective);
    if (value === null) return null;
    if (value > best) best = value;
  }
  return Number.isFinite(best) ? best : null;
}

/** The space the run clustered the layer in: its dims, channel order (from the model graph), aggregation, divisors. */
async function layerSpace(
  store: StoreReader,
  run: RunRecord,
  layer: LayerInfo,
  model: DecodedModel,
  modelPath: string,
): Promise<LayerSpace> {
  const aggregation = layer.aggregation as Aggregation;
  if (!AGGREGATIONS.includes(aggregation)) {
    throw new InputError(
      `layer ${JSON.stringify(layer.layer)} has unknown aggregation ${JSON.stringify(layer.aggregation)}`,
      {
        hint: 'analyze the model again with this nap',
      },
    );
  }
  const divisors = await store.readLayerDivisors(run.runId, layer.layer);
  const space = { rawDims: [1, ...layer.rawDims], aggregation, divisors };
  // Runs extracted since layouts are stored (token layers traced from the graph) say how they aggregated.
  const stored = (await store.readLayerLayouts(run.runId)).find((layout) => layout.layer === layer.layer);
  if (stored)
    return { ...space, order: stored.order, prefixTokens: stored.layout === 'tokens' ? stored.prefixTokens : 0 };
  const { graph } = model;
  const input = singleFloatInput(graph, modelPath);
  const inputLayout = run.modelLayout as ChannelLayout;
  const layout = tensorLayouts(graph, input.name, inputLayout).get(layer.layer) ?? inputLayout;
  return { ...space, order: layout === 'NCHW' ? 'channels-first' : 'channels-last' };
}

function requireUnits(units: number[], count: number, layer: string): void {
  const bad = units.find((u) => !Number.isInteger(u) || u < 0 || u >= count);
  if (bad !== undefined) {
    throw new InputError(`unit ${bad} is not a unit of layer ${JSON.stringify(layer)}`, {
      hint: `its units are 0..${count - 1}`,
    });
  }
}

/** A position as a row-major index over the layer's positions; [row, column] needs a 2-D map. */
function positionIndex(position: number | readonly [number, number], space: LayerSpace, layer: string): number {
  const { positions } = layerGeometry(space.rawDims, space.order);
  const perItem = space.rawDims.slice(1);
  const map = perItem.length === 3 ? (space.order === 'channels-first' ? perItem.slice(1) : perItem.slice(0, 2)) : null;
  let index: number;
  if (typeof position === 'number') {
    index = position;
  } else {
    const [row, column] = position;
    if (map === null || !(row >= 0 && row < map[0]! && column >= 0 && column < map[1]!)) {
      throw new InputError(
        `position ${row},${column} is not a position of layer ${JSON.stringify(layer)}${map === null ? ' (it is not a 2-D map)' : ''}`,
        {
          hint:
            map === null
              ? `give a row-major index 0..${positions - 1}`
              : `its map has ${map[0]} rows and ${map[1]} columns: give row,column within them`,
        },
      );
    }
    index = row * map[1]! + column;
  }
  if (!Number.isInteger(index) || index < 0 || index >= positions) {
    throw new InputError(`position ${index} is not a position of layer ${JSON.stringify(layer)}`, {
      hint: `its positions are 0..${positions - 1} (row-major)${map === null ? '' : `, or row,column within ${map[0]}x${map[1]}`}`,
    });
  }
  return index;
}

async function objectiveSpecs(
  store: StoreReader,
  run: RunRecord,
  layer: LayerInfo,
  space: LayerSpace,
  options: VisualizeOptions,
): Promise<{ specs: ObjectiveSpec[]; clusteringId: number | null }> {
  const { units } = layerGeometry(space.rawDims, space.order);
  const unitList =
    options.units ??
    (options.patterns === undefined ? Array.from({ length: Math.min(DEFAULT_UNITS, units) }, (_, u) => u) : []);
  requireUnits(unitList, units, layer.layer);
  const position = options.position === undefined ? undefined : positionIndex(options.position, space, layer.layer);
  const specs: ObjectiveSpec[] = [...new Set(unitList)].map((unit) =>
    position === undefined
      ? { kind: 'unit', target: unit, position: -1, objective: { kind: 'unit', unit }, contrastPattern: null }
      : {
          kind: 'channel',
          target: unit,
          position,
          objective: { kind: 'channel', unit, position },
          contrastPattern: null,
        },
  );
  if (options.patterns === undefined) return { specs, clusteringId: null };
  const clustering = await pickClustering(store, run.runId, layer.layer, options.clusteringId);
  const count = clustering.patternCount;
  if (count === 0) {
    throw new InputError(
      `clustering ${clustering.clusteringId} of layer ${JSON.stringify(layer.layer)} found no patterns`,
      {
        hint: 'noise has no centroid to visualize; cluster with other parameters or visualize units',
      },
    );
  }
  const patterns =
    options.patterns === 'all' ? Array.from({ length: count }, (_, p) => p) : [...new Set(options.patterns)];
  const bad = patterns.find((p) => !Number.isInteger(p) || p < 0 || p >= count);
  if (bad !== undefined) {
    throw new InputError(`pattern ${bad} does not exist in clustering ${clustering.clusteringId}`, {
      hint: `its patterns are 0..${count - 1}`,
    });
  }
  const [activations, memberships] = await Promise.all([
    store.readActivations(run.runId, layer.layer),
    store.readMemberships(clustering.clusteringId),
  ]);
  const patternOfInput = new Map(
    Array.from(memberships.inputIndex, (index, row) => [index, memberships.patternId[row]!]),
  );
  const patternOfRow = Int32Array.from(activations.inputIndex, (index) => patternOfInput.get(index) ?? -1);
  const { centroids } = patternCentroids(activations.matrix, patternOfRow, count);
  const dim = activations.matrix.dim;
  const centroid = (p: number): Float32Array => Float32Array.from(centroids.subarray(p * dim, (p + 1) * dim));
  for (const p of patterns) {
    const own = centroid(p);
    if (!options.contrast || count < 2) {
      specs.push({
        kind: 'pattern',
        target: p,
        position: -1,
        objective: { kind: 'pattern', patternId: p, centroid: own },
        contrastPattern: null,
      });
      continue;
    }
    const other = nearestPattern(centroids, dim, count, p);
    specs.push({
      kind: 'pattern_contrast',
      target: p,
      position: -1,
      objective: {
        kind: 'pattern',
        patternId: p,
        centroid: own,
        contrast: { patternId: other, centroid: centroid(other) },
      },
      contrastPattern: other,
    });
  }
  return { specs, clusteringId: clustering.clusteringId };
}

/** The other pattern whose centroid has the highest cosine with pattern p's. */
function nearestPattern(centroids: Float64Array, dim: number, count: number, p: number): number {
  const norm = (q: number): number => Math.hypot(...centroids.subarray(q * dim, (q + 1) * dim));
  let best = -1;
  let bestCosine = -Infinity;
  for (let q = 0; q < count; q++) {
    if (q === p) continue;
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += centroids[p * dim + i]! * centroids[q * dim + i]!;
    const cosine = dot / (norm(p) * norm(q) + 1e-12);
    if (cosine > bestCosine) [best, bestCosine] = [q, cosine];
  }
  return best;
}

export type { ResolvedOptimizeOptions };
