/**
 * Odd models: fixed batch sizes, NaN and Inf in a layer or only in the output, a layer that is constant
 * (all-zero ReLU). Each gives the documented result (docs/reliability.md) or a message naming the layer,
 * the input and what to do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { InputError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import {
  deadReluModel,
  makeTempDir,
  nanLayerModel,
  nanOutputModel,
  readRun,
  runCli,
  runStatuses,
  writeUniformImage,
  type StoredRun,
} from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];

before(async () => {
  ({ dir, cleanup } = await makeTempDir('nap-odd-models-'));
});

after(async () => {
  await cleanup();
});

async function writeModel(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

function comparable(run: StoredRun) {
  return {
    paths: run.paths,
    prediction: Array.from(run.prediction),
    probability: Array.from(run.probability),
    layers: [...run.layers].map(([name, layer]) => ({
      name,
      rows: [...layer.rowOf.values()].map((row) => Array.from(row)),
      patterns: Array.from(layer.patternId),
    })),
  };
}

test('models with a fixed batch size (1 and 7) give exactly the dynamic-batch result, partial batches included', async () => {
  const dynamic = await writeModel('dynamic.onnx', tinyConvNet());
  const reference = await analyze({
    model: dynamic,
    data: 'mnist',
    out: path.join(dir, 'dynamic.duckdb'),
    limit: 60,
    layers: LAYERS,
    batchSize: 8,
  });
  const expected = comparable(await readRun(path.join(dir, 'dynamic.duckdb'), reference.runId));
  for (const fixedBatch of [1, 7]) {
    const model = await writeModel(`fixed-${fixedBatch}.onnx`, tinyConvNet({ fixedBatch }));
    const out = path.join(dir, `fixed-${fixedBatch}.duckdb`);
    // 8 per batch: with 7 per run every batch needs a second, padded run of the model.
    const result = await analyze({ model, data: 'mnist', out, limit: 60, layers: LAYERS, batchSize: 8 });
    assert.deepEqual(comparable(await readRun(out, result.runId)), expected, `fixed batch ${fixedBatch}`);
  }
  // The default layers come from a probe run of the model, which must use the fixed batch size too.
  const fixed = await analyze({
    model: path.join(dir, 'fixed-7.onnx'),
    data: 'mnist',
    out: path.join(dir, 'fixed-default.duckdb'),
    limit: 20,
  });
  assert.ok(fixed.layers.length > 0);
});

test('NaN or Inf in an analysed layer is refused naming the layer, the input and what to do', async () => {
  for (const [op, value] of [
    ['log', 'NaN'],
    ['div', 'Infinity'],
  ] as const) {
    const model = await writeModel(`nan-${op}.onnx`, nanLayerModel(op));
    const out = path.join(dir, `nan-${op}.duckdb`);
    await assert.rejects(analyze({ model, data: 'mnist', out, limit: 20, layers: ['bad', 'ok'] }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, new RegExp(`layer 'bad' produced ${value} for input mnist#\\d+`));
      assert.match(error.hint ?? '', /--layers/);
      return true;
    });
    assert.deepEqual(await runStatuses(out), ['failed']);
    // Leaving the layer out, as the hint says, works.
    const result = await analyze({ model, data: 'mnist', out, limit: 20, layers: ['ok'] });
    assert.equal(result.layers[0]!.inputs, 20);
  }
  const cli = await runCli([
    'analyze',
    '--model',
    path.join(dir, 'nan-log.onnx'),
    '--data',
    'mnist',
    '--limit',
    '20',
    '--layers',
    'bad',
    '--out',
    path.join(dir, 'nan-cli.duckdb'),
    '--quiet',
  ]);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /^nap analyze: layer 'bad' produced NaN for input mnist#\d+\n\s+.*--layers/m);
});

test('NaN in the model output only: those inputs get no prediction (-1, probability NaN); the rest are predicted', async () => {
  const values = [40, 70, 100, 120, 140, 160, 190, 220];
  const images = path.join(dir, 'levels');
  for (const value of values)
    await writeUniformImage(path.join(images, 'c', `${value}.png`), [value, value, value], 'gray');
  const model = await writeModel('nan-output.onnx', nanOutputModel(0.5));
  const out = path.join(dir, 'nan-output.duckdb');
  const result = await analyze({ model, data: images, out, layers: ['ok'] });
  const stored = await readRun(out, result.runId);
  for (const [row, file] of stored.paths.entries()) {
    const value = Number(path.basename(file, '.png'));
    const shifted = value / 255 - 0.5;
    if (shifted < 0) {
      assert.equal(stored.prediction[row], -1, `${value}: no prediction`);
      assert.ok(Number.isNaN(stored.probability[row]), `${value}: probability NaN`);
      assert.equal(stored.predictionLabel[row], null);
    } else {
      // Outputs [log(shifted), 0]: class 1, with softmax probability 1 / (1 + shifted).
      assert.equal(stored.prediction[row], 1, `${value}: class 1`);
      assert.ok(
        Math.abs(stored.probability[row]! - 1 / (1 + shifted)) < 1e-5,
        `${value}: probability ${stored.probability[row]}`,
      );
      assert.equal(stored.predictionLabel[row], '1');
    }
  }
  assert.equal(stored.layers.get('ok')!.rowOf.size, values.length, 'every input is analysed');
});

test('a constant layer (all-zero ReLU) stores zeros and no patterns, with finite statistics; other layers are unaffected', async () => {
  const model = await writeModel('dead.onnx', deadReluModel());
  const out = path.join(dir, 'dead.duckdb');
  const result = await analyze({ model, data: 'mnist', out, limit: 60, layers: ['dead', 'alive'] });
  const stored = await readRun(out, result.runId);
  const dead = stored.layers.get('dead')!;
  for (const row of dead.rowOf.values())
    assert.ok(
      row.every((v) => v === 0),
      'normalized by a zero maximum: 0, not NaN',
    );
  assert.equal(dead.patternCount, 0);
  assert.ok(
    dead.patternId.every((p) => p === -1),
    'every input is noise',
  );
  assert.ok(dead.probability.every((p) => p === 0) && dead.outlierScore.every((s) => s === 0));
  assert.ok(stored.layers.get('alive')!.patternCount > 0, 'the other layer still has patterns');
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const stats = await store.readUnitStats({ runId: result.runId, layer: 'dead' });
    for (const column of [stats.min, stats.max, stats.mean, stats.q1, stats.q3, stats.iqr, stats.lower, stats.upper]) {
      assert.ok(
        column.every((v) => v === 0),
        'unit statistics of a constant layer are 0',
      );
    }
  } finally {
    await store.close();
  }
});
