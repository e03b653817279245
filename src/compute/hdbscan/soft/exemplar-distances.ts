import type { Matrix } from '../../matrix.js';
import type { DotKernel, DotKernels } from '../kernels/dot-kernel.js';
import { javaScriptDotKernels } from '../kernels/javascript-dot.js';
import type { Metric } from '../types.js';
import { pairDistance, type PairDistance } from './row-metric.js';
import type { SoftTree } from './soft-tree.js';

/** Below this many multiply-adds per block the plain loop is as fast as a GEMM call. */
const GEMM_MIN_WORK = 1 << 20;
/** float32 unit roundoff. */
const UNIT_ROUNDOFF = 2 ** -24;

/**
 * Distance from points to the nearest exemplar of each label, in float64 from the float32 rows
 * (hdbscan's `dist_vector` over `raw_data.astype(float64)`), in the clustering's metric (hdbscan makes
 * prediction data for euclidean and manhattan only).
 *
 * Large euclidean blocks are screened first: one float32 GEMM (the given dot kernels) gives every squared
 * distance |x|^2 + |e|^2 - 2 x.e to within a bound of its rounding error, and only the exemplars whose
 * screened value is within twice that bound of a label's smallest are measured again in float64. The
 * nearest exemplar is always among them, so the result equals the plain loop's exactly.
 */
export class ExemplarDistances {
  private readonly rows: Float32Array;
  private readonly distance: PairDistance;
  private readonly dim: number;
  /** Squared norm of each exemplar, and the largest norm among each label's. */
  private readonly squaredNorms: Float64Array;
  private readonly largestNorm: Float64Array;
  private kernel: Promise<DotKernel> | undefined;
  private dots = new Float32Array(0);
  private readonly screened: Float64Array;

  constructor(
    matrix: Matrix,
    private readonly soft: SoftTree,
    private readonly metric: Metric = 'euclidean',
    private readonly threads = 1,
    private readonly kernels: DotKernels = javaScriptDotKernels,
  ) {
    const dim = (this.dim = matrix.dim);
    const ids = soft.exemplarIds;
    this.rows = new Float32Array(ids.length * dim);
    ids.forEach((id, e) => this.rows.set(matrix.data.subarray(id * dim, (id + 1) * dim), e * dim));
    this.distance = pairDistance(metric);
    this.squaredNorms = new Float64Array(ids.length);
    for (let e = 0; e < ids.length; e++) this.squaredNorms[e] = squaredNorm(this.rows, e * dim, dim);
    this.screened = new Float64Array(ids.length);
    this.largestNorm = new Float64Array(soft.selected.length);
    for (let label = 0; label < this.largestNorm.length; label++) {
      for (let e = soft.exemplarStart[label]!; e < soft.exemplarStart[label + 1]!; e++) {
        this.largestNorm[label] = Math.max(this.largestNorm[label]!, Math.sqrt(this.squaredNorms[e]!));
      }
    }
  }

  /** Fills `out` (one per label) with the distance from the row of `points` at `start` to each label's nearest exemplar. */
  fill(points: Float32Array, start: number, out: Float64Array): void {
    const { exemplarStart } = this.soft;
    const { dim, rows, distance } = this;
    for (let label = 0; label < out.length; label++) {
      let nearest = Infinity;
      for (let e = exemplarStart[label]!; e < exemplarStart[label + 1]!; e++) {
        const d = distance(points, start, rows, e * dim, dim);
        if (d < nearest) nearest = d;
      }
      out[label] = nearest;
    }
  }

  /** `fill` for `count` rows of `points` (row-major) at once; `out` is count x labels. */
  async fillBlock(points: Float32Array, count: number, out: Float64Array): Promise<void> {
    const exemplars = this.squaredNorms.length;
    const labels = this.largestNorm.length;
    if (this.metric !== 'euclidean' || count * exemplars * this.dim < GEMM_MIN_WORK) {
      for (let r = 0; r < count; r++) this.fill(points, r * this.dim, out.subarray(r * labels, (r + 1) * labels));
      return;
    }
    if (this.dots.length < count * exemplars) this.dots = new Float32Array(count * exemplars);
    this.kernel ??= this.kernels.create(this.threads);
    await (await this.kernel).dot(points, count, this.rows, exemplars, this.dim, this.dots);
    for (let r = 0; r < count; r++) this.screenRow(points, r, out.subarray(r * labels, (r + 1) * labels));
  }

  private screenRow(points: Float32Array, r: number, out: Float64Array): void {
    const { exemplarStart } = this.soft;
    const { dim, rows, distance, squaredNorms, dots, screened } = this;
    const exemplars = squaredNorms.length;
    const start = r * dim;
    const pointSquared = squaredNorm(points, start, dim);
    const pointNorm = Math.sqrt(pointSquared);
    const base = r * exemplars;
    // Rounding of a float32 dot product of dim terms: gamma_dim sum |x_i e_i| plus its final rounding.
    const relative = 2 * ((dim * UNIT_ROUNDOFF) / (1 - dim * UNIT_ROUNDOFF) + UNIT_ROUNDOFF);
    for (let label = 0; label < out.length; label++) {
      const from = exemplarStart[label]!;
      const to = exemplarStart[label + 1]!;
      let smallest = Infinity;
      for (let e = from; e < to; e++) {
        const value = pointSquared + squaredNorms[e]! - 2 * dots[base + e]!;
        screened[e] = value;
        if (value < smallest) smallest = value;
      }
      const bound = relative * pointNorm * this.largestNorm[label]! + 1e-12 * (pointSquared + 1);
      const limit = smallest + 2 * bound;
      let nearest = Infinity;
      for (let e = from; e < to; e++) {
        if (screened[e]! > limit) continue;
        const d = distance(points, start, rows, e * dim, dim);
        if (d < nearest) nearest = d;
      }
      out[label] = nearest;
    }
  }

  /** Releases the GEMM session, if one was started. */
  async release(): Promise<void> {
    const kernel = this.kernel;
    this.kernel = undefined;
    if (kernel) await (await kernel).release();
  }
}

function squaredNorm(values: Float32Array, start: number, dim: number): number {
  let sum = 0;
  for (let k = 0; k < dim; k++) sum += values[start + k]! * values[start + k]!;
  return sum;
}
