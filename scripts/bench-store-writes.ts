/**
 * Memory of extraction's store writes alone, without a model: N inputs committed in batches of 2,048 as
 * analyze commits them (inputs, input details, one staged 64-unit layer), printing the resident set every
 * 12 batches, the growth per input and the bytes written. Session 11 traced extraction's growth with it
 * (see README, "A million inputs"). DuckDB's allocator is set up as the CLI sets it; DUCKDB_JE_MALLOC_CONF=
 * (empty) measures DuckDB's defaults. Usage:
 *   node build/scripts/bench-store-writes.js [--inputs 150000] [--without details,layers]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { configureDuckDbAllocator } from '../src/io/store/allocator.js';

configureDuckDbAllocator();
const { NapStore } = await import('../src/io/store/index.js');

const { values: args } = parseArgs({
  options: { inputs: { type: 'string', default: '150000' }, without: { type: 'string', default: '' } },
});
const inputs = Number(args.inputs);
if (!Number.isInteger(inputs) || inputs < 1) throw new Error(`--inputs ${args.inputs} is not a positive whole number`);
const without = new Set(args.without.split(',').filter((part) => part !== ''));
const BATCH = 2048;
const UNITS = 64;
const CLASSES = 10;

function procField(file: string, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(file, 'utf8'))?.[1] ?? Number.NaN);
}
const rssMiB = () => procField('/proc/self/status', 'VmRSS') / 1024;

const dir = await mkdtemp(path.join(os.tmpdir(), 'nap-store-writes-'));
const store = await NapStore.open(path.join(dir, 'store.duckdb'));
try {
  const runId = await store.createRun({
    name: 'store writes',
    modelPath: 'model.onnx',
    modelSha256: 'model',
    modelLayout: 'activations',
    datasetSpec: 'synthetic',
    datasetFingerprint: 'synthetic',
    extractionConfigHash: 'config',
    config: {},
    predictionLabels: Array.from({ length: CLASSES }, (_, i) => `class ${i}`),
  });
  const samples: string[] = [];
  const startRss = rssMiB();
  for (let start = 0; start < inputs; start += BATCH) {
    const rows = Math.min(BATCH, inputs - start);
    const index = Int32Array.from({ length: rows }, (_, i) => start + i);
    await store.appendStagedBatch(runId, {
      start,
      count: rows,
      inputs: {
        index,
        path: Array.from(index, (row) => `fashion-mnist/train-images-idx3-ubyte.gz#${row % 70000}+shift(2,-1)+flip`),
        label: Array.from(index, (row) => `class ${row % CLASSES}`),
        prediction: new Int32Array(rows).fill(3),
        predictionLabel: Array.from(index, () => 'class 3'),
        probability: new Float32Array(rows).fill(0.5),
      },
      ...(without.has('details')
        ? {}
        : {
            details: {
              classes: CLASSES,
              probabilities: new Float32Array(rows * CLASSES).fill(0.1),
              digest: Array.from(index, (row) => row.toString(16).padStart(64, '0')),
            },
          }),
      layers: without.has('layers')
        ? []
        : [
            {
              layer: 'conv2',
              values: Float32Array.from({ length: rows * UNITS }, (_, i) => start + i),
              dim: UNITS,
              unitMax: new Float32Array(rows * UNITS).fill(1),
              units: UNITS,
            },
          ],
    });
    if ((start / BATCH) % 12 === 0) samples.push(`${start}: ${rssMiB().toFixed(0)}`);
  }
  const endRss = rssMiB();
  console.log(`resident MiB by inputs committed: ${samples.join(', ')}; ${inputs}: ${endRss.toFixed(0)}`);
  console.log(
    `growth ${(((endRss - startRss) * 1024) / inputs).toFixed(2)} KiB per input; peak ${(procField('/proc/self/status', 'VmHWM') / 1024).toFixed(0)} MiB; ` +
      `written ${(procField('/proc/self/io', 'write_bytes') / 1024 ** 2).toFixed(0)} MiB; ` +
      `DUCKDB_JE_MALLOC_CONF=${process.env.DUCKDB_JE_MALLOC_CONF ?? ''}`,
  );
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
