/*
 * The work of one layout epoch, shared by the in-thread runner and the worker threads. Arrays live
 * in SharedArrayBuffers when threads are used.
 *
 * The vertices are split into a fixed number of contiguous blocks (not tied to the thread count).
 * Inside its block a vertex's samples run exactly as in umap-learn: it sees the current positions
 * and an edge moves both its ends at once. Across blocks an epoch is synchronous: the pull of an
 * edge (j, k) on a k in another block is stored (in k's slot for the reverse edge (k, j), so k reads
 * its row in order) and added to k when k's block next runs, and a vertex sees other blocks'
 * vertices at a snapshot of their positions. Blocks can thus run on different threads, each writing
 * only its own vertices, and as neither the blocks nor the random draws (keyed by seed, epoch and
 * edge) depend on the threads, the layout is bit-identical for a seed whatever the thread count.
 *
 * With several blocks the threads meet once per epoch: the snapshots and the owed moves are double
 * buffered by the epoch's parity, so a block reads what the others wrote before the last meeting
 * while they write the other buffer. A block writes its vertices' snapshot for the next epoch when
 * it ends an epoch, so other blocks' vertices (and the vertices negative samples draw) are seen
 * where the last epoch left them, short only of the pulls other blocks' edges owed them in it. (An
 * earlier version wrote the snapshot when a block started an epoch, after adding those pulls, and
 * so had to read the previous epoch's: a whole epoch staler, which cost conv1's 60,000-row map
 * 0.0006 of trustworthiness over seeds 42, 1 and 2, the gap to the sequential layout.) With one
 * block (umap-learn's sequential optimisation) the negative samples see the start of the current
 * epoch either way.
 */
import { attractionCoefficient, lookup, repulsionCoefficient, TABLE_HIGH, TABLE_LOW } from './gradient-tables.js';
import { drawnVertex, epochKey, firstDraw, nextDraw } from './negative-draws.js';
import { blockEpochKernel } from './layout-kernel.js';
import type { WasmMemory } from '../wasm/assembler.js';

