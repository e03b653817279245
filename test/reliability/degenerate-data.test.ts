/**
 * Data too small or too uniform to have patterns: fewer inputs than the minimum pattern size (before and
 * after unreadable images are dropped) and all-identical inputs (one image repeated).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { InputError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { makeTempDir, readRun, runCli, writeUniformImage } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let model: string;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];

before(async () => {
  ({ dir, cleanup } = await makeTempDir('nap-degenerate-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
});

after(async () => {
  await cleanup();
});

async function imageFolder(name: string, values: number[]): Promise<string> {
  const folder = path.join(dir, name);
  for (const [i, value] of values.entries())
    await writeUniformImage(path.join(folder, 'c', `${i}.png`), [value, value, value], 'gray');
  return folder;
}

test('fewer inputs than the minimum pattern size are refused before the model runs; exactly that many work', async () => {
  const three = await imageFolder('three', [40, 120, 200]);
  const out = path.join(dir, 'three.duckdb');
  await assert.rejects(analyze({ model, data: three, out, layers: LAYERS }), (error: unknown) => {
    assert.ok(error instanceof InputError);
    // The library names its option, the CLI (below) its flag.
    assert.match(
      error.message,
      /three gives 3 inputs, fewer than the minimum pattern size \(clustering\.minClusterSize\) 5/,
    );
    assert.match(error.hint ?? '', /lower clustering\.minClusterSize to 3 or less/);
    return true;
  });
  await assert.rejects(stat(out), 'nothing was stored');
  await assert.rejects(
    analyze({ model, data: 'mnist', indices: [7], out, layers: LAYERS, clustering: { minClusterSize: 2 } }),
    /1 input, fewer than .* 2\n\s+a pattern needs at least 2 inputs/,
  );

  const result = await analyze({ model, data: three, out, layers: LAYERS, clustering: { minClusterSize: 3 } });
  assert.deepEqual(
    result.layers.map((layer) => layer.inputs),
    [3, 3, 3],
  );

  const cli = await runCli([
    'analyze',
    '--model',
    model,
    '--data',
    three,
    '--out',
    path.join(dir, 'three-cli.duckdb'),
    '--layers',
    LAYERS.join(','),
    '--quiet',
  ]);
  assert.equal(cli.code, 2);
  assert.match(
    cli.stderr,
    /^nap analyze: \S+three gives 3 inputs, fewer than the minimum pattern size \(--min-cluster-size\) 5\n\s+analyze at least 5 inputs, or lower --min-cluster-size to 3 or less/m,
  );
});

test('too few readable inputs after skipping: refused naming the layer; a lower minimum resumes the same run', async () => {
  const folder = await imageFolder('mostly-bad', [40, 80, 120, 160]);
  await writeFile(path.join(folder, 'c', 'bad-1.png'), 'not an image');
  await writeFile(path.join(folder, 'c', 'bad-2.png'), '');
  const out = path.join(dir, 'mostly-bad.duckdb');
  await assert.rejects(
    analyze({ model, data: folder, out, layers: LAYERS }),
    /layer 'relu_out' has 4 inputs, fewer than the minimum pattern size \(clustering\.minClusterSize\) 5\n\s+analyze at least 5 inputs, or lower clustering\.minClusterSize to 4 or less/,
  );
  const result = await analyze({ model, data: folder, out, layers: LAYERS, clustering: { minClusterSize: 4 } });
  const store = await NapStore.open(out, { readOnly: true });
  try {
    assert.deepEqual(
      (await store.listRuns()).map((run) => [run.runId, run.status]),
      [[result.runId, 'complete']],
      'the first run was resumed, not repeated',
    );
    assert.equal((await store.readInputs(result.runId)).index.length, 4);
  } finally {
    await store.close();
  }
});

test('all-identical inputs: every distance is 0, so there are no patterns (leaf), or one of everything (eom, single cluster allowed)', async () => {
  const folder = path.join(dir, 'copies');
  await writeUniformImage(path.join(folder, 'c', 'original.png'), [123, 45, 67], 'rgb', { width: 10, height: 10 });
  for (let i = 0; i < 29; i++)
    await copyFile(path.join(folder, 'c', 'original.png'), path.join(folder, 'c', `copy-${i}.png`));
  const out = path.join(dir, 'copies.duckdb');
  const leaf = await analyze({ model, data: folder, out, layers: LAYERS });
  const stored = await readRun(out, leaf.runId);
  for (const [name, layer] of stored.layers) {
    const rows = [...layer.rowOf.values()];
    assert.equal(rows.length, 30);
    assert.ok(
      rows.every((row) => row.every((v, u) => v === rows[0]![u])),
      `${name}: identical rows`,
    );
    assert.ok(rows[0]!.every(Number.isFinite));
    assert.equal(layer.patternCount, 0, `${name}: no patterns`);
    assert.ok(
      layer.patternId.every((p) => p === -1) &&
        layer.probability.every((p) => p === 0) &&
        layer.outlierScore.every((s) => s === 0),
      `${name}: all noise, finite scores`,
    );
  }
  const single = await analyze({
    model,
    data: folder,
    out,
    layers: LAYERS,
    clustering: { clusterSelectionMethod: 'eom', allowSingleCluster: true },
  });
  assert.equal(single.runId, leaf.runId, 'new clustering parameters reuse the stored activations');
  assert.deepEqual(
    single.layers.map((layer) => [layer.patterns, layer.noise]),
    [
      [1, 0],
      [1, 0],
      [1, 0],
    ],
  );

  // The same through explicit indices: one MNIST digit listed 30 times.
  const repeated = await analyze({
    model,
    data: 'mnist',
    indices: new Array<number>(30).fill(42),
    out: path.join(dir, 'repeated.duckdb'),
    layers: LAYERS,
  });
  assert.deepEqual(
    repeated.layers.map((layer) => [layer.inputs, layer.patterns, layer.noise]),
    [
      [30, 0, 30],
      [30, 0, 30],
      [30, 0, 30],
    ],
  );
});
