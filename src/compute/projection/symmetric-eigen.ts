/**
 * Eigen-decomposition of small dense symmetric matrices (Householder tridiagonalisation + implicit
 * QL, after JAMA's tred2/tql2). Used for covariance matrices (dim x dim) and the Lanczos tridiagonal
 * matrix, both at most a few hundred wide.
 */
export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Unit eigenvectors as rows: vector i is vectors[i * n .. (i + 1) * n), matching values[i]. */
  vectors: Float64Array;
}

/** Decomposes the n x n symmetric row-major `matrix` (only read, never modified). */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  const v = Float64Array.from(matrix);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalize(v, d, e, n);
  diagonalizeTridiagonal(v, d, e, n, n);
  return sortedDescending(v, d, n);
}

/**
 * Decomposes the symmetric tridiagonal matrix with `diagonal` (n values) and `offDiagonal`
 * (n - 1 values: entry i couples rows i and i + 1).
 */
export function tridiagonalEigen(diagonal: Float64Array, offDiagonal: Float64Array): SymmetricEigen {
  const n = diagonal.length;
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  return solveTridiagonal(diagonal, offDiagonal, v, n);
}

/**
 * tridiagonalEigen's eigenvalues (largest first) and the last component of each eigenvector only, as
 * a Lanczos convergence test needs: the rotations are applied to the last row of the eigenvector
 * matrix alone, O(n^2) instead of O(n^3), and the numbers are those tridiagonalEigen gives.
 */
export function tridiagonalLastComponents(
  diagonal: Float64Array,
  offDiagonal: Float64Array,
): { values: Float64Array; lastComponents: Float64Array } {
  const n = diagonal.length;
  const lastRow = new Float64Array(n);
  if (n > 0) lastRow[n - 1] = 1;
  const { values, vectors } = solveTridiagonal(diagonal, offDiagonal, lastRow, 1);
  return { values, lastComponents: vectors };
}

/** The tridiagonal problem solved with its rotations accumulated into `v` (`rows` rows of the identity). */
function solveTridiagonal(
  diagonal: Float64Array,
  offDiagonal: Float64Array,
  v: Float64Array,
  rows: number,
): SymmetricEigen {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i] = offDiagonal[i - 1]!;
  diagonalizeTridiagonal(v, d, e, n, rows);
  return sortedDescending(v, d, n, rows);
}

/** Householder reduction: on return v holds the orthogonal transform, d the diagonal, e[1..] the off-diagonal. */
function tridiagonalize(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[j * n + i] = f;
        g = e[j]! + v[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[k * n + j]! * d[k]!;
          e[k]! += v[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[k * n + j]! -= f * e[k]! + g * d[k]!;
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k * n + i + 1]! * v[k * n + j]!;
        for (let k = 0; k <= i; k++) v[k * n + j]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j]!;
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL on (d, e[1..]); accumulates rotations into the columns of v, which has `rows` rows of n
 * (each row is rotated on its own, so fewer rows give the same numbers in those rows).
 */
function diagonalizeTridiagonal(v: Float64Array, d: Float64Array, e: Float64Array, n: number, rows: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      do {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < rows; k++) {
            const row = k * n;
            h = v[row + i + 1]!;
            v[row + i + 1] = s * v[row + i]! + c * h;
            v[row + i] = c * v[row + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l]! += f;
    e[l] = 0;
  }
}

/**
 * Eigenvalues are in d and eigenvectors in the columns of v (`rows` rows of n); returns them sorted,
 * vectors as rows of `rows` components.
 */
function sortedDescending(v: Float64Array, d: Float64Array, n: number, rows = n): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b]! - d[a]! || a - b);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * rows);
  order.forEach((column, rank) => {
    values[rank] = d[column]!;
    for (let k = 0; k < rows; k++) vectors[rank * rows + k] = v[k * n + column]!;
  });
  return { values, vectors };
}
