/** Fills `out[i * n + j] = rows[i] . cols[j]` (float32) for `m` rows and `n` cols of `dim` float32 values each. */
export interface DotKernel {
  dot(rows: Float32Array, m: number, cols: Float32Array, n: number, dim: number, out: Float32Array): Promise<void>;
  release(): Promise<void>;
}

/**
 * Makes the tile products of the exact screens (core distances, Prim flushes, exemplar distances).
 * compute/ stays free of native runtimes: its callers pass the kernels to use (the engine, the CLI and
 * the library pass ONNX Runtime's, src/io/onnx/dot-kernel.ts), and compute falls back to
 * javaScriptDotKernels (javascript-dot.ts). Any kernel whose products are within the float32 rounding bound of
 * a dot product of `dim` terms gives the same exact results (spanning tree, neighbours, exemplar distances);
 * only the speed differs. The approximate spanning tree picks its neighbours from the float32 products, so
 * its tree may differ in the last bits from one kernel to another (each is deterministic).
 */
export interface DotKernels {
  /** A kernel using up to `threads` threads of its own. */
  create(threads: number): Promise<DotKernel>;
  /**
   * URL of the ES module whose `dotKernels` export is this object: worker threads import it, so
   * that they compute with the same kernels as the thread that started them.
   */
  readonly module: string;
}

/** The `dotKernels` export of `module` (how a worker thread gets its caller's kernels). */
export async function importDotKernels(module: string): Promise<DotKernels> {
  const loaded = (await import(module)) as { dotKernels?: DotKernels };
  if (typeof loaded.dotKernels?.create !== 'function') {
    throw new Error(`${module} has no dotKernels export`);
  }
  return loaded.dotKernels;
}
