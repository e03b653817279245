/**
 * Triage of a whole run: for every input, noise included, the scores that point at a label error or a
 * model error, computed from what the store holds (labels, the model's probability vectors, every layer's
 * activations and patterns). Pure computation lives in src/compute/triage; this module reads the store,
 * finds every layer's nearest neighbours and puts the scores together. Nothing is written: the app, the
 * static export and `nap triage` all call `scoreRun` (see triage-listing.ts for the rows it lists).
 */
import { createHash } from 'node:crypto';
import type { Metric } from '../compute/hdbscan/types.js';
import { resolveStoredParams } from '../compute/hdbscan/options.js';
import { gatherRows, type Matrix } from '../compute/matrix.js';
import { toProbabilities } from '../compute/predictions.js';
import { combinedScore, rankOrder } from '../compute/triage/combine.js';
import { confusionMatrix, labelCodes, type LabelCodes } from '../compute/triage/labels.js';
import { linearProbe, type LinearProbe } from '../compute/triage/linear-probe.js';
import { modelScores } from '../compute/triage/model-scores.js';
import {
  neighbourVotes,
  probeAccuracy,
  type NeighbourLists,
  type NeighbourVotes,
  type ProbeAccuracy,
} from '../compute/triage/neighbour-votes.js';
import { layerNeighbours } from '../compute/triage/neighbours.js';
import {
  duplicateGroups,
  nearDuplicatePairs,
  neighbourDistanceScore,
  type NearDuplicates,
} from '../compute/triage/outliers.js';
import { patternVotes, type PatternVotes } from '../compute/triage/pattern-votes.js';
import { defaultThreads } from '../compute/projection/knn/index.js';
import { METRICS } from '../compute/hdbscan/distance.js';
import { NotFoundError, option } from '../errors.js';
import {
  choice,
  libraryOption,
  list,
  OptionSchema,
  realNumber,
  seedNumber,
  switchOption,
  text,
  valueOption,
  wholeNumber,
  type ValueRule,
} from '../options/schema.js';
import type { LayerInfo, RunRecord, StoredInputs, StoreReader } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { layerClusterings } from './flow.js';
import { NN_DESCENT_ABOVE } from './projection-options.js';
import { runConfig } from './run-config.js';
import { onnxDotKernels } from '../io/onnx/dot-kernel.js';

/** Where the class probabilities come from. */
export type ProbabilitySource =
  /** The model's output, stored per input by `nap analyze` (the default when the run has no shifted ones). */
  | { kind: 'model' }
  /**
   * The model's output over test-time shifts of each image (`nap analyze --test-time-shifts`), the
   * renormalized geometric mean of the passes: the default when the run has them.
   */
  | { kind: 'shifted' }
  /** Softmax of an analyzed layer's values (its logits), un-normalized with the layer's stored divisors. */
  | { kind: 'layer'; layer: string }
  /** No classifier: kNN and pattern scores only. */
  | { kind: 'none' };

/** Every option is optional; defaults on each field. */
export interface TriageScoreOptions {
  /** Neighbours per input, itself not counted; integer 1..1000. Default 10. */
  k?: number;
  /** Distance of the neighbour search. Default: the metric of the run's clusterings (else euclidean). */
  metric?: Metric;
  /** 'exact', 'nn-descent' or 'auto' (default): exact up to 20,000 inputs, as the maps. */
  knn?: 'auto' | 'exact' | 'nn-descent';
  /** Default { kind: 'shifted' } when the run has shifted probabilities, else { kind: 'model' }. */
  probabilities?: ProbabilitySource;
  /**
   * Layers whose kNN votes enter the combined rank. Default: the layers whose leave-one-out probe accuracy
   * is within `probeMargin` of the best layer's (the layers where the labels are most readable), less
   * `excludeLayers`.
   */
  layers?: string[];
  /** Layers never used for the combined rank or the suggested label (e.g. the classifier head). Default none. */
  excludeLayers?: string[];
  /**
   * Default 0.02: on the flipped-label Fashion-MNIST split, the layers within 0.02 of the best (dense and
   * logits) ranked better beside the model than adding conv3 (0.04 below) did.
   */
  probeMargin?: number;
  /**
   * Whether the model saw these inputs in training. Default: the run's `inSample` setting, else false.
   * In-sample, a model that fitted noisy labels gives them high probability, so the classifier's scores
   * get weight IN_SAMPLE_MODEL_WEIGHT instead of MODEL_WEIGHT beside the kNN votes.
   */
  inSample?: boolean;
  /**
   * Layer of the linear probe (out-of-fold softmax regression, linear-probe.ts) whose p(given) enters the
   * combined rank. Default: the last hidden layer (the deepest analyzed layer whose width is not the class
   * count); 'none' leaves the probe out.
   */
  probeLayer?: string;
  /**
   * Weight of the probe's log p(given) in the combined rank. Default PROBE_WEIGHT beside a classifier,
   * HEADLESS_PROBE_WEIGHT without one.
   */
  probeWeight?: number;
  /** Weight of the classifier's log p(given). Default MODEL_WEIGHT (IN_SAMPLE_MODEL_WEIGHT in-sample). */
  modelWeight?: number;
  /**
   * Weight of the smoothed log vote of the early layer (the analyzed layer closest to the input, when the
   * default layer rule does not choose it, it is not excluded and `layers` is not given). Default
   * EARLY_LAYER_WEIGHT beside a classifier, HEADLESS_EARLY_LAYER_WEIGHT without one; 0 leaves it out.
   */
  earlyLayerWeight?: number;
  /** Pseudo-votes per label in the combined rank. Default 2. */
  smoothing?: number;
  /** Near-duplicates: pairs closer than this fraction of the median nearest-neighbour distance. Default 0.1. */
  nearDuplicateFraction?: number;
  /** Layer whose distances define near-duplicates. Default: the first analyzed layer (closest to the input). */
  duplicateLayer?: string;
  /** Seed of NN-descent. Default 42. */
  seed?: number;
  /** Threads of the exact search. Default: all cores. */
  threads?: number;
}

