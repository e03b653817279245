import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { itemsPerRun, openOnnxModel, RUN_INPUT_BYTES, type LayerTensor } from '../../../src/io/onnx/runner.js';
import { WorkerSession } from '../../../src/io/onnx/worker-session.js';
import { InputError } from '../../../src/errors.js';
import { nchwToNhwc, seededValues, tinyConvNet, tinyConvNetReference, TINY } from '../../helpers/tiny-models.js';

let dir: string;
const paths = { nchw: '', nhwc: '', fixed1: '', fixed2: '', corrupt: '', twoInputs: '', unknownOp: '' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nap-onnx-runner-'));
  const models: Record<keyof typeof paths, Uint8Array> = {
    nchw: tinyConvNet(),
    nhwc: tinyConvNet({ layout: 'NHWC', channels: 2 }),
    fixed1: tinyConvNet({ fixedBatch: 1 }),
    fixed2: tinyConvNet({ fixedBatch: 2 }),
    corrupt: new TextEncoder().encode('not a model at all'),
    unknownOp: new OnnxGraphBuilder('odd')
      .input('x', ['batch', 2])
      .output('y', ['batch', 2])
      .node('NoSuchOp', ['x'], ['y'])
      .toBytes(),
    twoInputs: new OnnxGraphBuilder('two')
      .input('a', [1])
      .input('b', [1])
      .output('c', [1])
      .node('Add', ['a', 'b'], ['c'])
      .toBytes(),
  };
  for (const [key, bytes] of Object.entries(models)) {
    paths[key as keyof typeof paths] = join(dir, `${key}.onnx`);
    await writeFile(paths[key as keyof typeof paths], bytes);
  }
});
after(async () => rm(dir, { recursive: true, force: true }));

const ALL = [TINY.conv, TINY.relu, TINY.pool, TINY.logits];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${label}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function byName(layers: LayerTensor[], name: string): LayerTensor {
  const found = layers.find((l) => l.name === name);
  assert.ok(found, `layer ${name} missing`);
  return found;
}

/** Counts session runs (in the runner's worker thread) asked for while `body` runs. */
async function countRuns<T>(body: () => Promise<T>): Promise<{ result: T; runs: number }> {
  const prototype = WorkerSession.prototype;
  // Restored below and called with the session as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = prototype.run;
  let runs = 0;
  prototype.run = function (this: WorkerSession, ...args: Parameters<WorkerSession['run']>) {
    runs++;
    return original.apply(this, args);
  };
  try {
    return { result: await body(), runs };
  } finally {
    prototype.run = original;
  }
}

test('runner describes the model input, output and requested layers', async () => {
  const runner = await openOnnxModel(paths.nchw, { layers: [TINY.relu, TINY.pool, TINY.relu], threads: 1 });
  assert.equal(runner.inputName, TINY.input);
  assert.deepEqual(runner.inputDims, ['batch', 1, 4, 4]);
  assert.equal(runner.outputName, TINY.probs);
  assert.deepEqual(runner.layerNames, [TINY.relu, TINY.pool]);
  await runner.close();
});

