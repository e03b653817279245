/** Shared fixtures for the store tests: temp stores, a deterministic random source, sample rows. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NapStore, type InputColumns, type LayerInfo, type NewRun } from '../../../src/io/store/index.js';
import { mulberry32 as random } from '../../../src/io/datasets/sample.js';

/** Mulberry32 (the datasets' sampler), seeded: small and good enough for test data. */
export { random };

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nap-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a new store in a temp directory; `done` closes it and removes the directory. */
export async function tempStore(): Promise<{ store: NapStore; path: string; done: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'nap.duckdb');
  const store = await NapStore.open(path);
  return {
    store,
    path,
    done: async () => {
      await store.close();
      cleanup();
    },
  };
}

export function sampleRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    name: 'mnist-cnn on mnist:test',
    modelPath: '/models/mnist.onnx',
    modelSha256: 'a'.repeat(64),
    modelLayout: 'channels-first',
    datasetSpec: 'mnist:test',
    datasetFingerprint: 'fp-1',
    extractionConfigHash: 'cfg-1',
    config: { layers: ['conv1', 'dense'], aggregation: 'mean', hdbscan: { minClusterSize: 5, selection: 'leaf' } },
    predictionLabels: ['zero', 'one', 'two'],
    ...overrides,
  };
}

/** `count` inputs 0..count-1 with labels and predictions among three classes; input 1 has no path or label. */
export function sampleInputs(count: number, seed = 1): InputColumns {
  const next = random(seed);
  const classes = ['zero', 'one', 'two'];
  const prediction = Int32Array.from({ length: count }, () => Math.floor(next() * 3));
  return {
    index: Int32Array.from({ length: count }, (_, i) => i),
    path: Array.from({ length: count }, (_, i) => (i === 1 ? null : `images/${i}.png`)),
    label: Array.from({ length: count }, (_, i) => (i === 1 ? null : classes[i % 3]!)),
    prediction,
    predictionLabel: Array.from(prediction, (p) => classes[p]!),
    probability: Float32Array.from({ length: count }, () => next()),
  };
}

export function sampleLayer(overrides: Partial<LayerInfo> = {}): LayerInfo {
  return { layer: 'conv1', order: 0, opType: 'Conv', rawDims: [8, 12, 12], aggregation: 'mean', dim: 8, ...overrides };
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance = 1e-6,
  what = 'values',
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
    else if (!Number.isFinite(e)) assert.equal(a, e, `${what}[${i}]`);
    else assert.ok(Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

/** Rows in a table of the store file, counted through a read-only store-independent connection. */
export async function countRows(path: string, table: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${table}`);
    return Number(reader.getRows()[0]![0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