/**
 * Weight of the classifier's log-probability in the combined rank (the layers' mean log vote weighs 1).
 * Chosen on flip seeds 101-112 of the benchmark (scripts/triage/bench-triage.ts; not its reported seeds)
 * among 1/4, 1/2, 1, 2, 4, 8 and 16 with the built-in 91.51% model: precision at 500 rises with the weight to
 * self-confidence's (0.9133 at 4 against 0.9132 alone) and stays there, so the model orders the list and
 * the neighbourhoods break its near-ties. (With the earlier 89.65% model, 1/4 led: the neighbourhoods knew
 * more than that model; docs/triage.md has both tables and what else was tried.)
 */
export const MODEL_WEIGHT = 4;

/**
 * The classifier's weight when the probabilities are in-sample: 1/16, as before the weight above was
 * re-chosen. A judgment, not a measurement: a model that memorised noisy labels ranks them far worse
 * (self-confidence 0.28 at 500 in issue 18's simulation) than the kNN votes of its own hidden layer do
 * (0.76), so the votes lead.
 */
export const IN_SAMPLE_MODEL_WEIGHT = 1 / 16;

/**
 * Weight of the linear probe's out-of-fold log p(given) beside the classifier (the layers' mean log vote
 * weighs 1). Chosen on flip seeds 101-106 among 0, 1/4, 1/2, 1 and 2: precision at 500, mean 0.8983
 * against 0.8970 without the probe; at 1/2 and above it ranked lower (docs/triage.md).
 */
export const PROBE_WEIGHT = 0.25;

/**
 * The probe's weight without a classifier, where it is the only calibrated source: chosen on the same
 * seeds among 1/2, 1 and 2 (0.8770, 0.8767, 0.8757; the kNN votes alone: 0.8213).
 */
export const HEADLESS_PROBE_WEIGHT = 0.5;

/**
 * Weight of the early layer's smoothed log vote beside the classifier (the chosen layers' mean weighs 1):
 * the neighbourhood of the layer closest to the input, formed before the network's classes, errs least
 * like the model. Chosen on flip seeds 101-112 among 1/4, 1/2, 1 and 2 with the built-in 91.51% model
 * (conv1): +0.00, +0.08, +0.25 and -0.42 flips per seed against the pool without it; +0.21 on seeds
 * 113-136, which no choice looked at. Small: within two standard errors of nothing (docs/triage.md).
 */
export const EARLY_LAYER_WEIGHT = 1;

/** The early layer's weight without a classifier: chosen on the same seeds among 1/4, 1/2 and 1. */
export const HEADLESS_EARLY_LAYER_WEIGHT = 0.25;

export interface TriageLayer {
  layer: string;
  order: number;
  /** The layer's newest layer-wide clustering; null when it has none. */
  clusteringId: number | null;
  neighbours: NeighbourLists;
  votes: NeighbourVotes;
  probe: ProbeAccuracy;
  /** Pattern votes; null without a clustering. */
  pattern: PatternVotes | null;
  /** GLOSH outlier score per input; null without a clustering. */
  glosh: Float64Array | null;
  /** Mean distance to the k neighbours (kNN outlier score). */
  neighbourDistance: Float64Array;
  /** Whether its votes enter the combined rank and the suggested label. */
  combined: boolean;
}

