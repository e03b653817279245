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

/** Float32 tile products on ONNX Runtime's CPU provider with `threads` intra-op threads. */
async function createOrtDotKernel(threads: number): Promise<DotKernel> {
  const session = await ort.InferenceSession.create(gemmModel(), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'basic',
    // Idle pool threads would otherwise spin and steal the core the JavaScript scan runs on.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
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
      // Writing into a preallocated output saves an allocation and a copy per tile.
      await session.run(feeds, { C: new ort.Tensor('float32', out.subarray(0, m * n), [m, n]) });
    },
    release: () => session.release(),
  };
}

/** The tile products of the exact screens on ONNX Runtime's SGEMM (MLAS), far faster than a JavaScript loop. */
export const onnxDotKernels: DotKernels = { module: import.meta.url, create: createOrtDotKernel };

/** The name worker threads import (see DotKernels.module). */
export { onnxDotKernels as dotKernels };
