import type { StageCheckpoint } from './checkpoint.js';
import { layoutArrays, samplesPerEpoch, splitVertices } from './layout-arrays.js';
import { runBlockEpoch, settleVertices, type EpochConstants, type LayoutArrays } from './layout-epochs.js';
import { layoutOnWorkers } from './layout-threads.js';
import type { SparseGraph } from './sparse-graph.js';
import { SeededRandom } from './random.js';
import { hilbertOrder, shuffleWithinBlocks } from './vertex-order.js';

export interface LayoutSettings extends EpochConstants {
  /** Vertex blocks of the layout (see layout-epochs.ts); fixed, so results do not depend on threads. */
  blocks: number;
  threads: number;
}

/** Below this many samples (about 50 ms of work) starting workers costs more than it saves. */
const MIN_SAMPLES_FOR_THREADS = 2e6;

/**
 * umap-learn's optimize_layout_euclidean in 2-D: in each epoch every edge due for sampling (edge e
 * is sampled once per wmax / w_e epochs) pulls its two ends together along the gradient of
 * log(1 / (1 + a d^2b)), then pushes its head away from randomly drawn vertices, negativeSampleRate
 * times as often. Gradients are clipped to [-4, 4]; the learning rate falls linearly to 0.
 * With one block this is umap-learn's sequential optimisation; more blocks interact synchronously
 * per epoch (see layout-epochs.ts), which lets them run on worker threads and keeps the result
 * bit-identical for a seed whatever the thread count. Updates `layout` (count x 2) in place;
 * progress counts epochs.
 */
export async function optimizeLayout(
  layout: Float64Array,
  graph: SparseGraph,
  settings: LayoutSettings,
  checkpoint: StageCheckpoint,
): Promise<void> {
  await runLayout(planLayout(layout, graph, settings), layout, checkpoint);
}

/** What the epochs of optimizeLayout run on: made from the graph, which they no longer need. */
export interface LayoutPlan {
  arrays: LayoutArrays;
  constants: EpochConstants;
  /** Boundaries of the vertex blocks. */
  blocks: number[];
  /** Vertex order[i] of the caller's numbering is vertex i of the epochs'. */
  order: Int32Array;
  /** Worker threads of the epochs; 0 to run them on this thread. */
  threads: number;
}

/**
 * The first half of optimizeLayout: the vertex order, the blocks and the arrays of the epochs. A
 * caller that drops `graph` after this call frees it before the epochs start (optimizeLayout cannot:
 * the graph stays its parameter while the epochs run).
 */
export function planLayout(layout: Float64Array, graph: SparseGraph, settings: LayoutSettings): LayoutPlan {
  // The workers get only what an epoch needs, with the seed as the 32-bit integer the epochs draw from.
  const { blocks: blockCount, threads: threadLimit, ...epochSettings } = settings;
  const constants: EpochConstants = { ...epochSettings, seed: settings.seed | 0 };
  // The epochs run on the vertices renumbered: the blocks are runs of a Hilbert curve through the
  // starting positions, and within each block the vertices come in a seeded random order (see
  // vertex-order.ts); the result goes back to the caller's numbering at the end.
  const order = hilbertOrder(layout, graph.count);
  const blocks = splitVertices(
    graph,
    Math.max(1, Math.min(blockCount, Math.floor(graph.count / 2))),
    settings.negativeSampleRate,
    order,
  );
  shuffleWithinBlocks(order, blocks, new SeededRandom(constants.seed));
  const start = new Float64Array(layout.length);
  for (let i = 0; i < graph.count; i++) {
    start[2 * i] = layout[2 * order[i]!]!;
    start[2 * i + 1] = layout[2 * order[i]! + 1]!;
  }
  // Summed in the caller's numbering: it only decides whether workers are worth starting.
  const totalSamples = samplesPerEpoch(graph, settings.negativeSampleRate) * settings.epochs;
  const threads = Math.min(threadLimit, blocks.length - 1);
  const useThreads = threads > 1 && totalSamples >= MIN_SAMPLES_FOR_THREADS;
  const arrays = layoutArrays(start, graph, constants, blocks, useThreads, order);
  return { arrays, constants, blocks, order, threads: useThreads ? threads : 0 };
}

/** The second half of optimizeLayout: runs the epochs of `plan` and writes the result into `layout`. */
export async function runLayout(plan: LayoutPlan, layout: Float64Array, checkpoint: StageCheckpoint): Promise<void> {
  const { arrays, constants, blocks, order, threads } = plan;
  if (threads > 0) {
    await layoutOnWorkers(arrays, constants, blocks, threads, checkpoint);
  } else {
    for (let epoch = 0; epoch < constants.epochs; epoch++) {
      for (let block = 0; block + 1 < blocks.length; block++)
        runBlockEpoch(arrays, constants, epoch, blocks[block]!, blocks[block + 1]!);
      await checkpoint.tick(epoch + 1);
    }
  }
  settleVertices(arrays, constants.epochs, 0, arrays.count);
  for (let i = 0; i < arrays.count; i++) {
    layout[2 * order[i]!] = arrays.live[2 * i]!;
    layout[2 * order[i]! + 1] = arrays.live[2 * i + 1]!;
  }
}
