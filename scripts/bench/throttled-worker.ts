/**
 * `node build/scripts/bench/throttled-worker.js redis://HOST:PORT`: a `nap worker` whose jobs run the
 * throttled stand-in model of throttled-processor.ts (one onnxruntime thread); stops after its job on SIGTERM.
 */
import { runQueueWorker } from '../../src/distributed/queue-worker.js';

const address = process.argv[2];
if (address === undefined) throw new Error('usage: throttled-worker.js redis://HOST:PORT');
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
await runQueueWorker(
  address,
  {
    threads: 1,
    processor: new URL('./throttled-processor.js', import.meta.url),
    log: (line) => console.error(`throttled worker: ${line}`),
  },
  { signal: stop.signal },
);