export interface RunTriage {
  runId: number;
  /** Inputs, ascending by index; every per-input array below is aligned to them. */
  inputs: StoredInputs;
  codes: LabelCodes;
  /**
   * Words for where the probabilities come from, e.g. 'model output', 'model output, geometric mean over 9
   * test-time shifts' or 'softmax of layer logits'.
   */
  probabilitySource: string;
  /** Passes of the model whose probabilities were averaged: (2N + 1)^2 with test-time shifts of N, else 1. */
  probabilityPasses: number;
  /** count x codes.classCount, or null without a classifier. */
  probabilities: Float32Array | null;
  selfConfidence: Float64Array;
  margin: Float64Array;
  /** The linear probe's out-of-fold probabilities and its layer; null without a probe layer. */
  probe: (LinearProbe & { layer: string }) | null;
  inSample: boolean;
  layers: TriageLayer[];
  /** Combined suspicion, higher first; NaN for inputs without a label. */
  combined: Float64Array;
  /** Tie-breaker of `combined`: 1 - self-confidence, or the mean kNN disagreement over all layers without a classifier. */
  secondary: Float64Array;
  /** Input rows in triage order. */
  order: Int32Array;
  /** Suggested label code (the chosen layers' pooled neighbour vote), -1 where no neighbour votes. */
  suggested: Int32Array;
  /** Index into `layers` of the layer whose neighbours disagree most with the label (the deepest of ties); -1 where none votes. */
  strongestLayer: Int32Array;
  /** codes x codes counts, row = given label, column = predicted class. */
  confusion: Int32Array;
  /** Groups of inputs with the same input tensor (digest), -1 for unique; null when digests are not stored. */
  sameInput: { group: Int32Array; groupCount: number } | null;
  /** Groups of inputs with identical activations in every layer, -1 for unique. */
  sameActivations: { group: Int32Array; groupCount: number };
  nearDuplicates: NearDuplicates & { layer: string };
  settings: {
    k: number;
    metric: Metric;
    knn: 'exact' | 'nn-descent';
    smoothing: number;
    modelWeight: number;
    probeWeight: number;
    /** The linear probe's layer; null without a probe. */
    probeLayer: string | null;
    /** The early layer whose votes enter the combined rank (EARLY_LAYER_WEIGHT); null without one. */
    earlyLayer: string | null;
    earlyLayerWeight: number;
    nearDuplicateFraction: number;
  };
}

const STAGE = 'triage';

function requireLayers(names: readonly string[] | undefined, stored: LayerInfo[], runId: number, what: string): void {
  for (const name of names ?? []) {
    if (!stored.some((info) => info.layer === name)) {
      throw new NotFoundError(`${what} ${JSON.stringify(name)} is not a layer of run ${runId}`, {
        hint: `its layers: ${stored.map((info) => info.layer).join(', ') || 'none (analyze the run first)'}`,
      });
    }
  }
}

/** The run's clustering metric (its newest layer clustering's), euclidean without one. */
async function runMetric(store: StoreReader, runId: number): Promise<Metric> {
  const clusterings = (await store.listClusterings(runId)).filter((c) => c.unit === null);
  const newest = clusterings[clusterings.length - 1];
  if (!newest) return 'euclidean';
  // Only the metric is read, which the row count (it decides the spanning tree) does not change.
  return resolveStoredParams(newest.params as Parameters<typeof resolveStoredParams>[0]).metric;
}

function runInSample(run: RunRecord): boolean {
  return runConfig(run).options.inSample === true;
}

/** Rows of `stored` (by input index) in the order of `inputIndex`; NotFoundError when one is missing. */
function alignRows(stored: Int32Array, inputIndex: Int32Array, what: string): Int32Array {
  const rowOf = new Map<number, number>();
  stored.forEach((index, row) => rowOf.set(index, row));
  return Int32Array.from(inputIndex, (index) => {
    const row = rowOf.get(index);
    if (row === undefined) {
      throw new NotFoundError(`${what} has no row for input ${index}`, { hint: 'analyze the run again' });
    }
    return row;
  });
}

export interface Probabilities {
  source: string;
  /** Passes of the model averaged into `values` (test-time shifts), else 1. */
  passes: number;
  classes: number;
  classNames: string[];
  values: Float32Array | null;
  /** Predicted class per input (aligned to the inputs), -1 where none. */
  predicted: Int32Array;
}

function classNamesOf(run: RunRecord, classes: number): string[] {
  const names = run.predictionLabels;
  return Array.from({ length: classes }, (_, c) => names?.[c] ?? String(c));
}

function argmaxRows(values: Float32Array, count: number, classes: number): Int32Array {
  return Int32Array.from({ length: count }, (_, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c]! > values[r * classes + best]!) best = c;
    return Number.isNaN(values[r * classes + best]!) ? -1 : best;
  });
}

/**
 * The class probabilities of the run's inputs from `source`, aligned to `inputs`; without a source, the
 * shifted ones when the run has them, else the model's.
 */
