/**
 * The layout optimisation in any number of dimensions, sequential (umap-learn's optimize_layout_euclidean
 * with one thread): what a clustering space of 5 or 10 dimensions needs. The 2-D maps use
 * layout-epochs.ts instead, specialised to two coordinates and splittable over worker threads; the
 * sampling schedule, the random draws (keyed by seed, epoch and edge) and the gradients are the same.
 */
import type { StageCheckpoint } from './checkpoint.js';
import {
  attractionCoefficient,
  lookup,
  repulsionCoefficient,
  TABLE_HIGH,
  TABLE_LOW,
  tabulate,
} from './gradient-tables.js';
import { clip, type EpochConstants } from './layout-epochs.js';
import { drawnVertex, dueNegatives, epochKey, firstDraw, nextDraw } from './negative-draws.js';
import type { SparseGraph } from './sparse-graph.js';

/** Updates `layout` (count x dims, row-major) in place; progress counts epochs. */
export async function optimizeLayoutInDims(
  layout: Float64Array,
  dims: number,
  graph: SparseGraph,
  constants: EpochConstants,
  checkpoint: StageCheckpoint,
): Promise<void> {
  const { count, rowStart, columns, weights } = graph;
  const { a, b, epochs, negativeSampleRate, repulsionStrength, learningRate, seed } = constants;
  const attraction = tabulate((d2) => attractionCoefficient(d2, a, b));
  const repulsion = tabulate((d2) => repulsionCoefficient(d2, a, b, repulsionStrength));
  let heaviest = 0;
  for (const weight of weights) heaviest = Math.max(heaviest, weight);
  // map, not Float64Array.from(weights, fn): from goes through an iterator and a list of boxed numbers (GBs at 1M inputs).
  const epochsPerSample = weights.map((weight) => heaviest / weight);
  const nextSample = epochsPerSample.slice();
  const nextNegativeSample = epochsPerSample.map((perSample) => perSample / negativeSampleRate);
  const delta = new Float64Array(dims);
  const drawScale = count / 4294967296;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const alpha = learningRate * (1 - epoch / epochs);
    const key = epochKey(seed, epoch);
    for (let j = 0; j < count; j++) {
      const jBase = j * dims;
      for (let edge = rowStart[j]!, end = rowStart[j + 1]!; edge < end; edge++) {
        if (nextSample[edge]! > epoch) continue;
        const kBase = columns[edge]! * dims;
        let distanceSquared = 0;
        for (let d = 0; d < dims; d++) {
          const value = layout[jBase + d]! - layout[kBase + d]!;
          delta[d] = value;
          distanceSquared += value * value;
        }
        if (distanceSquared > 0) {
          const coefficient =
            distanceSquared >= TABLE_LOW && distanceSquared < TABLE_HIGH
              ? lookup(attraction, distanceSquared)
              : attractionCoefficient(distanceSquared, a, b);
          for (let d = 0; d < dims; d++) {
            const step = clip(coefficient * delta[d]!) * alpha;
            layout[jBase + d]! += step;
            layout[kBase + d]! -= step;
          }
        }
        const perSample = epochsPerSample[edge]!;
        nextSample[edge]! += perSample;

        const negatives = dueNegatives(nextNegativeSample, edge, perSample / negativeSampleRate, epoch);
        let state = firstDraw(key, edge);
        for (let p = 0; p < negatives; p++) {
          state = nextDraw(state);
          const other = drawnVertex(state, drawScale);
          if (other === j) continue;
          const oBase = other * dims;
          distanceSquared = 0;
          for (let d = 0; d < dims; d++) {
            const value = layout[jBase + d]! - layout[oBase + d]!;
            delta[d] = value;
            distanceSquared += value * value;
          }
          if (distanceSquared <= 0) continue;
          const coefficient =
            distanceSquared >= TABLE_LOW && distanceSquared < TABLE_HIGH
              ? lookup(repulsion, distanceSquared)
              : repulsionCoefficient(distanceSquared, a, b, repulsionStrength);
          for (let d = 0; d < dims; d++) layout[jBase + d]! += clip(coefficient * delta[d]!) * alpha;
        }
      }
    }
    await checkpoint.tick(epoch + 1);
  }
}
