/**
 * The negative samples of a layout epoch: umap-learn's schedule (an edge owes negativeSampleRate of them
 * per positive sample) and the seeded draws of their vertices, keyed by seed, epoch and edge so that no
 * draw depends on the order the edges run in. The 2-D layout (layout-epochs.ts) and the n-D one
 * (layout-nd.ts) both draw through these, so they pick the same vertices; each is small enough for V8
 * to inline into those hot loops.
 */
import { mix } from './random.js';

/** The key of every draw in `epoch`. */
export function epochKey(seed: number, epoch: number): number {
  return Math.imul(epoch + 1, 0x85ebca77) ^ seed;
}

/** The negative samples `edge` owes at `epoch`, one per `perNegative` epochs; its schedule moves past them. */
export function dueNegatives(
  nextNegativeSample: Float64Array,
  edge: number,
  perNegative: number,
  epoch: number,
): number {
  const negatives = Math.trunc((epoch - nextNegativeSample[edge]!) / perNegative);
  nextNegativeSample[edge]! += negatives * perNegative;
  return negatives;
}

/** The first state of `edge`'s draws in the epoch of `key`; never 0, which xorshift would keep. */
export function firstDraw(key: number, edge: number): number {
  return mix(key ^ Math.imul(edge, 0x9e3779b1)) | 1;
}

/** The next state of the xorshift32 stream. */
export function nextDraw(state: number): number {
  let next = state ^ (state << 13);
  next ^= next >>> 17;
  return next ^ (next << 5);
}

/**
 * The vertex a state draws, `drawScale` being count / 2^32: scaling the 32-bit draw avoids a
 * floating-point modulo (uint32 values above 2^31 are doubles).
 */
export function drawnVertex(state: number, drawScale: number): number {
  return Math.floor((state >>> 0) * drawScale);
}