export async function readProbabilities(
  store: StoreReader,
  run: RunRecord,
  inputs: StoredInputs,
  source: ProbabilitySource | undefined,
): Promise<Probabilities> {
  const count = inputs.index.length;
  if (source?.kind === 'none') return noProbabilities(count);
  let partialShifts = '';
  if (source === undefined || source.kind === 'shifted') {
    const shifted = await readShifted(store, run, inputs);
    if (shifted?.kind === 'complete') return shifted.probabilities;
    const finish = `analyze the run again with ${option('testTimeShifts', shifted?.shifts ?? 1)}, which reuses the extraction`;
    if (source?.kind === 'shifted') {
      const what = shifted
        ? `probabilities over test-time shifts for only ${shifted.covered} of its ${count} inputs (an interrupted analyze)`
        : 'no probabilities over test-time shifts';
      throw new NotFoundError(`run ${run.runId} has ${what}`, {
        hint: `${finish}, or use ${option('probabilities', 'model')}`,
      });
    }
    // A default triage of a run whose shift stage was interrupted ranks every input by the same source.
    if (shifted)
      partialShifts = ` (test-time shifts stored for only ${shifted.covered} of ${count} inputs; to use them, ${finish})`;
  }
  if (source?.kind === 'layer') {
    const { matrix, inputIndex } = await store.readActivations(run.runId, source.layer);
    const divisors = await store.readLayerDivisors(run.runId, source.layer);
    const rows = alignRows(inputIndex, inputs.index, `layer ${source.layer}`);
    const classes = matrix.dim;
    const logits = new Float32Array(count * classes);
    rows.forEach((row, i) => {
      for (let c = 0; c < classes; c++) logits[i * classes + c] = matrix.data[row * classes + c]! * divisors[c]!;
    });
    const values = toProbabilities(logits, count, classes);
    return {
      source: `softmax of layer ${source.layer}`,
      passes: 1,
      classes,
      classNames: classNamesOf(run, classes),
      values,
      predicted: argmaxRows(values, count, classes),
    };
  }
  const details = await store.readInputDetails(run.runId);
  const predicted = Int32Array.from(inputs.prediction);
  const names = run.predictionLabels ?? [];
  if (details === null || details.classes === 0) {
    // Stores written before the vectors were kept still name the classes the model predicted.
    const classes = Math.max(names.length, ...Array.from(predicted, (p) => p + 1));
    return { source: 'none', passes: 1, classes: 0, classNames: classNamesOf(run, classes), values: null, predicted };
  }
  const rows = alignRows(details.inputIndex, inputs.index, 'input_details');
  const { classes } = details;
  const values = gatherRows(details.probabilities, classes, rows);
  const classNames = classNamesOf(run, classes);
  return { source: `model output${partialShifts}`, passes: 1, classes, classNames, values, predicted };
}

type ShiftedRead =
  | { kind: 'complete'; probabilities: Probabilities }
  /** The shift stage stored rows for only `covered` of the inputs (it was interrupted). */
  | { kind: 'partial'; shifts: number; covered: number };

/**
 * The run's probabilities over test-time shifts, aligned to `inputs`, or null when it has none. The
 * predicted classes stay the model's plain predictions (those of the run, its confusion matrix included).
 */
async function readShifted(store: StoreReader, run: RunRecord, inputs: StoredInputs): Promise<ShiftedRead | null> {
  const shifted = await store.readShiftedProbabilities(run.runId);
  if (shifted === null) return null;
  const stored = new Set(shifted.inputIndex);
  const covered = inputs.index.reduce((n, index) => n + (stored.has(index) ? 1 : 0), 0);
  if (covered < inputs.index.length) return { kind: 'partial', shifts: shifted.shifts, covered };
  const rows = alignRows(shifted.inputIndex, inputs.index, 'shifted_probabilities');
  const { classes } = shifted;
  const values = gatherRows(shifted.probabilities, classes, rows);
  const passes = (2 * shifted.shifts + 1) ** 2;
  const probabilities: Probabilities = {
    source: `model output, geometric mean over ${passes} test-time shifts (up to ${shifted.shifts} pixel${shifted.shifts === 1 ? '' : 's'})`,
    passes,
    classes,
    classNames: classNamesOf(run, classes),
    values,
    predicted: Int32Array.from(inputs.prediction),
  };
  return { kind: 'complete', probabilities };
}

/** Reads a layer's activations in the inputs' order. */
async function layerMatrix(store: StoreReader, runId: number, layer: string, inputs: StoredInputs): Promise<Matrix> {
  const { matrix, inputIndex } = await store.readActivations(runId, layer);
  const rows = alignRows(inputIndex, inputs.index, `layer ${layer}`);
  if (rows.every((row, i) => row === i)) return matrix;
  return { count: rows.length, dim: matrix.dim, data: gatherRows(matrix.data, matrix.dim, rows) };
}

/**
 * The linear probe's layer: `requested` ('none': no probe), else the last hidden layer, the deepest layer
 * whose width is not the class count (with one layer, that one).
 */
function chooseProbeLayer(stored: LayerInfo[], requested: string | undefined, classCount: number): string | null {
  if (requested === 'none') return null;
  if (requested !== undefined) return requested;
  const deepestFirst = [...stored].sort((a, b) => b.order - a.order);
  return (deepestFirst.find((info) => info.dim !== classCount) ?? deepestFirst[0])?.layer ?? null;
}

