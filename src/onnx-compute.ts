/**
 * The public API's compute functions with ONNX Runtime's SGEMM as their default dot kernels. compute/
 * imports no native runtime and falls back to a JavaScript kernel; a library user calling hdbscan()
 * or umap() gets the fast kernel, as the engine and the CLI do. A `kernels` option still wins.
 */
import type { TaskControl } from './progress.js';
import { hdbscan as hdbscanWith, type HdbscanOptions, type HdbscanResult } from './compute/hdbscan/index.js';
import type { DotKernels } from './compute/hdbscan/kernels/dot-kernel.js';
import {
  allPointsMembershipVectors as allPointsMembershipVectorsWith,
  createPredictor as createPredictorWith,
  strongestMemberships as strongestMembershipsWith,
  type ClusteringPredictor,
  type SoftTree,
  type StrongestMemberships,
} from './compute/hdbscan/soft/index.js';
import type { MembershipOptions } from './compute/hdbscan/soft/all-points.js';
import type { Matrix } from './compute/matrix.js';
import { umap as umapWith, type UmapOptions } from './compute/projection/index.js';
import { onnxDotKernels } from './io/onnx/dot-kernel.js';

function withOnnx<T extends { kernels?: DotKernels | undefined }>(options: T): T {
  return { ...options, kernels: options.kernels ?? onnxDotKernels };
}

/** HDBSCAN* (see src/compute/hdbscan/index.ts). */
export function hdbscan(matrix: Matrix, options: HdbscanOptions = {}, control?: TaskControl): Promise<HdbscanResult> {
  return hdbscanWith(matrix, withOnnx(options), control);
}

/** UMAP (see src/compute/projection/umap.ts). */
export function umap(matrix: Matrix, options: UmapOptions = {}, control?: TaskControl): Promise<Float32Array> {
  return umapWith(matrix, withOnnx(options), control);
}

/** Membership vectors of the fit's points (see src/compute/hdbscan/soft/all-points.ts). */
export function allPointsMembershipVectors(
  matrix: Matrix,
  soft: SoftTree,
  options: MembershipOptions = {},
  control?: TaskControl,
): Promise<Float64Array> {
  return allPointsMembershipVectorsWith(matrix, soft, withOnnx(options), control);
}

/** Each point's strongest memberships (see src/compute/hdbscan/soft/strongest.ts). */
export function strongestMemberships(
  matrix: Matrix,
  soft: SoftTree,
  options: MembershipOptions & { width: number },
  control?: TaskControl,
): Promise<StrongestMemberships> {
  return strongestMembershipsWith(matrix, soft, withOnnx(options), control);
}

/** The predictor of new points (see src/compute/hdbscan/soft/predict.ts). */
export function createPredictor(
  matrix: Matrix,
  soft: SoftTree,
  options: Parameters<typeof createPredictorWith>[2],
  control?: TaskControl,
): Promise<ClusteringPredictor> {
  return createPredictorWith(matrix, soft, withOnnx(options), control);
}
