import type { Metric } from '../types.js';
import type { FlushSide } from './pair-flush.js';

/** What the main thread hands every fastMst worker at start (all arrays on SharedArrayBuffers). */
export interface WorkerSetup {
  role: 'fast-mst';
  metric: Metric;
  count: number;
  dim: number;
  maxScale: number;
  unit: number;
  tile: 'dot' | 'manhattan';
  /** Module of the caller's dot kernels (DotKernels.module), which the worker imports. */
  kernels: string;
  vectors: Float32Array;
  norms: Float64Array;
  scales: Float64Array;
  /** The caller's rows, for the exact float64 reference distances. */
  data: Float32Array;
  core: Float64Array;
  key: Float64Array;
  /** Indexed by NEXT, CANCELLED and DONE below. */
  control: Int32Array;
}

export type WorkerTask =
  | { type: 'neighbours'; width: number }
  | { type: 'exact'; candidates: Int32Array; width: number; ids: Int32Array; distances: Float64Array }
  | { type: 'rescan'; rows: Int32Array; reach: Float64Array; width: number; ids: Int32Array; distances: Float64Array }
  | { type: 'flush'; rows: FlushSide; columns: FlushSide }
  | { type: 'close' };

/** Heaps of one worker's share of the neighbour pass. */
export interface HeapParts {
  values: Float64Array;
  ids: Int32Array;
  sizes: Int32Array;
  bar: Float64Array;
}

export type WorkerReply =
  { ready: true } | { closed: true } | { done: true } | { pairs: number } | HeapParts | { error: string };

/** The next task index (tile or column chunk) to claim. */
export const NEXT = 0;
/** Set to 1 to make workers stop claiming. */
export const CANCELLED = 1;
/** Tasks finished, for progress. */
export const DONE = 2;
export const CONTROL_SLOTS = 3;