/** The layers whose votes the combined rank uses (see TriageScoreOptions.layers). */
function chooseLayers(layers: TriageLayer[], options: TriageScoreOptions): void {
  const excluded = new Set(options.excludeLayers ?? []);
  if (options.layers !== undefined) {
    for (const layer of layers) layer.combined = options.layers.includes(layer.layer) && !excluded.has(layer.layer);
    return;
  }
  const candidates = layers.filter((l) => !excluded.has(l.layer) && !Number.isNaN(l.probe.accuracy));
  const best = Math.max(...candidates.map((l) => l.probe.accuracy));
  const margin = options.probeMargin ?? 0.02;
  for (const layer of candidates) layer.combined = layer.probe.accuracy >= best - margin;
}

/**
 * The early layer of the default layer rule: the analyzed layer closest to the input, unless it is excluded,
 * chosen already or has no votes; null then, and when `layers` names the combined layers.
 */
function chooseEarlyLayer(layers: readonly TriageLayer[], options: TriageScoreOptions): TriageLayer | null {
  if (options.layers !== undefined) return null;
  const excluded = new Set(options.excludeLayers ?? []);
  const first = layers
    .filter((l) => !excluded.has(l.layer))
    .reduce<TriageLayer | null>((a, l) => (a === null || l.order < a.order ? l : a), null);
  return first && !first.combined && !Number.isNaN(first.probe.accuracy) ? first : null;
}

