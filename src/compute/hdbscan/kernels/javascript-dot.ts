import type { DotKernels } from './dot-kernel.js';

/**
 * Tile products in plain JavaScript: each dot product summed in float64 (exact products of float32
 * values) and rounded once to float32, well within the float32 bound the screens assume. Slower than
 * a BLAS GEMM; the kernels of compute when its caller passes none.
 */
export const javaScriptDotKernels: DotKernels = {
  module: import.meta.url,
  create: () => Promise.resolve({ dot: javaScriptDot, release: () => Promise.resolve() }),
};

/** The name worker threads import (see DotKernels.module). */
export { javaScriptDotKernels as dotKernels };

function javaScriptDot(
  rows: Float32Array,
  m: number,
  cols: Float32Array,
  n: number,
  dim: number,
  out: Float32Array,
): Promise<void> {
  const tail = dim - (dim % 4);
  for (let i = 0; i < m; i++) {
    const a = i * dim;
    for (let j = 0; j < n; j++) {
      const b = j * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k < tail; k += 4) {
        s0 += rows[a + k]! * cols[b + k]!;
        s1 += rows[a + k + 1]! * cols[b + k + 1]!;
        s2 += rows[a + k + 2]! * cols[b + k + 2]!;
        s3 += rows[a + k + 3]! * cols[b + k + 3]!;
      }
      for (; k < dim; k++) s0 += rows[a + k]! * cols[b + k]!;
      out[i * n + j] = s0 + s1 + (s2 + s3);
    }
  }
  return Promise.resolve();
}
