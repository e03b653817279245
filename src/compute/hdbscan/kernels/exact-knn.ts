import type { TaskControl } from '../../../progress.js';
import type { Matrix } from '../../matrix.js';
import { rowDistance } from '../distance.js';
import type { Metric } from '../types.js';
import { nearestNeighbours, type NeighbourLists } from './neighbours.js';
import type { DotKernels } from './dot-kernel.js';
import { javaScriptDotKernels } from './javascript-dot.js';
import { prepareScreen } from './screen.js';
import { tileFiller } from './tiles.js';

export interface ExactKnnOptions {
  /** Neighbours listed per row, not counting the row itself; at most count - 1. */
  width: number;
  metric: Metric;
  /** Threads of the dot kernel's tile products. */
  threads: number;
  /** The tile products' kernels (see DotKernels); default: plain JavaScript. */
  kernels?: DotKernels | undefined;
  /** Progress stage name, counted in tiles. */
  stage: string;
}

/** Each row's `width` nearest other rows, row-major `count x width`, by increasing (distance, index). */
export interface ExactKnn {
  width: number;
  ids: Int32Array;
  /** Float64 reference distances of src/compute/hdbscan/distance.ts. */
  distances: Float64Array;
}

/**
 * Candidates kept per row for `width` certified neighbours: as fastMst's default list width, the
 * room past `width` lets the screen's error bound certify a row without rescanning it.
 */
function listWidth(width: number): number {
  return Math.max(16, 2 * width);
}

/**
 * The exact k nearest neighbours of every row, by the same kernel as HDBSCAN's core distances:
 * float32 tile products (the caller's dot kernels, or L1 tiles for manhattan) screened by the SIMD scan,
 * then every kept candidate recomputed in float64 and certified by the screen's error bound (rows
 * it cannot certify are rescanned). The result does not depend on the thread count.
 */
export async function exactNearestNeighbours(
  matrix: Matrix,
  options: ExactKnnOptions,
  control?: TaskControl,
): Promise<ExactKnn> {
  const { count } = matrix;
  const width = Math.max(0, Math.min(options.width, count - 1));
  if (width === 0) return { width, ids: new Int32Array(0), distances: new Float64Array(0) };
  const screen = prepareScreen(matrix, options.metric);
  const kernel =
    screen.tile === 'dot' ? await (options.kernels ?? javaScriptDotKernels).create(options.threads) : undefined;
  let lists: NeighbourLists;
  try {
    const distance = rowDistance(matrix, options.metric);
    const fill = tileFiller(screen, kernel);
    lists = await nearestNeighbours(
      screen,
      fill,
      { width: listWidth(width), minSamples: width, distance, stage: options.stage },
      control,
    );
  } finally {
    await kernel?.release();
  }
  return { width, ...leadingColumns(lists, width) };
}

/** The first `width` entries of every row of the lists. */
function leadingColumns(lists: NeighbourLists, width: number): { ids: Int32Array; distances: Float64Array } {
  if (lists.width === width) return { ids: lists.ids, distances: lists.distances };
  const count = lists.ids.length / lists.width;
  const ids = new Int32Array(count * width);
  const distances = new Float64Array(count * width);
  for (let row = 0; row < count; row++) {
    const from = row * lists.width;
    ids.set(lists.ids.subarray(from, from + width), row * width);
    distances.set(lists.distances.subarray(from, from + width), row * width);
  }
  return { ids, distances };
}
