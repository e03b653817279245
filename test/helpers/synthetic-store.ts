/**
 * A results store shaped like a real analysis, written through NapStore, for benches and browser tests of
 * the reading side (the server, the app, the static export) at sizes no analysis here makes quickly: N digits of
 * the mnist package (cycled past its 10,000, so thumbnails are cheap), layers whose patterns group digits
 * of one label (a few mixed in), 15% noise, activations drawn around each pattern's centre, a 2-D map per
 * layer (islands around each pattern's place), and statistics, max activations and average images computed
 * from them. One million inputs over two layers take a minute or two.
 */
import { makeMatrix } from '../../src/compute/matrix.js';
import { columnStatistics, rowsByGroup } from '../../src/compute/statistics.js';
import { unitStatsOfPatterns } from '../../src/engine/cluster-layer.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { mulberry32 as random } from '../../src/io/datasets/sample.js';
import { NapStore } from '../../src/io/store/index.js';

export interface SyntheticLayer {
  name: string;
  units: number;
}

export const DEFAULT_LAYERS: readonly SyntheticLayer[] = [
  { name: 'conv1', units: 16 },
  { name: 'conv2', units: 32 },
  { name: 'dense', units: 64 },
];

export interface SyntheticStoreOptions {
  inputs: number;
  patterns: number;
  layers?: readonly SyntheticLayer[];
  /** A 2-D map per layer (a stand-in for UMAP): islands around each pattern's place, noise spread over the plane. */
  projections?: boolean;
  /** Called after each step with what was done. */
  onStep?: (step: string) => void;
}

const NOISE_SHARE = 0.15;
const TOP_K = 16;
const SIDE = 28;

/** The TOP_K rows of largest value (ties: lower row first), in one pass with a small sorted list. */
function topRows(count: number, value: (row: number) => number): number[] {
  const rows: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = value(i);
    if (rows.length === TOP_K && v <= values[TOP_K - 1]!) continue;
    let at = rows.length;
    while (at > 0 && values[at - 1]! < v) at--;
    rows.splice(at, 0, i);
    values.splice(at, 0, v);
    if (rows.length > TOP_K) {
      rows.pop();
      values.pop();
    }
  }
  return rows;
}

