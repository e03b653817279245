import * as ort from 'onnxruntime-node';
import type { DotKernel, DotKernels } from '../../compute/hdbscan/kernels/dot-kernel.js';
import { OnnxGraphBuilder } from './builder.js';

/** A one-node ONNX model, C = A . B^T, whose MLAS SGEMM is far faster than any JavaScript loop. */
function gemmModel(): Uint8Array {
  return new OnnxGraphBuilder('tile_dot')
    .input('A', ['m', 'k'])
    .input('B', ['n', 'k'])
    .output('C', ['m', 'n'])
    .node('Gemm', ['A', 'B'], ['C'], { transB: 1 })
    .toBytes(17);
}

/**
 * Products up to this many multiply-adds run on a one-thread session when the kernel has more threads:
 * handing a product of ~50 microseconds to a second pool thread costs as much as it saves (the thread's
 * wake-up and the join), and 1-thread CPU time was 10-30% lower on 128 x 128 x 64 and 50 x 512 x 64
 * products (measured under load on this 2-core machine). MLAS splits a product between threads by rows
 * and columns, never along the sum: every element is the same float32 value either way (checked on
 * shapes from 1 x 5 to 512 x 512, 8 to 2048 wide), so results do not change.
 */
export const SMALL_PRODUCT = 2 ** 21;

async function createSession(threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(gemmModel(), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'basic',
    // Idle pool threads would otherwise spin and steal the core the JavaScript scan runs on.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

/**
 * Float32 tile products on ONNX Runtime's CPU provider with `threads` intra-op threads (products up to
 * SMALL_PRODUCT on one thread, in a session made at the first of them).
 */
async function createOrtDotKernel(threads: number): Promise<DotKernel> {
  const session = await createSession(threads);
  let single: Promise<ort.InferenceSession> | undefined = threads > 1 ? undefined : Promise.resolve(session);
  // ONNX Runtime rejects tensors on SharedArrayBuffers: such operands are copied to scratch first
  // (grown as needed; never a caller's array, which a later copy would overwrite).
  const scratch = { rows: new Float32Array(0), cols: new Float32Array(0) };
  const unshared = (values: Float32Array, side: 'rows' | 'cols'): Float32Array => {
    if (!(values.buffer instanceof SharedArrayBuffer)) return values;
    if (scratch[side].length < values.length) scratch[side] = new Float32Array(values.length);
    const copy = scratch[side].subarray(0, values.length);
    copy.set(values);
    return copy;
  };
  return {
    async dot(rows, m, cols, n, dim, out) {
      if (m === 0 || n === 0) return;
      const a = unshared(rows.subarray(0, m * dim), 'rows');
      const b = unshared(cols.subarray(0, n * dim), 'cols');
      const feeds = {
        A: new ort.Tensor('float32', a, [m, dim]),
        B: new ort.Tensor('float32', b, [n, dim]),
      };
      const runner = m * n * dim <= SMALL_PRODUCT ? await (single ??= createSession(1)) : session;
      // The product lands in `out`. onnxruntime-node 1.30 still computes it into a buffer of its own and copies
      // it (measured in session 10): the preallocated output saves our result array, not the copy.
      await runner.run(feeds, { C: new ort.Tensor('float32', out.subarray(0, m * n), [m, n]) });
    },
    async release() {
      const other = single;
      single = undefined;
      await session.release();
      if (other && threads > 1) await (await other).release();
    },
  };
}

/** The tile products of the exact screens on ONNX Runtime's SGEMM (MLAS), far faster than a JavaScript loop. */
export const onnxDotKernels: DotKernels = { module: import.meta.url, create: createOrtDotKernel };

/** The name worker threads import (see DotKernels.module). */
export { onnxDotKernels as dotKernels };
