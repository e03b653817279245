/*
 * The work of one layout epoch, shared by the in-thread runner and the worker threads. Arrays live
 * in SharedArrayBuffers when threads are used.
 *
 * The vertices are split into a fixed number of contiguous blocks (not tied to the thread count).
 * Inside its block a vertex's samples run exactly as in umap-learn: it sees the current positions
 * and an edge moves both its ends at once. Across blocks an epoch is synchronous: a vertex sees
 * other blocks' vertices where they were when the epoch began (`snapshot`), and the pull of an edge
 * (j, k) on a k in another block is stored (in k's slot for the reverse edge (k, j), so k reads its
 * row in order) and added to k after the epoch. Blocks can thus run on different threads, each
 * writing only its own vertices, and as neither the blocks nor the random draws (keyed by seed,
 * epoch and edge) depend on the threads, the layout is bit-identical for a seed whatever the
 * thread count.
 */
import { attractionCoefficient, lookup, repulsionCoefficient, TABLE_HIGH, TABLE_LOW } from './gradient-tables.js';
import { drawnVertex, dueNegatives, epochKey, firstDraw, nextDraw } from './negative-draws.js';

export interface LayoutArrays {
  count: number;
  rowStart: Int32Array;
  columns: Int32Array;
  /** For an edge (j, k) between blocks, the slot of `owed` where it leaves its pull on k; -1 within a block. */
  owedSlot: Int32Array;
  /** Vertex k's slots of `owed` are owedStart[k] .. owedStart[k + 1]. */
  owedStart: Int32Array;
  epochsPerSample: Float64Array;
  nextSample: Float64Array;
  nextNegativeSample: Float64Array;
  /** count x 2 positions, updated during the epoch by the samples of the vertex's block. */
  live: Float32Array;
  /** count x 2 positions at the start of the epoch. */
  snapshot: Float32Array;
  /** Per slot (see owedSlot), x then y: the move that an edge from another block owes its vertex this epoch. */
  owed: Float32Array;
  /** attractionCoefficient tabulated (see gradient-tables.ts). */
  attraction: Float32Array;
  /** repulsionCoefficient tabulated. */
  repulsion: Float32Array;
}

export interface EpochConstants {
  a: number;
  b: number;
  epochs: number;
  /** Negative samples per positive sample (umap-learn: 5). */
  negativeSampleRate: number;
  /** Weight of the repulsive term (umap-learn's gamma / repulsion_strength: 1). */
  repulsionStrength: number;
  /** Starting learning rate, decayed linearly to 0 (umap-learn: 1). */
  learningRate: number;
  seed: number;
}

const GRADIENT_CLIP = 4;

/** Phase 1 of an epoch for the block of vertices [from, to): positive samples of their due edges, then negative ones. */
export function moveVertices(
  arrays: LayoutArrays,
  constants: EpochConstants,
  epoch: number,
  from: number,
  to: number,
): void {
  const {
    count,
    rowStart,
    columns,
    owedSlot,
    epochsPerSample,
    nextSample,
    nextNegativeSample,
    live,
    snapshot,
    owed,
    attraction,
    repulsion,
  } = arrays;
  const { a, b, epochs, negativeSampleRate, repulsionStrength, learningRate, seed } = constants;
  const alpha = learningRate * (1 - epoch / epochs);
  const drawScale = count / 4294967296;
  const key = epochKey(seed, epoch);
  for (let j = from; j < to; j++) {
    let x = live[2 * j]!;
    let y = live[2 * j + 1]!;
    for (let edge = rowStart[j]!, end = rowStart[j + 1]!; edge < end; edge++) {
      if (nextSample[edge]! > epoch) continue;
      const k = columns[edge]!;
      const inBlock = k >= from && k < to;
      const positions = inBlock ? live : snapshot;
      let dx = x - positions[2 * k]!;
      let dy = y - positions[2 * k + 1]!;
      let distanceSquared = dx * dx + dy * dy;
      if (distanceSquared > 0) {
        const coefficient =
          distanceSquared >= TABLE_LOW && distanceSquared < TABLE_HIGH
            ? lookup(attraction, distanceSquared)
            : attractionCoefficient(distanceSquared, a, b);
        const gx = clip(coefficient * dx) * alpha;
        const gy = clip(coefficient * dy) * alpha;
        x += gx;
        y += gy;
        if (inBlock) {
          live[2 * k]! -= gx;
          live[2 * k + 1]! -= gy;
        } else {
          const slot = 2 * owedSlot[edge]!;
          owed[slot] = -gx;
          owed[slot + 1] = -gy;
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
        const positions = other >= from && other < to ? live : snapshot;
        dx = x - positions[2 * other]!;
        dy = y - positions[2 * other + 1]!;
        distanceSquared = dx * dx + dy * dy;
        if (distanceSquared <= 0) continue;
        const coefficient =
          distanceSquared >= TABLE_LOW && distanceSquared < TABLE_HIGH
            ? lookup(repulsion, distanceSquared)
            : repulsionCoefficient(distanceSquared, a, b, repulsionStrength);
        x += clip(coefficient * dx) * alpha;
        y += clip(coefficient * dy) * alpha;
      }
    }
    live[2 * j] = x;
    live[2 * j + 1] = y;
  }
}

/** Phase 2 for vertices [from, to): add what other blocks' edges owe them, in edge order; refresh the snapshot. */
export function settleVertices(arrays: LayoutArrays, from: number, to: number): void {
  const { owedStart, live, snapshot, owed } = arrays;
  for (let k = from; k < to; k++) {
    let x = live[2 * k]!;
    let y = live[2 * k + 1]!;
    for (let slot = 2 * owedStart[k]!, end = 2 * owedStart[k + 1]!; slot < end; slot += 2) {
      x += owed[slot]!;
      y += owed[slot + 1]!;
      owed[slot] = 0;
      owed[slot + 1] = 0;
    }
    live[2 * k] = x;
    live[2 * k + 1] = y;
    snapshot[2 * k] = x;
    snapshot[2 * k + 1] = y;
  }
}

export function clip(value: number): number {
  return value > GRADIENT_CLIP ? GRADIENT_CLIP : value < -GRADIENT_CLIP ? -GRADIENT_CLIP : value;
}
