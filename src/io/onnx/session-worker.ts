/**
 * The worker thread that owns a WorkerSession's onnxruntime session (see worker-session.ts). Requests are
 * served one at a time, in the order they come; output buffers are transferred back, not copied.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { sessionOptions } from './session.js';
import type { SessionReply, SessionRequest, SessionWorkerSetup, WireTensor } from './session-protocol.js';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function serve(port: MessagePort, setup: SessionWorkerSetup): Promise<void> {
  const reply = (message: SessionReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(setup.model, sessionOptions(setup.threads, setup.device));
  } catch (error) {
    reply({ type: 'failed', message: messageOf(error) });
    return;
  }
  let queue = Promise.resolve();
  // When the last run ended: a request served later than that found the worker idle (starved).
  let lastEnd: number | undefined;
  // Set as a close arrives, before the runs queued ahead of it are served: the caller has given up on them
  // (an extraction queues a batch or two ahead), so they are refused instead of computed.
  let closing = false;
  port.on('message', (request: SessionRequest) => {
    if (request.type === 'close') closing = true;
    queue = queue.then(async () => {
      if (request.type === 'close') {
        // Answer whatever release does: the caller waits for this reply before it stops the thread.
        try {
          await session.release();
          reply({ type: 'closed', id: request.id });
        } catch (error) {
          reply({ type: 'error', id: request.id, message: `releasing the session failed: ${messageOf(error)}` });
        }
        port.close();
        return;
      }
      if (closing) {
        reply({ type: 'error', id: request.id, message: 'the model session is closed' });
        return;
      }
      const started = performance.now();
      const idleMs = lastEnd === undefined ? 0 : Math.max(0, started - lastEnd);
      try {
        const feeds = Object.fromEntries(
          Object.entries(request.feeds).map(([name, { type, data, dims }]) => [name, new ort.Tensor(type, data, dims)]),
        );
        const results = await session.run(feeds, request.fetches);
        const outputs: Record<string, WireTensor> = {};
        const transfer = new Set<ArrayBuffer>();
        for (const [name, tensor] of Object.entries(results)) {
          const data = tensor.data as WireTensor['data'];
          outputs[name] = { type: tensor.type, dims: tensor.dims.map(Number), data };
          transfer.add(data.buffer as ArrayBuffer);
        }
        reply({ type: 'ran', id: request.id, outputs, idleMs }, [...transfer]);
      } catch (error) {
        reply({ type: 'error', id: request.id, message: messageOf(error) });
      } finally {
        lastEnd = performance.now();
      }
    });
  });
  reply({ type: 'ready' });
}

const setup = workerData as SessionWorkerSetup | undefined;
if (parentPort && setup?.role === 'onnx-session') await serve(parentPort, setup);
