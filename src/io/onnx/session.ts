/** Loading models: reading the file and creating onnxruntime sessions, with the project's error messages. */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { InputError } from '../../errors.js';
import { convertTfjsModelFile, isTfjsModelPath } from '../tfjs/load.js';
import { executionProviders, type Device } from './device.js';

/** The model's ONNX bytes: an .onnx file as is, a TF.js model.json converted in memory. */
export async function readModelFile(path: string): Promise<Uint8Array> {
  if (isTfjsModelPath(path)) return convertTfjsModelFile(path);
  try {
    return await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new InputError(`model file ${path} ${reason}`, {
      hint: 'pass the path of an .onnx model file',
      cause,
    });
  }
}

/** The thread count to use: `threads` when given (validated), else all cores. */
export function resolveThreads(threads: number | undefined): number {
  const resolved = threads ?? availableParallelism();
  if (!Number.isInteger(resolved) || resolved < 1) {
    throw new InputError(`threads = ${resolved} is not a positive integer`, { hint: 'pass 1 or more threads' });
  }
  return resolved;
}

/**
 * The session options of every session nap runs a model in. Idle intra-op threads sleep instead of
 * spinning: the images of the next batch decode on the same cores while the model runs, and spinning
 * threads took their CPU (on 2 cores with 2 threads, 208 -> 236 images/s in scripts/bench-engine.ts).
 */
export function sessionOptions(threads: number, device: Device = 'cpu'): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(device),
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

export async function createSession(bytes: Uint8Array, source: string, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(threads));
  } catch (cause) {
    throw loadError(source, cause);
  }
}

/** The InputError for a model onnxruntime refuses, with its first line of explanation. */
export function loadError(source: string, cause: unknown): InputError {
  return new InputError(`onnxruntime cannot load ${source}: ${firstLine(cause)}`, {
    hint: 'check that the model opens in onnxruntime 1.x (opset, custom ops, external data next to the file)',
    cause,
  });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const [first = ''] = message.split('\n', 1);
  return first;
}
