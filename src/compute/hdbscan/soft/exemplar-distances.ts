import type { Matrix } from '../../matrix.js';
import type { DotKernel, DotKernels } from '../kernels/dot-kernel.js';
import { javaScriptDotKernels } from '../kernels/javascript-dot.js';
import type { Metric } from '../types.js';
import { pairDistance, type PairDistance } from './row-metric.js';
import type { SoftTree } from './soft-tree.js';
import { createWasmNearest, type WasmNearest } from './wasm-nearest.js';

/** Below this many multiply-adds per block the plain loop is as fast as a GEMM call. */
const GEMM_MIN_WORK = 1 << 20;
/**
 * Narrowest rows re-measured in WebAssembly: at width 64 it took 9-13% off the memberships' CPU time, at
 * width 32 the call per label cost as much as it saved (Fashion-MNIST layers of 60,000 rows, session 11).
 */
const WASM_MIN_WIDTH = 64;
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
  /** The exemplar rows and the row being screened, widened to float64 once for the re-measures. */
  private readonly wideRows: Float64Array;
  private readonly widePoint: Float64Array;
  /** A label's exemplars kept by the screening, and their screened values. */
  private readonly candidates: Int32Array;
  private readonly candidateValues: Float64Array;
  /** The SIMD re-measure, for euclidean rows of a width that is a multiple of 4 where WebAssembly has SIMD. */
  private readonly wasm: WasmNearest | undefined;

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
    let mostExemplars = 0;
    for (let label = 0; label < soft.selected.length; label++) {
      mostExemplars = Math.max(mostExemplars, soft.exemplarStart[label + 1]! - soft.exemplarStart[label]!);
    }
    // The wide rows, the point and the candidates in the kernel's memory (or plain arrays without one).
    const rowBytes = 8 * ids.length * dim;
    this.wasm =
      metric === 'euclidean' && dim % 4 === 0 && dim >= WASM_MIN_WIDTH
        ? createWasmNearest(rowBytes + 8 * dim + 4 * mostExemplars)
        : undefined;
    const buffer = this.wasm?.memory.buffer;
    this.wideRows = buffer ? new Float64Array(buffer, 0, ids.length * dim) : new Float64Array(ids.length * dim);
    this.wideRows.set(this.rows);
    this.widePoint = buffer ? new Float64Array(buffer, rowBytes, dim) : new Float64Array(dim);
    this.candidates = buffer
      ? new Int32Array(buffer, rowBytes + 8 * dim, mostExemplars)
      : new Int32Array(mostExemplars);
    this.candidateValues = new Float64Array(mostExemplars);
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

  /**
   * One row's nearest exemplar per label from the GEMM's dots: a single pass over the label's exemplars keeps
   * every one within twice the bound of the smallest screened value so far (a superset of those within it of
   * the final smallest, which it then keeps), and only those are measured again in float64.
   */
  private screenRow(points: Float32Array, r: number, out: Float64Array): void {
    const { exemplarStart } = this.soft;
    const { dim, squaredNorms, dots, candidates, candidateValues, largestNorm } = this;
    const exemplars = squaredNorms.length;
    const start = r * dim;
    const point = this.widePoint;
    for (let k = 0; k < dim; k++) point[k] = points[start + k]!;
    const pointSquared = squaredNorm(points, start, dim);
    const pointNorm = Math.sqrt(pointSquared);
    const base = r * exemplars;
    // Rounding of a float32 dot product of dim terms: gamma_dim sum |x_i e_i| plus its final rounding.
    const relative = 2 * ((dim * UNIT_ROUNDOFF) / (1 - dim * UNIT_ROUNDOFF) + UNIT_ROUNDOFF);
    const slack = 1e-12 * (pointSquared + 1);
    for (let label = 0; label < out.length; label++) {
      const from = exemplarStart[label]!;
      const to = exemplarStart[label + 1]!;
      const margin = 2 * (relative * pointNorm * largestNorm[label]! + slack);
      let smallest = Infinity;
      let limit = Infinity;
      let kept = 0;
      for (let e = from; e < to; e++) {
        const value = pointSquared + squaredNorms[e]! - 2 * dots[base + e]!;
        if (value > limit) continue;
        if (value < smallest) {
          smallest = value;
          limit = smallest + margin;
        }
        candidates[kept] = e;
        candidateValues[kept++] = value;
      }
      let count = 0;
      for (let c = 0; c < kept; c++) if (candidateValues[c]! <= limit) candidates[count++] = candidates[c]!;
      out[label] = this.nearest(point, count);
    }
  }

  /** The smallest float64 distance from `point` (widePoint) to the first `count` exemplars of `candidates`. */
  private nearest(point: Float64Array, count: number): number {
    const { dim, wideRows, candidates, wasm } = this;
    if (wasm) return wasm.nearest(point.byteOffset, wideRows.byteOffset, candidates.byteOffset, count, 8 * dim);
    let nearest = Infinity;
    for (let c = 0; c < count; c++) {
      const d = euclidean64(point, wideRows, candidates[c]! * dim, dim);
      if (d < nearest) nearest = d;
    }
    return nearest;
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

/** row-metric.ts's euclidean distance (the same sums in the same order) between `point` and a row of `rows`. */
function euclidean64(point: Float64Array, rows: Float64Array, rowStart: number, dim: number): number {
  const end = dim - (dim & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k < end; k += 4) {
    const d0 = point[k]! - rows[rowStart + k]!;
    const d1 = point[k + 1]! - rows[rowStart + k + 1]!;
    const d2 = point[k + 2]! - rows[rowStart + k + 2]!;
    const d3 = point[k + 3]! - rows[rowStart + k + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; k < dim; k++) {
    const d = point[k]! - rows[rowStart + k]!;
    s0 += d * d;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}
