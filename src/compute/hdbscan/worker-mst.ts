/**
 * A worker thread of fastMst: it shares the screened rows, the core distances and the Prim keys
 * with the main thread (SharedArrayBuffer), runs its own single-threaded ONNX Runtime session and
 * SIMD scanner, and takes tiles (neighbour pass) or column chunks (flushes) from a shared counter,
 * so both cores stay busy however the work is spread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeMatrix } from '../matrix.js';
import { rowDistance } from './distance.js';
import { rescanRows, scanUpperTiles, sortCandidatesExactly } from './kernels/neighbours.js';
import { createOrtDotKernel } from './kernels/ort-dot.js';
import { PairFlusher } from './kernels/pair-flush.js';
import { screenBounds, type Screen } from './kernels/screen.js';
import { tileEdge, tileFiller } from './kernels/tiles.js';
import { CANCELLED, DONE, NEXT, type WorkerSetup, type WorkerTask } from './kernels/worker-protocol.js';

async function serve(): Promise<void> {
  const port = parentPort;
  const setup = workerData as WorkerSetup | undefined;
  if (!port || setup?.role !== 'fast-mst') return;
  const { metric, count, dim, maxScale, unit, tile, vectors, norms, scales, data, core, key, control } = setup;
  // A private copy: ONNX Runtime takes no SharedArrayBuffer operands, and blocks are gathered from it.
  const own = new Float32Array(vectors);
  const screen: Screen = {
    metric,
    count,
    dim,
    vectors: own,
    norms,
    scales,
    maxScale,
    unit,
    tile,
    ...screenBounds(metric, dim, maxScale, unit),
  };
  const kernel = tile === 'dot' ? await createOrtDotKernel(1) : undefined;
  const fill = tileFiller(screen, kernel);
  const distance = rowDistance(makeMatrix(count, dim, data), metric);
  let flusher: PairFlusher | undefined;
  const claim = (): number => (Atomics.load(control, CANCELLED) ? -1 : Atomics.add(control, NEXT, 1));
  const done = (): Promise<void> => {
    Atomics.add(control, DONE, 1);
    return Promise.resolve();
  };
  port.on('message', (task: WorkerTask) => {
    void (async () => {
      try {
        if (task.type === 'neighbours') {
          const heaps = await scanUpperTiles(screen, fill, task.width, claim, done);
          const bar = heaps.bar.slice();
          const transfer = [heaps.values.buffer, heaps.ids.buffer, heaps.sizes.buffer, bar.buffer] as ArrayBuffer[];
          port.postMessage({ values: heaps.values, ids: heaps.ids, sizes: heaps.sizes, bar }, transfer);
        } else if (task.type === 'exact') {
          sortCandidatesExactly(task.candidates, task.width, count, distance, claim, task.ids, task.distances);
          port.postMessage({ done: true });
        } else if (task.type === 'rescan') {
          await rescanRows(screen, fill, task.rows, task.reach, task.width, distance, claim, task.ids, task.distances);
          port.postMessage({ done: true });
        } else if (task.type === 'flush') {
          flusher ??= new PairFlusher(screen, fill, core, key, distance, tileEdge(dim, count));
          const before = flusher.pairs;
          await flusher.see(task.rows, task.columns, claim, done);
          port.postMessage({ pairs: flusher.pairs - before });
        } else {
          await kernel?.release();
          port.postMessage({ closed: true });
        }
      } catch (error) {
        port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  port.postMessage({ ready: true });
}

await serve();
