import { InputError } from '../../errors.js';
import type { Matrix } from '../matrix.js';
import { METRICS } from './distance.js';
import type { SelectionMethod } from './selection.js';
import type { Metric, MstBuilder } from './types.js';

export interface HdbscanOptions {
  /** Smallest group of points that counts as a cluster; integer >= 2. Default 5. */
  minClusterSize?: number;
  /** Neighbours that define a point's core distance; integer >= 1, clamped to N-1. Default minClusterSize. */
  minSamples?: number;
  /** Clusters born below this distance merge upwards (hdbscan's cluster_selection_epsilon); >= 0. Default 0. */
  clusterSelectionEpsilon?: number;
  /** 'leaf' (finest clusters) or 'eom' (excess of mass). Default 'leaf'. */
  clusterSelectionMethod?: SelectionMethod;
  /** Whether the root may be selected as the only cluster. Default false. */
  allowSingleCluster?: boolean;
  /** Default 'euclidean'. */
  metric?: Metric;
  /** Spanning-tree builder. Default: fastMst (exact, blocked, same tree as referenceMst). */
  mst?: MstBuilder;
}

export type ResolvedHdbscanParams = Required<Omit<HdbscanOptions, 'mst'>>;

const SELECTION_METHODS: readonly SelectionMethod[] = ['leaf', 'eom'];

/** Fills defaults and rejects out-of-range options, naming the option and its value. */
export function resolveParams(options: HdbscanOptions): ResolvedHdbscanParams {
  const minClusterSize = options.minClusterSize ?? 5;
  requireInteger('minClusterSize', minClusterSize, 2);
  const minSamples = options.minSamples ?? minClusterSize;
  requireInteger('minSamples', minSamples, 1);
  const clusterSelectionEpsilon = options.clusterSelectionEpsilon ?? 0;
  if (
    typeof clusterSelectionEpsilon !== 'number' ||
    !Number.isFinite(clusterSelectionEpsilon) ||
    clusterSelectionEpsilon < 0
  ) {
    throw new InputError(`clusterSelectionEpsilon is ${String(clusterSelectionEpsilon)}`, {
      hint: 'use a finite distance >= 0 (0 turns epsilon merging off)',
    });
  }
  const clusterSelectionMethod = options.clusterSelectionMethod ?? 'leaf';
  if (!SELECTION_METHODS.includes(clusterSelectionMethod)) {
    throw new InputError(`clusterSelectionMethod is '${String(clusterSelectionMethod)}'`, {
      hint: `use one of: ${SELECTION_METHODS.join(', ')}`,
    });
  }
  const allowSingleCluster = options.allowSingleCluster ?? false;
  if (typeof allowSingleCluster !== 'boolean') {
    throw new InputError(`allowSingleCluster is ${String(allowSingleCluster)}`, { hint: 'use true or false' });
  }
  const metric = options.metric ?? 'euclidean';
  if (!METRICS.includes(metric)) {
    throw new InputError(`metric is '${String(metric)}'`, { hint: `use one of: ${METRICS.join(', ')}` });
  }
  if (options.mst !== undefined && typeof options.mst !== 'function') {
    throw new InputError(`mst is ${typeof options.mst}`, { hint: 'pass an MstBuilder function or leave it out' });
  }
  return { minClusterSize, minSamples, clusterSelectionEpsilon, clusterSelectionMethod, allowSingleCluster, metric };
}

function requireInteger(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InputError(`${name} is ${String(value)}`, { hint: `use an integer >= ${min}` });
  }
}

/** Rejects empty matrices, inconsistent shapes, too few rows and non-finite values (naming row and column). */
export function validateMatrix(matrix: Matrix, minClusterSize: number): void {
  const { count, dim, data } = matrix;
  if (!Number.isInteger(count) || count < 1) {
    throw new InputError(`matrix has ${String(count)} rows`, { hint: 'cluster at least minClusterSize rows' });
  }
  if (!Number.isInteger(dim) || dim < 1) {
    throw new InputError(`matrix has ${String(dim)} columns`, { hint: 'each row needs at least one value' });
  }
  if (!(data instanceof Float32Array) || data.length !== count * dim) {
    throw new InputError(`matrix data has ${data?.length ?? 0} values, expected ${count} x ${dim} = ${count * dim}`, {
      hint: 'pass a Float32Array of count * dim values, row-major',
    });
  }
  if (count < minClusterSize) {
    throw new InputError(`matrix has ${count} rows, fewer than minClusterSize ${minClusterSize}`, {
      hint: 'lower minClusterSize or cluster more rows',
    });
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / dim);
      throw new InputError(`matrix value at row ${row}, column ${i - row * dim} is ${data[i]}`, {
        hint: 'remove or replace NaN and infinite values before clustering',
      });
    }
  }
}
