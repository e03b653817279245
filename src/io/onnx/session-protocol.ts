/** Messages between WorkerSession (worker-session.ts) and the thread that owns the session (session-worker.ts). */

/** What the worker is started with. */
export interface SessionWorkerSetup {
  role: 'onnx-session';
  /** The model bytes (a copy: the worker owns them). */
  model: Uint8Array;
  threads: number;
  /** Execution provider; default 'cpu'. */
  device?: 'cpu' | 'cuda' | 'webgpu';
}

/** A tensor as it crosses threads: its buffer is transferred, not copied. */
export interface WireTensor {
  type: string;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;
}

/** Each request is answered once, with its id: 'run' by 'ran' or 'error', 'close' by 'closed' or 'error'. */
/** A tensor fed to the session: its element type (onnxruntime's name), dims and data. */
export interface WireFeed {
  type: 'float32' | 'int64' | 'int32' | 'bool';
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export type SessionRequest =
  { type: 'run'; id: number; feeds: Record<string, WireFeed>; fetches: string[] } | { type: 'close'; id: number };

export type SessionReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  /** idleMs: how long the worker had no request to serve before this one (0 when it was queued). */
  | { type: 'ran'; id: number; outputs: Record<string, WireTensor>; idleMs: number }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };
