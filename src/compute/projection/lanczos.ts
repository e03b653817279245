import type { SeededRandom } from './random.js';
import { tridiagonalEigen, tridiagonalLastComponents } from './symmetric-eigen.js';

/**
 * Steps per full reorthogonalisation. On the 60,000-row Fashion-MNIST graphs (135-140 steps) 8 gave the
 * eigenvectors of reorthogonalising every step to 1e-6, in 0.55 of the time.
 */
const REORTHOGONALIZATION_PERIOD = 8;

export interface LanczosOptions {
  /** Eigenpairs wanted (the largest eigenvalues). */
  want: number;
  /** Unit vector known to be an eigenvector, kept out of the search (e.g. the trivial one). */
  deflate?: Float64Array;
  /** Most Lanczos steps (basis vectors kept). */
  maxSteps: number;
  /** Stop once every wanted Ritz pair has residual below tolerance * max(1, |value|). */
  tolerance: number;
}

/**
 * Largest eigenpairs of the symmetric operator `apply` (y = A x) on R^n, by Lanczos with periodic
 * reorthogonalisation against the whole basis. The basis is kept in float32 to halve its memory; the accuracy that costs
 * is far below what a layout initialisation needs. Returns null when the space is too small.
 * `pause` is awaited before every step (progress, cancellation).
 */
export async function lanczosTopEigenvectors(
  apply: (x: Float64Array, y: Float64Array) => void,
  n: number,
  options: LanczosOptions,
  random: SeededRandom,
  pause: () => Promise<void> = async () => {},
): Promise<{ values: Float64Array; vectors: Float64Array } | null> {
  const { want, deflate, tolerance } = options;
  const maxSteps = Math.min(options.maxSteps, n - (deflate ? 1 : 0));
  if (maxSteps < want) return null;
  const basis: Float32Array[] = [];
  const alphas: number[] = [];
  const betas: number[] = [];
  const w = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = random.nextGaussian();
  // A modified Gram-Schmidt pass against the deflated vector and the whole basis; a second when the
  // first removed most of v (Daniel-Gragg-Kaufman-Stewart: then rounding may have left v off square).
  const orthogonalize = (v: Float64Array): void => {
    for (let pass = 0; pass < 2; pass++) {
      const before = squaredNorm(v);
      if (deflate) subtractProjection(v, deflate);
      subtractBasis(v, basis);
      if (squaredNorm(v) > 0.5 * before) break;
    }
  };
  orthogonalize(q);
  if (!normalize(q)) return null;
  const previous = new Float64Array(n);
  let previousBeta = 0;
  let ritz: ReturnType<typeof tridiagonalEigen> | undefined;
  for (let step = 0; step < maxSteps; step++) {
    await pause();
    basis.push(Float32Array.from(q));
    apply(q, w);
    let alpha = 0;
    for (let i = 0; i < n; i++) alpha += w[i]! * q[i]!;
    alphas.push(alpha);
    // The three-term recurrence in float64 first, so that the passes against the float32 basis only
    // remove what rounding left: one pass then mostly does (the solve's cost is these passes).
    for (let i = 0; i < n; i++) w[i]! -= alpha * q[i]! + previousBeta * previous[i]!;
    // Periodic reorthogonalisation (Grcar): against the whole basis on two consecutive steps of every
    // REORTHOGONALIZATION_PERIOD, which keeps the basis orthogonal enough; the deflated vector every step.
    const period = step % REORTHOGONALIZATION_PERIOD;
    if (period === 0 || period === REORTHOGONALIZATION_PERIOD - 1) orthogonalize(w);
    else if (deflate) subtractProjection(w, deflate);
    let beta = 0;
    for (let i = 0; i < n; i++) beta += w[i]! * w[i]!;
    beta = Math.sqrt(beta);
    const size = step + 1;
    const exhausted = beta < 1e-10 || size === maxSteps;
    if (size >= want && (exhausted || size % 5 === 0)) {
      // The residual of a Ritz pair needs only its vector's last component; the vectors are made once, at the end.
      const check = tridiagonalLastComponents(Float64Array.from(alphas), Float64Array.from(betas));
      let converged = true;
      for (let r = 0; r < want; r++) {
        const residual = Math.abs(beta * check.lastComponents[r]!);
        if (residual > tolerance * Math.max(1, Math.abs(check.values[r]!))) converged = false;
      }
      if (converged || exhausted) {
        ritz = tridiagonalEigen(Float64Array.from(alphas), Float64Array.from(betas));
        break;
      }
    }
    if (beta < 1e-10) break;
    betas.push(beta);
    previous.set(q);
    previousBeta = beta;
    for (let i = 0; i < n; i++) q[i] = w[i]! / beta;
  }
  if (!ritz) return null;
  const size = basis.length;
  const vectors = new Float64Array(want * n);
  for (let r = 0; r < want; r++) {
    const target = vectors.subarray(r * n, (r + 1) * n);
    for (let s = 0; s < size; s++) {
      const coefficient = ritz.vectors[r * size + s]!;
      const b = basis[s]!;
      for (let i = 0; i < n; i++) target[i]! += coefficient * b[i]!;
    }
  }
  return { values: ritz.values.slice(0, want), vectors };
}

/**
 * Removes from v its projections on the orthonormal `basis`, four vectors at a time: their four dot
 * products in one pass over v, then their four subtractions in another (classical Gram-Schmidt
 * within a group, modified between groups). A quarter of the passes over v of one vector at a time;
 * the group's vectors being orthogonal, the result differs by rounding only.
 */
function subtractBasis(v: Float64Array, basis: Float32Array[]): void {
  const n = v.length;
  let next = 0;
  for (; next + 4 <= basis.length; next += 4) {
    const b0 = basis[next]!;
    const b1 = basis[next + 1]!;
    const b2 = basis[next + 2]!;
    const b3 = basis[next + 3]!;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      d0 += x * b0[i]!;
      d1 += x * b1[i]!;
      d2 += x * b2[i]!;
      d3 += x * b3[i]!;
    }
    for (let i = 0; i < n; i++) v[i]! -= d0 * b0[i]! + d1 * b1[i]! + d2 * b2[i]! + d3 * b3[i]!;
  }
  for (; next < basis.length; next++) subtractProjection(v, basis[next]!);
}

function subtractProjection(v: Float64Array, onto: Float64Array | Float32Array): void {
  let dot = 0;
  for (let i = 0; i < v.length; i++) dot += v[i]! * onto[i]!;
  for (let i = 0; i < v.length; i++) v[i]! -= dot * onto[i]!;
}

function squaredNorm(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return sum;
}

function normalize(v: Float64Array): boolean {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm);
  if (!(norm > 1e-300)) return false;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return true;
}
