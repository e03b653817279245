import type { BlockMetric } from './block-rows.js';

/** What the main thread hands the neighbour search's helper thread at start (see LeafHelper). */
export interface LeafWorkerSetup {
  role: 'leaf-knn';
  /** Module of the caller's dot kernels (DotKernels.module), which the worker imports. */
  kernels: string;
  metric: BlockMetric;
  norms: Float64Array;
  squares: Float64Array;
  /** The ordered copy of the rows (shared), its order and each row's position in it (see BlockRows). */
  copy: Float32Array;
  order: Int32Array;
  position: Int32Array;
  /** The neighbour lists (shared). */
  count: number;
  width: number;
  ids: Int32Array;
  keys: Float32Array;
  leafSize: number;
  /** CANCELLED, then the counters of every task (see nextSlot, doneSlot); shared. */
  control: Int32Array;
}

/**
 * One tree's leaves to multiply: leaf i holds `order[bounds[i] .. bounds[i + 1])` (no order: the
 * copy's own). Task `task` claims leaves from its own counter, so that a task the helper reaches
 * late (still loading its kernel) finds its leaves taken and does nothing.
 */
export interface LeafTask {
  task: number;
  order?: Int32Array;
  bounds: Int32Array;
  unseen: boolean;
}

/** A tree's leaves, or the end: the helper releases its kernel and says so (then it may be terminated). */
export type LeafRequest = LeafTask | { close: true };

export type LeafReply = { ready: true } | { task: number } | { closed: true } | { error: string };

/** Set to 1 to make the helper stop claiming. */
export const CANCELLED = 0;
/** The control slot of task `task`'s next leaf to claim. */
export const nextSlot = (task: number): number => 1 + 2 * task;
/** The control slot of task `task`'s leaves finished. */
export const doneSlot = (task: number): number => 2 + 2 * task;
export const controlSlots = (tasks: number): number => 1 + 2 * tasks;
