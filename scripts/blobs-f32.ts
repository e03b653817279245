/**
 * Writes seeded blob data (the HDBSCAN* benchmark's Gaussian blobs plus 10% uniform noise, benchBlobs)
 * as a raw little-endian float32 matrix for `nap cluster`, e.g. the million-row scale check:
 *
 *   node build/scripts/blobs-f32.js --rows 1000000 --dim 256 --out /tmp/blobs-1m.f32 [--seed 7] [--centres 10]
 *   /usr/bin/time -v node build/src/cli/main.js cluster /tmp/blobs-1m.f32 --shape 1000000,256 --out r.json
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { benchBlobs } from './bench-hdbscan.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '256' },
    out: { type: 'string' },
    seed: { type: 'string', default: '7' },
    centres: { type: 'string', default: '10' },
  },
});
if (values.out === undefined) throw new Error('--out FILE is required');
const [rows, dim, seed, centres] = [values.rows, values.dim, values.seed, values.centres].map(Number) as [
  number,
  number,
  number,
  number,
];
const started = performance.now();
const matrix = benchBlobs(rows, dim, seed, centres);
await writeFile(values.out, new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength));
console.log(
  `${rows} x ${dim} blobs (seed ${seed}, ${centres} centres) -> ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
