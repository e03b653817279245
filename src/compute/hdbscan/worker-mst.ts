/**
 * A worker thread of fastMst: it shares the screened rows, the core distances and the Prim keys
 * with the main thread (SharedArrayBuffer), runs its own single-threaded dot kernel (from the module
 * the caller's kernels name) and SIMD scanner, and takes tiles (neighbour pass) or column chunks
 * (flushes) from a shared counter, so both cores stay busy however the work is spread.
 */
import { makeMatrix } from '../matrix.js';
import { threadSide } from '../threads.js';
import { rowDistance } from './distance.js';
import { rescanRows, scanUpperTiles, sortCandidatesExactly } from './kernels/neighbours.js';
import { importDotKernels } from './kernels/dot-kernel.js';
import { PairFlusher } from './kernels/pair-flush.js';
import { screenBounds, type Screen } from './kernels/screen.js';
import { tileEdge, tileFiller } from './kernels/tiles.js';
import { CANCELLED, DONE, NEXT, type WorkerSetup, type WorkerTask } from './kernels/worker-protocol.js';

async function serve(): Promise<void> {
  const port = threadSide<WorkerSetup | undefined>();
  const setup = port?.data;
  if (!port || setup?.role !== 'fast-mst') return;
  const { metric, count, dim, maxScale, unit, tile, vectors, norms, scales, data, core, key, control } = setup;
  // A private copy: ONNX Runtime's kernel takes no SharedArrayBuffer operands, and blocks are gathered from it.
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
  const kernel = tile === 'dot' ? await (await importDotKernels(setup.kernels)).create(1) : undefined;
  const fill = tileFiller(screen, kernel);
  const distance = rowDistance(makeMatrix(count, dim, data), metric);
  let flusher: PairFlusher | undefined;
  const claim = (): number => (Atomics.load(control, CANCELLED) ? -1 : Atomics.add(control, NEXT, 1));
  const done = (): Promise<void> => {
    Atomics.add(control, DONE, 1);
    return Promise.resolve();
  };
  port.onMessage((message) => {
    const task = message as WorkerTask;
    void (async () => {
      try {
        if (task.type === 'neighbours') {
          const heaps = await scanUpperTiles(screen, fill, task.width, claim, done);
          const bar = heaps.bar.slice();
          const transfer = [heaps.values.buffer, heaps.ids.buffer, heaps.sizes.buffer, bar.buffer] as ArrayBuffer[];
          port.post({ values: heaps.values, ids: heaps.ids, sizes: heaps.sizes, bar }, transfer);
        } else if (task.type === 'exact') {
          sortCandidatesExactly(task.candidates, task.width, count, distance, claim, task.ids, task.distances);
          port.post({ done: true });
        } else if (task.type === 'rescan') {
          await rescanRows(screen, fill, task.rows, task.reach, task.width, distance, claim, task.ids, task.distances);
          port.post({ done: true });
        } else if (task.type === 'flush') {
          flusher ??= new PairFlusher(screen, fill, core, key, distance, tileEdge(dim, count));
          const before = flusher.pairs;
          await flusher.see(task.rows, task.columns, claim, done);
          port.post({ pairs: flusher.pairs - before });
        } else {
          await kernel?.release();
          port.post({ closed: true });
        }
      } catch (error) {
        port.post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  port.post({ ready: true });
}

await serve();