test('activations match values worked out by hand', async () => {
  const runner = await openOnnxModel(paths.nchw, { layers: ALL, threads: 1 });
  const ramp = Float32Array.from({ length: 16 }, (_, i) => i - 8);
  const ones = new Float32Array(16).fill(1);
  const { layers, output } = await runner.run(Float32Array.from([...ramp, ...ones]), [2, 1, 4, 4]);
  await runner.close();
  const conv = byName(layers, TINY.conv);
  assert.deepEqual(conv.dims, [2, 2, 4, 4]);
  assert.deepEqual(Array.from(conv.data.subarray(0, 16)), Array.from(ramp)); // filter 0 copies the input
  // filter 1 on the ramp: 3x3 sums minus 1 at the corner (0,0), centre (1,1) and corner (3,3)
  assert.deepEqual([conv.data[16], conv.data[16 + 5], conv.data[16 + 15]], [-23, -28, 17]);
  // filter 1 on ones: neighbours inside the image minus 1
  assert.deepEqual(Array.from(conv.data.subarray(48, 64)), [3, 5, 5, 3, 5, 8, 8, 5, 5, 8, 8, 5, 3, 5, 5, 3]);
  const relu = byName(layers, TINY.relu);
  assert.deepEqual(
    Array.from(relu.data.subarray(0, 16)),
    Array.from(ramp, (v) => Math.max(v, 0)),
  );
  const pool = byName(layers, TINY.pool);
  assert.deepEqual(pool.dims, [2, 2, 2, 2]);
  assert.deepEqual(Array.from(pool.data.subarray(0, 4)), [0, 0, 5, 7]);
  assert.deepEqual(Array.from(pool.data.subarray(8, 16)), [1, 1, 1, 1, 8, 8, 8, 8]);
  const logits = byName(layers, TINY.logits);
  assert.deepEqual(logits.dims, [2, 3]);
  assert.deepEqual([logits.data[0], logits.data[2]], [12, 1]);
  assert.deepEqual(Array.from(logits.data.subarray(3)), [4, 32, 1]);
  assert.equal(output.name, TINY.probs);
  assertClose(output.data.subarray(3), [Math.exp(-28), 1, Math.exp(-31)], 'probs', 1e-6);
});

test('every layer of a random batch matches the reference forward pass, from one session.run', async () => {
  const runner = await openOnnxModel(paths.nchw, { layers: ALL, threads: 1 });
  const count = 5;
  const input = seededValues(count * 16, 7);
  const { result, runs } = await countRuns(() => runner.run(input, [count, 1, 4, 4]));
  await runner.close();
  assert.equal(runs, 1);
  const expected = tinyConvNetReference(input, count);
  assertClose(byName(result.layers, TINY.conv).data, expected.conv, 'conv');
  assertClose(byName(result.layers, TINY.relu).data, expected.relu, 'relu');
  assertClose(byName(result.layers, TINY.pool).data, expected.pool, 'pool');
  assertClose(byName(result.layers, TINY.logits).data, expected.logits, 'logits');
  assertClose(result.output.data, expected.probs, 'probs');
  for (let n = 0; n < count; n++) {
    const sum = result.output.data.subarray(n * 3, n * 3 + 3).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `probabilities of item ${n} sum to ${sum}`);
  }
});

test('a symbolic batch dimension takes any batch size, item results independent of the batch', async () => {
  const runner = await openOnnxModel(paths.nchw, { layers: [TINY.pool], threads: 1 });
  const input = seededValues(7 * 16, 3);
  const whole = await runner.run(input, [7, 1, 4, 4]);
  const single = await runner.run(input.subarray(6 * 16), [1, 1, 4, 4]);
  await runner.close();
  const [all] = whole.layers;
  const [last] = single.layers;
  assert.ok(all && last, 'one layer each');
  assert.deepEqual(all.dims, [7, 2, 2, 2]);
  assert.deepEqual(last.dims, [1, 2, 2, 2]);
  assertClose(last.data, all.data.subarray(6 * 8), 'last item', 1e-6);
});

test('itemsPerRun splits a batch into runs of that many items, the last one short, with the same results', async () => {
  const input = seededValues(5 * 16, 13);
  const expected = tinyConvNetReference(input, 5);
  const runner = await openOnnxModel(paths.nchw, {
    layers: [TINY.relu],
    pooled: [TINY.relu],
    itemsPerRun: 2,
    threads: 1,
  });
  const { result, runs } = await countRuns(() => runner.run(input, [5, 1, 4, 4]));
  await runner.close();
  assert.equal(runs, 3);
  assert.deepEqual(result.pooled[0]!.dims, [5, 2]);
  assertClose(result.output.data, expected.probs, 'probs');
  const max = Array.from({ length: 10 }, (_, row) => Math.max(...expected.relu.subarray(row * 16, (row + 1) * 16)));
  assertClose(result.pooled[0]!.max, max, 'relu max');
  await assert.rejects(
    openOnnxModel(paths.nchw, { layers: [], itemsPerRun: 0 }),
    (e: unknown) => e instanceof InputError && /itemsPerRun = 0/.test(e.message),
  );
});