/** The label with most pooled vote share over the chosen layers; ties by the model's probability, then code. */
function suggestLabels(
  chosen: readonly TriageLayer[],
  labels: Int32Array,
  labelCount: number,
  probabilities: Float32Array | null,
  classes: number,
): Int32Array {
  const count = labels.length;
  const out = new Int32Array(count).fill(-1);
  const pooled = new Float64Array(labelCount);
  const modelP = (i: number, code: number) =>
    probabilities && code < classes ? probabilities[i * classes + code]! : 0;
  for (let i = 0; i < count; i++) {
    pooled.fill(0);
    let any = false;
    for (const layer of chosen) {
      const voters = layer.votes.voters[i]!;
      if (voters === 0) continue;
      any = true;
      // Each layer adds its vote shares, so every layer weighs the same.
      const { ids, k } = layer.neighbours;
      for (let j = 0; j < k; j++) {
        const label = labels[ids[i * k + j]!]!;
        if (label >= 0) pooled[label]! += 1 / voters;
      }
    }
    if (!any) continue;
    let best = -1;
    for (let c = 0; c < labelCount; c++) {
      if (pooled[c]! <= 0) continue;
      const gap = best < 0 ? 1 : pooled[c]! - pooled[best]!;
      if (gap > 1e-9 || (Math.abs(gap) <= 1e-9 && modelP(i, c) > modelP(i, best))) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** Per input, the layer whose neighbours give the label the smallest share (the deepest of equal ones). */
function strongestLayers(layers: readonly TriageLayer[], count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => {
    let best = -1;
    layers.forEach((layer, l) => {
      const share = layer.votes.givenShare[i]!;
      if (Number.isNaN(share)) return;
      if (best < 0 || share <= layers[best]!.votes.givenShare[i]!) best = l;
    });
    return best;
  });
}

/** Mean kNN disagreement (1 - given share) over the layers that score the input; NaN where none does. */
function meanDisagreement(layers: readonly TriageLayer[], count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => {
    let sum = 0;
    let n = 0;
    for (const layer of layers) {
      const share = layer.votes.givenShare[i]!;
      if (Number.isNaN(share)) continue;
      sum += 1 - share;
      n++;
    }
    return n > 0 ? sum / n : Number.NaN;
  });
}

/** A digest per input of its activations in every layer, so equal digests mean identical activations. */
function activationDigests(hashes: ReturnType<typeof createHash>[]): string[] {
  return hashes.map((hash) => hash.digest('hex'));
}

/** `model`, `shifted`, `none` or `layer:NAME` on the CLI; a ProbabilitySource in the library. */
const PROBABILITY_SOURCE: ValueRule<ProbabilitySource> = {
  parse: (value) => {
    if (value === 'model' || value === 'shifted' || value === 'none') return { kind: value };
    return value.startsWith('layer:') ? { kind: 'layer', layer: value.slice('layer:'.length) } : undefined;
  },
  valid: (value): value is ProbabilitySource => {
    const source = value as Partial<{ kind: unknown; layer: unknown }> | null;
    if (typeof source !== 'object' || source === null) return false;
    if (source.kind === 'model' || source.kind === 'shifted' || source.kind === 'none') return true;
    return source.kind === 'layer' && typeof source.layer === 'string' && source.layer.trim() !== '';
  },
  what: { one: 'model, shifted, none or layer:NAME', many: 'sources among model, shifted, none and layer:NAME' },
  format: (value) => (value.kind === 'layer' ? `layer:${value.layer}` : value.kind),
  example: { kind: 'layer', layer: 'logits' },
  placeholder: 'model|shifted|none|layer:NAME',
};

const LAYER_LIST = list(text({ example: 'dense' }), { example: ['dense', 'logits'], placeholder: 'a,b' });

/** The options of `scoreRun` and `nap triage` (see src/options/schema.ts). */
export const TRIAGE_SCORE_OPTIONS = new OptionSchema<TriageScoreOptions>('triage', {
  k: valueOption(wholeNumber({ example: 10, min: 1, max: 1000, placeholder: 'K' }), {
    flag: 'k',
    help: 'neighbours per input',
    default: 10,
  }),
  metric: valueOption(choice(METRICS), { flag: 'metric', help: "distance (default: the run's clustering metric)" }),
  knn: valueOption(choice(['auto', 'exact', 'nn-descent'] as const), {
    flag: 'knn',
    help: 'neighbour search: auto is exact up to 20,000 inputs',
    default: 'auto',
  }),
  probabilities: valueOption(PROBABILITY_SOURCE, {
    flag: 'probabilities',
    help: 'model output, shifted (its geometric mean over the test-time shifts of nap analyze --test-time-shifts), none (kNN and patterns only) or the softmax of an analyzed layer',
    defaultText: 'shifted when the run has them, else model',
  }),
  layers: valueOption(LAYER_LIST, {
    flag: 'layers',
    help: "layers whose neighbours enter the combined score (default: those within 0.02 of the best layer's kNN probe accuracy)",
  }),
  excludeLayers: valueOption(LAYER_LIST, {
    flag: 'exclude-layers',
    help: 'never use these layers for the combined score (e.g. the classifier head)',
  }),
  inSample: switchOption({
    flag: 'in-sample',
    help: "the model was trained on these inputs: its probabilities weigh less (default: the run's setting)",
  }),
  nearDuplicateFraction: valueOption(realNumber({ example: 0.1, min: 0, max: 1, placeholder: 'F' }), {
    flag: 'near-duplicates',
    help: 'near-duplicate cut as a fraction of the median nearest-neighbour distance',
    default: 0.1,
  }),
  probeMargin: libraryOption(realNumber({ example: 0.02, min: 0, max: 1 }), {
    help: 'layers within this much of the best kNN probe accuracy enter the combined score',
  }),
  probeLayer: valueOption(text({ example: 'dense' }), {
    flag: 'probe-layer',
    help: 'layer of the cross-validated linear probe in the combined score, or none (default: the last hidden layer)',
  }),
  probeWeight: libraryOption(realNumber({ example: 1, min: 0 }), { help: "weight of the probe's log p(given)" }),
  modelWeight: libraryOption(realNumber({ example: 0.25, min: 0 }), { help: "weight of the model's log p(given)" }),
  earlyLayerWeight: libraryOption(realNumber({ example: 1, min: 0 }), {
    help: 'weight of the log vote of the layer closest to the input (0: none)',
  }),
  smoothing: libraryOption(realNumber({ example: 2, min: 1e-6 }), { help: 'pseudo-votes per label' }),
  duplicateLayer: libraryOption(text({ example: 'conv1' }), { help: 'layer whose distances define near-duplicates' }),
  seed: libraryOption(seedNumber(42), { help: 'seed of NN-descent' }),
  threads: libraryOption(wholeNumber({ example: 2, min: 1, max: 1024 }), { help: 'threads of the exact search' }),
});

/** One layer's label-free part of the triage: its neighbours, its patterns, its outlier scores. */
interface BaseLayer {
  layer: string;
  order: number;
  clusteringId: number | null;
  neighbours: NeighbourLists;
  /** Each input's pattern (-1: noise) and the pattern count; null without a clustering. */
  patterns: { patternCount: number; patternId: Int32Array } | null;
  glosh: Float64Array | null;
  neighbourDistance: Float64Array;
}

/**
 * What triage reads and finds before it looks at a label: the inputs, the class probabilities, every
 * layer's neighbours and patterns, and the duplicates. The labels' scores (scoreLabels) are cheap beside
 * it, so a benchmark can score many label sets (e.g. flip seeds) of one analysis from one base.
 */
export interface TriageBase {
  run: RunRecord;
  inputs: StoredInputs;
  probabilities: Probabilities;
  layers: BaseLayer[];
  sameInput: RunTriage['sameInput'];
  sameActivations: RunTriage['sameActivations'];
  nearDuplicates: RunTriage['nearDuplicates'];
  /** The linear probe's layer and its activations (aligned to the inputs); null without one. */
  probeFeatures: { layer: string; matrix: Matrix } | null;
  settings: Omit<
    RunTriage['settings'],
    'smoothing' | 'modelWeight' | 'probeWeight' | 'probeLayer' | 'earlyLayer' | 'earlyLayerWeight'
  >;
}

/** The label-free half of `scoreRun`: reads the store and finds every layer's neighbours. */
export async function triageBase(
  store: StoreReader,
  runId: number,
  options: TriageScoreOptions = {},
  control: TaskControl = {},
): Promise<TriageBase> {
  TRIAGE_SCORE_OPTIONS.check(options);
  const run = await store.getRun(runId);
  const stored = await store.listLayers(runId);
  requireLayers(options.layers, stored, runId, 'triage layer');
  requireLayers(options.excludeLayers, stored, runId, 'excluded layer');
  requireLayers(options.duplicateLayer === undefined ? [] : [options.duplicateLayer], stored, runId, 'duplicate layer');
  if (options.probeLayer !== undefined && options.probeLayer !== 'none') {
    requireLayers([options.probeLayer], stored, runId, 'probe layer');
  }
  const source = options.probabilities;
  if (source?.kind === 'layer') requireLayers([source.layer], stored, runId, 'probability layer');
  if (stored.length === 0) {
    throw new NotFoundError(`run ${runId} has no analyzed layers`, { hint: 'analyze the run first' });
  }
  const inputs = await store.readInputs(runId);
  const count = inputs.index.length;
  const probabilities = await readProbabilities(store, run, inputs, source);
  const k = options.k ?? 10;
  const metric = options.metric ?? (await runMetric(store, runId));
  const requested = options.knn ?? 'auto';
  const knn = requested === 'auto' ? (count > NN_DESCENT_ABOVE ? 'nn-descent' : 'exact') : requested;
  const clusterings = new Map((await layerClusterings(store, runId)).map((c) => [c.layer, c]));
  const hashes = Array.from({ length: count }, () => createHash('sha256'));
  const layers: BaseLayer[] = [];
  const probeLayer = chooseProbeLayer(
    stored,
    options.probeLayer,
    probabilities.classes || (run.predictionLabels?.length ?? 0),
  );
  let probeFeatures: TriageBase['probeFeatures'] = null;
  for (const [done, info] of stored.entries()) {
    throwIfCancelled(control.signal, STAGE);
    control.onProgress?.({ stage: `${STAGE}: neighbours`, done, total: stored.length });
    const matrix = await layerMatrix(store, runId, info.layer, inputs);
    if (info.layer === probeLayer) probeFeatures = { layer: info.layer, matrix };
    for (let i = 0; i < count; i++) {
      hashes[i]!.update(
        new Uint8Array(matrix.data.buffer, matrix.data.byteOffset + i * matrix.dim * 4, matrix.dim * 4),
      );
    }
    const neighbours = await layerNeighbours(
      matrix,
      {
        k,
        metric,
        method: knn,
        seed: options.seed ?? 42,
        threads: options.threads ?? defaultThreads(),
        stage: `${STAGE}: ${info.layer} neighbours`,
        kernels: onnxDotKernels,
      },
      control,
    );
    const clustering = clusterings.get(info.layer);
    let patterns: BaseLayer['patterns'] = null;
    let glosh: Float64Array | null = null;
    if (clustering) {
      const memberships = await store.readMemberships(clustering.clusteringId);
      const rows = alignRows(memberships.inputIndex, inputs.index, `clustering ${clustering.clusteringId}`);
      patterns = {
        patternCount: clustering.patternCount,
        patternId: Int32Array.from(rows, (row) => memberships.patternId[row]!),
      };
      glosh = Float64Array.from(rows, (row) => memberships.outlierScore[row]!);
    }
    layers.push({
      layer: info.layer,
      order: info.order,
      clusteringId: clustering?.clusteringId ?? null,
      neighbours,
      patterns,
      glosh,
      neighbourDistance: neighbourDistanceScore(neighbours),
    });
  }
  control.onProgress?.({ stage: `${STAGE}: neighbours`, done: stored.length, total: stored.length });
  const fraction = options.nearDuplicateFraction ?? 0.1;
  const duplicateLayer = layers.find((l) => l.layer === (options.duplicateLayer ?? stored[0]!.layer))!;
  const details = await store.readInputDetails(runId);
  const digests = details ? alignRows(details.inputIndex, inputs.index, 'input_details') : null;
  return {
    run,
    inputs,
    probabilities,
    layers,
    sameInput: digests && details ? duplicateGroups(Array.from(digests, (row) => details.digest[row] ?? null)) : null,
    sameActivations: duplicateGroups(activationDigests(hashes)),
    nearDuplicates: { ...nearDuplicatePairs(duplicateLayer.neighbours, fraction), layer: duplicateLayer.layer },
    probeFeatures,
    settings: { k, metric, knn, nearDuplicateFraction: fraction },
  };
}

/**
 * The label half of `scoreRun`: every score of `labels` (one per input of the base, null: none) over the
 * base's neighbours and probabilities. `scoreRun` passes the stored labels.
 */
export function scoreLabels(
  base: TriageBase,
  labels: readonly (string | null)[],
  options: TriageScoreOptions = {},
): RunTriage {
  const { probabilities } = base;
  const count = base.inputs.index.length;
  if (labels.length !== count) throw new RangeError(`${labels.length} labels for ${count} inputs`);
  const inputs: StoredInputs = { ...base.inputs, label: [...labels] };
  const codes = labelCodes(inputs.label, probabilities.predicted, probabilities.classNames);
  const labelCount = codes.names.length;
  const model = probabilities.values
    ? modelScores(probabilities.values, probabilities.classes, codes.given)
    : { selfConfidence: new Float64Array(count).fill(Number.NaN), margin: new Float64Array(count).fill(Number.NaN) };
  const layers: TriageLayer[] = base.layers.map((l) => {
    const votes = neighbourVotes(l.neighbours, codes.given, codes.predicted, labelCount);
    return {
      layer: l.layer,
      order: l.order,
      clusteringId: l.clusteringId,
      neighbours: l.neighbours,
      votes,
      probe: probeAccuracy(votes, codes.given),
      pattern: l.patterns ? patternVotes(l.patterns, codes.given, labelCount) : null,
      glosh: l.glosh,
      neighbourDistance: l.neighbourDistance,
      combined: false,
    };
  });
  chooseLayers(layers, options);
  const chosen = layers.filter((l) => l.combined);
  const earlyLayerWeight =
    options.earlyLayerWeight ?? (probabilities.values ? EARLY_LAYER_WEIGHT : HEADLESS_EARLY_LAYER_WEIGHT);
  const early = earlyLayerWeight > 0 ? chooseEarlyLayer(layers, options) : null;

  const inSample = options.inSample ?? runInSample(base.run);
  const smoothing = options.smoothing ?? 2;
  const modelWeight = options.modelWeight ?? (inSample ? IN_SAMPLE_MODEL_WEIGHT : MODEL_WEIGHT);
  const probeWeight = options.probeWeight ?? (probabilities.values ? PROBE_WEIGHT : HEADLESS_PROBE_WEIGHT);
  const probe = base.probeFeatures ? probeOf(base.probeFeatures, codes.given, labelCount, options.seed ?? 42) : null;
  const combined = combinedScore(
    {
      given: codes.given,
      labelCount,
      selfConfidence: probabilities.values ? model.selfConfidence : null,
      probe: probe?.given ?? null,
      layers: chosen.map((l) => ({ givenShare: l.votes.givenShare, voters: l.votes.voters })),
      earlyLayer: early && { givenShare: early.votes.givenShare, voters: early.votes.voters },
    },
    { model: modelWeight, probe: probeWeight, earlyLayer: earlyLayerWeight, smoothing },
  );
  const secondary = probabilities.values
    ? Float64Array.from(model.selfConfidence, (p) => 1 - p)
    : meanDisagreement(layers, count);
  return {
    runId: base.run.runId,
    inputs,
    codes,
    probabilitySource: probabilities.source,
    probabilityPasses: probabilities.passes,
    probabilities: probabilities.values,
    selfConfidence: model.selfConfidence,
    margin: model.margin,
    probe,
    inSample,
    layers,
    combined,
    secondary,
    order: rankOrder(combined, secondary, inputs.index),
    suggested: suggestLabels(chosen, codes.given, labelCount, probabilities.values, probabilities.classes),
    strongestLayer: strongestLayers(layers, count),
    confusion: confusionMatrix(codes.given, codes.predicted, labelCount),
    sameInput: base.sameInput,
    sameActivations: base.sameActivations,
    nearDuplicates: base.nearDuplicates,
    settings: {
      ...base.settings,
      smoothing,
      modelWeight,
      probeWeight,
      probeLayer: probe?.layer ?? null,
      earlyLayer: early?.layer ?? null,
      earlyLayerWeight: early ? earlyLayerWeight : 0,
    },
  };
}

/**
 * The last probe of each feature matrix, by labels and seed: a base scored twice with the same labels
 * (with and without its classifier, or with other weights) fits the probe once.
 */
const lastProbe = new WeakMap<Matrix, { key: string; probe: LinearProbe & { layer: string } }>();

function probeOf(
  features: { layer: string; matrix: Matrix },
  given: Int32Array,
  labelCount: number,
  seed: number,
): LinearProbe & { layer: string } {
  const key = `${seed}:${labelCount}:${given.join(',')}`;
  const cached = lastProbe.get(features.matrix);
  if (cached?.key === key) return cached.probe;
  const probe = { ...linearProbe(features.matrix, given, labelCount, { seed }), layer: features.layer };
  lastProbe.set(features.matrix, { key, probe });
  return probe;
}

/** The base without the classifier: as if triaged with `probabilities: { kind: 'none' }`. */
export function withoutClassifier(base: TriageBase): TriageBase {
  return { ...base, probabilities: noProbabilities(base.inputs.index.length) };
}

/** No classifier: no probabilities, and no predicted class for any of `count` inputs. */
function noProbabilities(count: number): Probabilities {
  return {
    source: 'none',
    passes: 1,
    classes: 0,
    classNames: [],
    values: null,
    predicted: new Int32Array(count).fill(-1),
  };
}

/** Every triage score of a run (see the module comment). */
export async function scoreRun(
  store: StoreReader,
  runId: number,
  options: TriageScoreOptions = {},
  control: TaskControl = {},
): Promise<RunTriage> {
  const base = await triageBase(store, runId, options, control);
  return scoreLabels(base, base.inputs.label, options);
}