/** Writes the synthetic run into `file` (a new store) and returns its run id. */
export async function synthesizeStore(file: string, options: SyntheticStoreOptions): Promise<{ runId: number }> {
  const { inputs, patterns, layers = DEFAULT_LAYERS, projections = false, onStep = () => undefined } = options;
  const dataset = await openDataset('mnist');
  const next = random(inputs * 7919 + patterns);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const labels = Array.from({ length: inputs }, (_, i) => dataset.items[i % dataset.items.length]!.label);
  const prediction = Int32Array.from(labels, (label) => (next() < 0.08 ? Math.floor(next() * 10) : Number(label)));
  const pixels = new Uint8Array(dataset.items.length * SIDE * SIDE);
  for (const item of dataset.items)
    pixels.set(await dataset.pixels(item.index, { width: SIDE, height: SIDE }, 1), item.index * SIDE * SIDE);

  const store = await NapStore.open(file);
  try {
    const runId = await store.createRun({
      name: `synthetic ${inputs} digits`,
      modelPath: 'synthetic.onnx',
      modelSha256: '0'.repeat(64),
      modelLayout: 'channels-first',
      datasetSpec: 'mnist',
      datasetFingerprint: dataset.fingerprint,
      extractionConfigHash: `bench-${inputs}-${patterns}`,
      config: { preprocessing: { width: SIDE, height: SIDE, channels: 1 }, synthetic: true },
      predictionLabels: Array.from({ length: 10 }, (_, i) => String(i)),
    });
    const index = Int32Array.from({ length: inputs }, (_, i) => i);
    await store.appendInputs(runId, {
      index,
      path: Array.from(index, (i) => dataset.items[i % dataset.items.length]!.path),
      label: labels,
      prediction,
      predictionLabel: Array.from(prediction, String),
      probability: Float64Array.from({ length: inputs }, () => 0.5 + next() / 2),
    });
    onStep('inputs');
    const perLabel = Math.ceil(patterns / 10);
    for (const [order, layer] of layers.entries()) {
      await store.appendLayer(runId, {
        layer: layer.name,
        order,
        opType: order < layers.length - 1 ? 'Relu' : 'Gemm',
        rawDims: order < layers.length - 1 ? [layer.units, 12, 12] : [layer.units],
        aggregation: 'mean',
        dim: layer.units,
      });
      const assignment = Int32Array.from(labels, (label) => {
        if (next() < NOISE_SHARE) return -1;
        const group = next() < 0.1 ? Math.floor(next() * 10) : Number(label);
        return Math.min(patterns - 1, group * perLabel + Math.floor(next() * perLabel));
      });
      const centres = Float32Array.from({ length: patterns * layer.units }, () => (next() < 0.4 ? 0 : next()));
      const data = new Float32Array(inputs * layer.units);
      for (let i = 0; i < inputs; i++) {
        const p = assignment[i]!;
        for (let u = 0; u < layer.units; u++)
          data[i * layer.units + u] = Math.max(
            0,
            (p < 0 ? next() * 0.6 : centres[p * layer.units + u]!) + (next() - 0.5) * 0.2,
          );
      }
      for (let u = 0; u < layer.units; u++) {
        let max = 0;
        for (let i = 0; i < inputs; i++) max = Math.max(max, data[i * layer.units + u]!);
        for (let i = 0; i < inputs; i++) data[i * layer.units + u] = max > 0 ? data[i * layer.units + u]! / max : 0;
      }
      const matrix = makeMatrix(inputs, layer.units, data);
      await store.appendActivations(runId, layer.name, matrix, index);
      await store.saveUnitStats(
        { runId, layer: layer.name },
        { unit: Int32Array.from({ length: layer.units }, (_, u) => u), ...columnStatistics(matrix) },
      );
      const probabilities = Float64Array.from(assignment, (p) => (p < 0 ? 0 : 0.3 + 0.7 * next()));
      const outlierScores = Float64Array.from(assignment, (p) => (p < 0 ? 0.5 + next() / 2 : next() * 0.6));
      const clusteringId = await store.saveClustering(runId, layer.name, {
        unit: null,
        params: {
          minClusterSize: 5,
          minSamples: 5,
          clusterSelectionMethod: 'leaf',
          metric: 'euclidean',
          synthetic: true,
        },
        inputIndex: index,
        labels: assignment,
        probabilities,
        outlierScores,
        persistence: Float64Array.from({ length: patterns }, () => next() * 0.4),
        condensedTree: {
          parent: Int32Array.from(index, () => inputs),
          child: index,
          lambda: Float64Array.from(index, () => 1),
          childSize: Int32Array.from(index, () => 1),
        },
      });
      const groups = rowsByGroup(assignment, patterns);
      await store.saveUnitStats(
        { clusteringId },
        unitStatsOfPatterns(
          groups.map((rows) => columnStatistics(matrix, rows)),
          layer.units,
        ),
      );
      const maxUnit: number[] = [];
      const maxRank: number[] = [];
      const maxInput: number[] = [];
      const maxValue: number[] = [];
      for (let u = -1; u < layer.units; u++) {
        const value = (i: number) =>
          u >= 0 ? data[i * layer.units + u]! : Math.max(...data.subarray(i * layer.units, (i + 1) * layer.units));
        topRows(inputs, value).forEach((i, rank) => {
          maxUnit.push(u);
          maxRank.push(rank);
          maxInput.push(i);
          maxValue.push(value(i));
        });
      }
      await store.saveMaxActivations(runId, layer.name, {
        unit: Int32Array.from(maxUnit),
        rank: Int32Array.from(maxRank),
        inputIndex: Int32Array.from(maxInput),
        value: Float64Array.from(maxValue),
      });
      const sums = new Float64Array(patterns * SIDE * SIDE);
      const sizes = new Int32Array(patterns);
      assignment.forEach((p, i) => {
        if (p < 0) return;
        sizes[p]!++;
        const from = (i % dataset.items.length) * SIDE * SIDE;
        for (let k = 0; k < SIDE * SIDE; k++) sums[p * SIDE * SIDE + k]! += pixels[from + k]!;
      });
      const means = Uint8Array.from(sums, (sum, k) =>
        Math.round(sum / Math.max(1, sizes[Math.floor(k / (SIDE * SIDE))]!)),
      );
      await store.saveAverageImages(clusteringId, {
        patternId: Int32Array.from({ length: patterns }, (_, p) => p),
        width: SIDE,
        height: SIDE,
        channels: 1,
        pixels: means,
      });
      if (projections) {
        const place = Float32Array.from({ length: patterns * 2 }, () => next() * 40 - 20);
        const x = new Float32Array(inputs);
        const y = new Float32Array(inputs);
        for (let i = 0; i < inputs; i++) {
          const p = assignment[i]!;
          x[i] = p < 0 ? next() * 48 - 24 : place[2 * p]! + gauss() * 0.5;
          y[i] = p < 0 ? next() * 48 - 24 : place[2 * p + 1]! + gauss() * 0.5;
        }
        await store.saveProjection(runId, layer.name, {
          method: 'umap',
          params: { synthetic: true },
          inputIndex: index,
          x,
          y,
        });
      }
      onStep(`layer ${layer.name}`);
    }
    await store.setRunStatus(runId, 'complete');
    return { runId };
  } finally {
    await store.close();
  }
}