test('by default a run holds about RUN_INPUT_BYTES of input: 4 RGB images of 224x224, a whole batch of small ones', () => {
  assert.equal(itemsPerRun(3 * 224 * 224), 4);
  assert.equal(itemsPerRun(3 * 512 * 512), 1);
  assert.ok(itemsPerRun(28 * 28) >= 512);
  assert.equal(itemsPerRun(28 * 28, 7), 7);
  assert.ok(4 * 3 * 224 * 224 * itemsPerRun(3 * 224 * 224) <= RUN_INPUT_BYTES);
});

test('a model with a fixed batch size runs the batch in chunks of that size, padding the last', async () => {
  const input = seededValues(3 * 16, 11);
  const expected = tinyConvNetReference(input, 3);
  for (const [path, chunks] of [
    [paths.fixed1, 3],
    [paths.fixed2, 2],
  ] as const) {
    const runner = await openOnnxModel(path, { layers: [TINY.relu, TINY.logits], threads: 1 });
    const { result, runs } = await countRuns(() => runner.run(input, [3, 1, 4, 4]));
    await runner.close();
    assert.equal(runs, chunks, path);
    assert.deepEqual(byName(result.layers, TINY.relu).dims, [3, 2, 4, 4]);
    assertClose(byName(result.layers, TINY.relu).data, expected.relu, `relu ${path}`);
    assertClose(byName(result.layers, TINY.logits).data, expected.logits, `logits ${path}`);
    assert.deepEqual(result.output.dims, [3, 3]);
    assertClose(result.output.data, expected.probs, `probs ${path}`);
  }
});

test('an NHWC model (Transpose in the graph) gives the activations of the NCHW reference', async () => {
  const count = 4;
  const nchw = seededValues(count * 2 * 16, 5);
  const runner = await openOnnxModel(paths.nhwc, { layers: [TINY.nchw, TINY.conv, TINY.pool], threads: 1 });
  assert.deepEqual(runner.inputDims, ['batch', 4, 4, 2]);
  const { layers } = await runner.run(nchwToNhwc(nchw, count, 2), [count, 4, 4, 2]);
  await runner.close();
  const expected = tinyConvNetReference(nchw, count, 2);
  assert.deepEqual(Array.from(byName(layers, TINY.nchw).data), Array.from(nchw));
  assertClose(byName(layers, TINY.conv).data, expected.conv, 'conv');
  assertClose(byName(layers, TINY.pool).data, expected.pool, 'pool');
});

test('a batch shaped unlike the model input is an InputError with both shapes and the fixing option', async () => {
  const runner = await openOnnxModel(paths.nchw, { layers: [TINY.relu], threads: 1 });
  const rejects = (dims: number[], pattern: RegExp) =>
    assert.rejects(
      runner.run(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims),
      (e: unknown) => e instanceof InputError && pattern.test(e.message),
    );
  await rejects(
    [2, 4, 4, 1],
    /expects \[batch, 1, 4, 4\] but got a batch shaped \[2, 4, 4, 1\][\s\S]*set layout: 'NCHW'/,
  );
  await rejects([2, 1, 8, 8], /\[2, 1, 8, 8\][\s\S]*resize images/);
  await rejects([2, 16], /\[2, 16\][\s\S]*load the data as images/);
  await assert.rejects(
    runner.run(new Float32Array(10), [2, 1, 4, 4]),
    /holds 10 values but its dims \[2, 1, 4, 4\] need 32/,
  );
  await runner.close();
});

