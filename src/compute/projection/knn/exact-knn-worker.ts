/**
 * Worker side of the exact search: scans its share of tiles into its own heaps and sends them back.
 * The rows arrive in SharedArrayBuffers, so starting a worker copies nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanTileAt, tileCount } from './exact-tiles.js';
import { NeighborHeaps } from './neighbor-heaps.js';
import type { ExactWorkerInput, ExactWorkerMessage } from './exact-knn.js';

const input = workerData as ExactWorkerInput;
const rows = {
  count: input.count,
  dim: input.dim,
  data: new Float32Array(input.data),
  offsets: new Float64Array(input.offsets),
  dotWeight: input.dotWeight,
  metric: input.metric,
};
const heaps = new NeighborHeaps(input.count, input.width);
const post = (message: ExactWorkerMessage, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(message, transfer);
let scanned = 0;
for (let tile = input.first, tiles = tileCount(input.count); tile < tiles; tile += input.stride) {
  scanTileAt(rows, heaps, tile);
  post({ type: 'progress', scanned: ++scanned });
}
post({ type: 'done', ids: heaps.ids, keys: heaps.keys }, [heaps.ids.buffer as ArrayBuffer, heaps.keys.buffer as ArrayBuffer]);