export interface LayoutArrays {
  count: number;
  rowStart: Int32Array;
  columns: Int32Array;
  /** For an edge (j, k) between blocks, the slot of `owed` where it leaves its pull on k; -1 within a block. */
  owedSlot: Int32Array;
  /** Vertex k's slots of `owed` are owedStart[k] .. owedStart[k + 1]. */
  owedStart: Int32Array;
  /**
   * Per edge e, at 3e .. 3e + 2: the epoch it is next sampled at, its epochs per sample, and the epoch
   * its next negative sample is due at. Interleaved float32, so that the check of an edge that is
   * not due and the updates of one that is touch one cache line, and the edge arrays streamed every
   * epoch evict less of the positions from the cache.
   */
  schedule: Float32Array;
  /** count x 2 positions, updated during the epoch by the samples of the vertex's block. */
  live: Float32Array;
  /** By epoch parity: count x 2 positions that the epoch reads (written when the vertex's block ends the epoch before). */
  snapshots: [Float32Array, Float32Array];
  /** By epoch parity, per slot (see owedSlot), x then y: the move that an edge from another block owes its vertex. */
  owed: [Float32Array, Float32Array];
  /** Number of vertex blocks: with one, the epochs read the current epoch's snapshot (see above). */
  blockCount: number;
  /** attractionCoefficient tabulated (see gradient-tables.ts). */
  attraction: Float32Array;
  /** repulsionCoefficient tabulated. */
  repulsion: Float32Array;
  /** The shared WebAssembly memory every array above lives in, when the epochs run in WebAssembly (layout-kernel.ts). */
  memory?: WasmMemory;
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

/**
 * Epoch `epoch` of the block of vertices [from, to): what other blocks' edges owed its vertices in the
 * previous epoch is added, then the positive samples of their due edges run, each followed by its
 * negative ones; last the vertices' positions are written to the next epoch's snapshot.
 */
export function runBlockEpoch(
  arrays: LayoutArrays,
  constants: EpochConstants,
  epoch: number,
  from: number,
  to: number,
): void {
  settleVertices(arrays, epoch, from, to);
  const { count, rowStart, columns, owedSlot, schedule, live, attraction, repulsion } = arrays;
  const { a, b, epochs, negativeSampleRate, repulsionStrength, learningRate, seed } = constants;
  const alpha = learningRate * (1 - epoch / epochs);
  const drawScale = count / 4294967296;
  const key = epochKey(seed, epoch);
  if (arrays.memory) {
    // The same loop in WebAssembly, bit for bit (layout-kernel.ts).
    blockEpochKernel(arrays.memory)(
      from,
      to,
      epoch,
      alpha,
      drawScale,
      key,
      rowStart.byteOffset,
      columns.byteOffset,
      owedSlot.byteOffset,
      schedule.byteOffset,
      live.byteOffset,
      ofParity(arrays.snapshots, epoch).byteOffset,
      ofParity(arrays.owed, epoch).byteOffset,
      attraction.byteOffset,
      repulsion.byteOffset,
      a,
      b,
      negativeSampleRate,
      repulsionStrength,
    );
  } else edgeLoop(arrays, constants, epoch, from, to, alpha, drawScale, key);
  // The other buffer: blocks still in this epoch may be reading this one.
  ofParity(arrays.snapshots, epoch + 1).set(live.subarray(2 * from, 2 * to), 2 * from);
}

/** runBlockEpoch's edge loop in JavaScript, where WebAssembly is unavailable. */
function edgeLoop(
  arrays: LayoutArrays,
  constants: EpochConstants,
  epoch: number,
  from: number,
  to: number,
  alpha: number,
  drawScale: number,
  key: number,
): void {
  const { rowStart, columns, owedSlot, schedule, live, attraction, repulsion } = arrays;
  const owed = ofParity(arrays.owed, epoch);
  const snapshot = ofParity(arrays.snapshots, epoch);
  const { a, b, negativeSampleRate, repulsionStrength } = constants;
  for (let j = from; j < to; j++) {
    let x = live[2 * j]!;
    let y = live[2 * j + 1]!;
    for (let edge = rowStart[j]!, end = rowStart[j + 1]!; edge < end; edge++) {
      const at = 3 * edge;
      const due = schedule[at]!;
      if (due > epoch) continue;
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
      const perSample = schedule[at + 1]!;
      schedule[at] = due + perSample;

      // umap-learn's negative schedule: one per perSample / negativeSampleRate epochs.
      const perNegative = perSample / negativeSampleRate;
      const nextNegative = schedule[at + 2]!;
      const negatives = Math.trunc((epoch - nextNegative) / perNegative);
      schedule[at + 2] = nextNegative + negatives * perNegative;
      // The edge's negative samples all push from where j is after its positive sample, and read the
      // drawn vertices where they were when the epoch began (one array: half the cache footprint of
      // two, no branch on the drawn vertex's block). Their pushes are summed and applied together,
      // so that no sample waits for the previous one's move: 10% less time, maps as trustworthy.
      let state = firstDraw(key, edge);
      let pushX = 0;
      let pushY = 0;
      for (let p = 0; p < negatives; p++) {
        state = nextDraw(state);
        const other = drawnVertex(state, drawScale);
        if (other === j) continue;
        dx = x - snapshot[2 * other]!;
        dy = y - snapshot[2 * other + 1]!;
        distanceSquared = dx * dx + dy * dy;
        if (distanceSquared <= 0) continue;
        const coefficient =
          distanceSquared >= TABLE_LOW && distanceSquared < TABLE_HIGH
            ? lookup(repulsion, distanceSquared)
            : repulsionCoefficient(distanceSquared, a, b, repulsionStrength);
        pushX += clip(coefficient * dx);
        pushY += clip(coefficient * dy);
      }
      x += pushX * alpha;
      y += pushY * alpha;
    }
    live[2 * j] = x;
    live[2 * j + 1] = y;
  }
}

/**
 * Vertices [from, to) at the start of `epoch` (epochs for the end of the last): what other blocks'
 * edges owed them in the previous epoch is added, in edge order. Their snapshot is left as the
 * previous epoch wrote it: other blocks may be reading it.
 */
export function settleVertices(arrays: LayoutArrays, epoch: number, from: number, to: number): void {
  const { owedStart, live } = arrays;
  const owed = ofParity(arrays.owed, epoch + 1);
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
  }
}

/** The buffer of a double-buffered pair that epoch `epoch` writes. */
function ofParity(pair: [Float32Array, Float32Array], epoch: number): Float32Array {
  return (epoch & 1) === 0 ? pair[0] : pair[1];
}

export function clip(value: number): number {
  return value > GRADIENT_CLIP ? GRADIENT_CLIP : value < -GRADIENT_CLIP ? -GRADIENT_CLIP : value;
}
