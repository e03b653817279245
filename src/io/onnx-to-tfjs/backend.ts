/**
 * The tf.js engine the translated models run on. tf.js keeps one global engine per process; this module is
 * the only place that picks its backend. 'wasm' (XNNPACK, SIMD, one thread) is the default: its
 * convolutions are 10 to 30 times faster than the pure JavaScript 'cpu' backend's, and the gradients it
 * lacks kernels for are written in terms of forward ops (ops/conv.ts, ops/gather.ts). 'cpu' is there for
 * cross-checking.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../errors.js';

export type TfjsBackend = 'wasm' | 'cpu';

export const TFJS_BACKENDS: readonly TfjsBackend[] = ['wasm', 'cpu'];

let loading: Promise<void> | undefined;
let loaded: TfjsBackend | undefined;

/** Makes `backend` tf.js's backend (registering it on first use) and waits until it is ready. */
export async function useTfjsBackend(backend: TfjsBackend = 'wasm'): Promise<typeof tf> {
  if (!TFJS_BACKENDS.includes(backend)) {
    throw new InputError(`tf.js backend '${String(backend)}' is not one of ${TFJS_BACKENDS.join(', ')}`, {
      hint: 'use wasm (fast) or cpu',
    });
  }
  while (loading) await loading;
  if (loaded !== backend || tf.getBackend() !== backend) {
    loading = (async () => {
      // tfjs-core alone registers no gradients (nor the cpu backend): the tfjs package does both on import.
      await import('@tensorflow/tfjs');
      if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend(backend))) {
        throw new InputError(`tf.js cannot start its ${backend} backend`, {
          hint: backend === 'wasm' ? 'try the cpu backend' : 'reinstall nap-lens',
        });
      }
      await tf.ready();
      loaded = backend;
    })();
    try {
      await loading;
    } finally {
      loading = undefined;
    }
  }
  return tf;
}