test('opening fails clearly for a missing file, a corrupt file, an unknown layer or op, two inputs or bad threads', async () => {
  const fails = (promise: Promise<unknown>, pattern: RegExp) =>
    assert.rejects(promise, (e: unknown) => e instanceof InputError && pattern.test(e.message));
  await fails(openOnnxModel(join(dir, 'missing.onnx'), { layers: [] }), /missing\.onnx does not exist/);
  await fails(openOnnxModel(dir, { layers: [] }), /is a directory/);
  await fails(openOnnxModel(paths.corrupt, { layers: [] }), /corrupt\.onnx is not a readable ONNX model/);
  await fails(
    openOnnxModel(paths.nchw, { layers: ['relu'] }),
    /'relu' is not in the model[\s\S]*close matches: relu_out/,
  );
  await fails(openOnnxModel(paths.unknownOp, { layers: [] }), /onnxruntime cannot load .*unknownOp\.onnx: .*NoSuchOp/);
  const twoInputs = await openOnnxModel(paths.twoInputs, { layers: [] });
  await fails(twoInputs.run(new Float32Array(2), [1, 2]), /has 2 inputs \(a, b\)/);
  await fails(
    twoInputs.runFeeds([{ name: 'a', type: 'float32', dims: [1, 2], data: new Float32Array(2) }]),
    /model input 'b' .* is not fed/,
  );
  await twoInputs.close();
  await fails(openOnnxModel(paths.nchw, { layers: [], threads: 0 }), /threads = 0/);
});

test('pooled layers come back as the per-unit mean and max of their raw tensors, from the same run, also in fixed-batch chunks', async () => {
  const count = 5;
  const input = seededValues(count * 16, 11);
  for (const path of [paths.nchw, paths.fixed2]) {
    const plain = await openOnnxModel(path, { layers: [TINY.conv, TINY.relu, TINY.pool], threads: 1 });
    const pooled = await openOnnxModel(path, {
      layers: [TINY.conv, TINY.relu, TINY.pool],
      pooled: [TINY.relu, TINY.pool],
      threads: 1,
    });
    assert.deepEqual(pooled.layerNames, [TINY.conv, TINY.relu, TINY.pool]);
    assert.deepEqual(pooled.pooledNames, [TINY.relu, TINY.pool]);
    const expected = await plain.run(input, [count, 1, 4, 4]);
    const { result: got, runs } = await countRuns(() => pooled.run(input, [count, 1, 4, 4]));
    await plain.close();
    await pooled.close();
    assert.equal(runs, path === paths.fixed2 ? 3 : 1);
    assert.deepEqual(
      got.layers.map((l) => l.name),
      [TINY.conv],
    );
    assertClose(got.layers[0]!.data, byName(expected.layers, TINY.conv).data, 'conv');
    assertClose(got.output.data, expected.output.data, 'output');
    for (const [i, name] of [TINY.relu, TINY.pool].entries()) {
      const raw = byName(expected.layers, name);
      const [, units] = raw.dims as [number, number];
      const positions = raw.data.length / (count * units);
      const mean: number[] = [];
      const max: number[] = [];
      for (let row = 0; row < count * units; row++) {
        const values = Array.from(raw.data.subarray(row * positions, (row + 1) * positions));
        mean.push(values.reduce((a, b) => a + b, 0) / positions);
        max.push(Math.max(...values));
      }
      const result = got.pooled[i]!;
      assert.equal(result.name, name);
      assert.deepEqual(result.dims.slice(0, 2), [count, units]);
      assertClose(result.mean, mean, `${name} mean`);
      assertClose(result.max, max, `${name} max`);
    }
  }
});

test('a pooled layer that is not read out is an InputError', async () => {
  await assert.rejects(
    openOnnxModel(paths.nchw, { layers: [TINY.relu], pooled: [TINY.pool], threads: 1 }),
    (error: unknown) => error instanceof InputError && /pooled layer/.test(error.message),
  );
});
