import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DuckDBInstance } from '@duckdb/node-api';
import { runAnalyzeCommand } from '../../src/cli/commands/analyze.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import {
  GeometricMean,
  PROBABILITY_FLOOR,
  shiftGrid,
  shiftImages,
  type Shift,
} from '../../src/compute/test-time-shifts.js';
import { analyze } from '../../src/engine/analyze.js';
import { leadReason } from '../../src/engine/triage-listing.js';
import { scoreRun } from '../../src/engine/triage-scores.js';
import { InputError, NapError, NotFoundError } from '../../src/errors.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { sampleIndices } from '../../src/io/datasets/sample.js';
import { NapStore } from '../../src/io/store/index.js';
import { nchwToNhwc, TINY, tinyConvNet, tinyVectorModel } from '../helpers/tiny-models.js';
import { float32Npy } from '../helpers/npy.js';

const LIMIT = 240;
const CLASSES = 3;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-shifts-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function near(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tolerance,
      `${what} [${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`,
    );
  }
}

test('the shift grid holds every shift of -n..n along both axes, the unshifted one in the middle', () => {
  const grid = shiftGrid(1);
  assert.equal(grid.length, 9);
  assert.deepEqual(grid[4], { dy: 0, dx: 0 });
  assert.deepEqual(new Set(grid.map(({ dy, dx }) => `${dy},${dx}`)).size, 9);
  assert.deepEqual(shiftGrid(0), [{ dy: 0, dx: 0 }]);
  assert.equal(shiftGrid(2).length, 25);
});

test('shifting an NCHW batch moves every channel of every image, with zeros where it moved in', () => {
  // Two images of one channel, 2 x 3 each, then one image of two channels.
  const images = Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]);
  assert.deepEqual(
    Array.from(shiftImages(images, [2, 1, 2, 3], 'NCHW', { dy: 0, dx: 1 })),
    [0, 1, 2, 0, 4, 5, 0, 10, 20, 0, 40, 50],
  );
  assert.deepEqual(
    Array.from(shiftImages(images, [2, 1, 2, 3], 'NCHW', { dy: -1, dx: 0 })),
    [4, 5, 6, 0, 0, 0, 40, 50, 60, 0, 0, 0],
  );
  assert.deepEqual(
    Array.from(shiftImages(images, [1, 2, 2, 3], 'NCHW', { dy: 1, dx: -1 })),
    [0, 0, 0, 2, 3, 0, 0, 0, 0, 20, 30, 0],
  );
  assert.deepEqual(Array.from(shiftImages(images, [2, 1, 2, 3], 'NCHW', { dy: 0, dx: 0 })), Array.from(images));
  // Shifted by a whole image side: nothing is left.
  assert.deepEqual(Array.from(shiftImages(images, [2, 1, 2, 3], 'NCHW', { dy: 2, dx: 0 })), new Array(12).fill(0));
});

test('shifting an NHWC batch moves the pixels with all their channels', () => {
  // One image 2 x 3 with two channels (pixel values 1..6 and 10..60 interleaved).
  const images = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60]);
  assert.deepEqual(
    Array.from(shiftImages(images, [1, 2, 3, 2], 'NHWC', { dy: 0, dx: 1 })),
    [0, 0, 1, 10, 2, 20, 0, 0, 4, 40, 5, 50],
  );
  assert.deepEqual(
    Array.from(shiftImages(images, [1, 2, 3, 2], 'NHWC', { dy: 1, dx: -1 })),
    [0, 0, 0, 0, 0, 0, 2, 20, 3, 30, 0, 0],
  );
  assert.throws(() => shiftImages(images, [1, 2, 3, 3], 'NHWC', { dy: 0, dx: 0 }), RangeError);
});

test('the geometric mean of the passes, renormalized, against hand-computed values', () => {
  const mean = new GeometricMean(3, 2);
  mean.add(Float32Array.from([0.5, 0.5, 1, 0, 0.5, Number.NaN]));
  mean.add(Float32Array.from([0.8, 0.2, 0.5, 0.5, 0.5, 0.5]));
  const out = mean.mean();
  // sqrt(0.5 * 0.8) = 0.63246 and sqrt(0.5 * 0.2) = 0.31623, over their sum 0.94868.
  near(out.subarray(0, 2), [2 / 3, 1 / 3], 1e-6, 'row 0');
  // The 0 is floored: sqrt(1 * 0.5) and sqrt(1e-37 * 0.5), over their sum.
  const small = Math.sqrt(PROBABILITY_FLOOR * 0.5) / (Math.sqrt(0.5) + Math.sqrt(PROBABILITY_FLOOR * 0.5));
  near(out.subarray(2, 4), [1 - small, small], 1e-7, 'row 1');
  assert.ok(out[3]! > 0 && Math.abs(out[3]! / small - 1) < 1e-5, `the floored class keeps a positive mean: ${out[3]}`);
  assert.ok(Number.isNaN(out[4]!) && Number.isNaN(out[5]!), 'a pass that named no class leaves the row NaN');
  const one = new GeometricMean(1, 3);
  one.add(Float32Array.from([0.2, 0.3, 0.5]));
  near(one.mean(), [0.2, 0.3, 0.5], 1e-7, 'one pass is itself');
});

/** The image batch the analysis feeds the tiny model (the default sample of `LIMIT` inputs), NCHW [n, 1, 4, 4]. */
async function analyzedImages(): Promise<Float32Array> {
  const dataset = await openDataset('mnist');
  const items = sampleIndices(dataset.items, { limit: LIMIT, seed: 0 });
  return (await dataset.load(items, { width: 4, height: 4, channels: 1, layout: 'NCHW' })).data;
}

/** out[y][x] = in[y - dy][x - dx] in plain loops, 4 x 4 images of one channel. */
function shiftedByHand(images: Float32Array, { dy, dx }: Shift): Float32Array {
  const out = new Float32Array(images.length);
  for (let n = 0; n < images.length / 16; n++) {
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const sy = y - dy;
        const sx = x - dx;
        if (sy >= 0 && sy < 4 && sx >= 0 && sx < 4) out[n * 16 + y * 4 + x] = images[n * 16 + sy * 4 + sx]!;
      }
    }
  }
  return out;
}

/** The geometric mean over the 9 shifts computed with onnxruntime directly on the model file, float64. */
async function directShiftedProbabilities(model: string, layout: 'NCHW' | 'NHWC'): Promise<Float64Array> {
  const images = await analyzedImages();
  const session = await ort.InferenceSession.create(await readFile(model));
  const logSum = new Float64Array(LIMIT * CLASSES);
  try {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const shifted = shiftedByHand(images, { dy, dx });
        const data = layout === 'NCHW' ? shifted : nchwToNhwc(shifted, LIMIT, 1);
        const dims = layout === 'NCHW' ? [LIMIT, 1, 4, 4] : [LIMIT, 4, 4, 1];
        const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, dims) });
        const probabilities = result[session.outputNames[0]!]!.data as Float32Array;
        probabilities.forEach((p, i) => (logSum[i]! += Math.log(Math.max(p, PROBABILITY_FLOOR))));
      }
    }
  } finally {
    await session.release();
  }
  const out = new Float64Array(LIMIT * CLASSES);
  for (let r = 0; r < LIMIT; r++) {
    const row = Array.from(logSum.subarray(r * CLASSES, (r + 1) * CLASSES), (s) => Math.exp(s / 9));
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, c) => (out[r * CLASSES + c] = v / sum));
  }
  return out;
}

async function readStored(file: string, runId: number) {
  const store = await NapStore.open(file, { readOnly: true });
  try {
    return {
      shifted: await store.readShiftedProbabilities(runId),
      plain: await store.readInputDetails(runId),
      inputs: await store.readInputs(runId),
    };
  } finally {
    await store.close();
  }
}

for (const layout of ['NCHW', 'NHWC'] as const) {
  test(`analyze --test-time-shifts 1 stores what onnxruntime gives over the 9 shifts (${layout} model)`, async () => {
    const model = path.join(dir, `tiny-${layout}.onnx`);
    await writeFile(model, tinyConvNet({ layout }));
    const out = path.join(dir, `shifts-${layout}.duckdb`);
    const options = { model, data: 'mnist', out, limit: LIMIT, layers: [TINY.logits], projection: 'none' as const };
    const { runId } = await analyze({ ...options, testTimeShifts: 1 });
    const { shifted, plain, inputs } = await readStored(out, runId);
    assert.ok(shifted && plain);
    assert.equal(shifted.shifts, 1);
    assert.equal(shifted.classes, CLASSES);
    assert.deepEqual(Array.from(shifted.inputIndex), Array.from(inputs.index));
    const expected = await directShiftedProbabilities(model, layout);
    near(shifted.probabilities, expected, 1e-5, 'shifted probabilities');
    // The shifts change the probabilities (the test would not see a stage that stored the plain ones).
    const moved = shifted.probabilities.reduce((m, p, i) => Math.max(m, Math.abs(p - plain.probabilities[i]!)), 0);
    assert.ok(moved > 0.01, `the shifted probabilities differ from the plain ones (by up to ${moved})`);

    if (layout === 'NCHW') {
      // Interrupted half way: the stage computes the inputs it has not stored, and the extraction is kept.
      const instance = await DuckDBInstance.create(out);
      const connection = await instance.connect();
      await connection.run(`DELETE FROM shifted_probabilities WHERE input_index >= 100`);
      connection.closeSync();
      instance.closeSync();
      const again = await analyze({ ...options, testTimeShifts: 1 });
      assert.equal(again.runId, runId);
      assert.equal(again.reusedActivations, true);
      const resumed = await readStored(out, runId);
      assert.deepEqual(Array.from(resumed.shifted!.inputIndex), Array.from(inputs.index));
      near(resumed.shifted!.probabilities, expected, 1e-5, 'resumed shifted probabilities');
    }
  });
}

test('triage uses the shifted probabilities by default when the run has them, and says so', async () => {
  const model = path.join(dir, 'tiny-triage.onnx');
  await writeFile(model, tinyConvNet());
  const out = path.join(dir, 'triage.duckdb');
  const options = {
    model,
    data: 'mnist',
    out,
    limit: LIMIT,
    layers: [TINY.pool, TINY.logits],
    projection: 'none' as const,
  };
  const { runId } = await analyze(options);
  const score = async (probabilities?: { kind: 'model' } | { kind: 'shifted' }) => {
    const store = await NapStore.open(out, { readOnly: true });
    try {
      return await scoreRun(store, runId, { k: 5, threads: 1, ...(probabilities ? { probabilities } : {}) });
    } finally {
      await store.close();
    }
  };
  const plain = await score();
  assert.equal(plain.probabilitySource, 'model output');
  assert.equal(plain.probabilityPasses, 1);
  await assert.rejects(
    () => score({ kind: 'shifted' }),
    (error: unknown) => error instanceof NotFoundError && /no probabilities over test-time shifts/.test(error.message),
  );

  // Analyzed again with shifts: the extraction is reused and the shifted probabilities are added.
  const again = await analyze({ ...options, testTimeShifts: 1 });
  assert.equal(again.reusedActivations, true);
  const shifted = await score();
  assert.equal(shifted.probabilitySource, 'model output, geometric mean over 9 test-time shifts (up to 1 pixel)');
  assert.equal(shifted.probabilityPasses, 9);
  const { shifted: stored, plain: details } = await readStored(out, runId);
  near(shifted.probabilities!, stored!.probabilities, 0, 'triage reads the stored shifted probabilities');
  const fromModel = await score({ kind: 'model' });
  assert.equal(fromModel.probabilitySource, 'model output');
  near(fromModel.probabilities!, details!.probabilities, 0, '--probabilities model reads the plain ones');
  // Self-confidence is the shifted p(given label), and the reason line says where it comes from.
  const row = shifted.order[0]!;
  const given = shifted.codes.given[row]!;
  assert.ok(Math.abs(shifted.selfConfidence[row]! - stored!.probabilities[row * CLASSES + given]!) < 1e-6);
  assert.match(leadReason(shifted, row), /the model gives the label \S+ over 9 shifts/);
  assert.doesNotMatch(leadReason(fromModel, row), /shifts/);

  // An interrupted shift stage: the default ranks every input by the plain probabilities and says why; asked
  // for by name, the shifted ones are refused with the way to finish them.
  const instance = await DuckDBInstance.create(out);
  const connection = await instance.connect();
  await connection.run('DELETE FROM shifted_probabilities WHERE input_index >= 10');
  connection.closeSync();
  instance.closeSync();
  const partial = await score();
  assert.match(partial.probabilitySource, /^model output \(test-time shifts stored for only 10 of \d+ inputs; /);
  assert.equal(partial.probabilityPasses, 1);
  near(
    partial.probabilities!,
    details!.probabilities,
    0,
    'a partial shift stage falls back to the plain probabilities',
  );
  await assert.rejects(
    () => score({ kind: 'shifted' }),
    (error: unknown) =>
      error instanceof NotFoundError &&
      /test-time shifts for only 10 of its \d+ inputs/.test(error.message) &&
      /(--test-time-shifts|testTimeShifts:) 1/.test(error.hint ?? ''),
  );
});

for (const layout of ['NCHW', 'NHWC'] as const) {
  test(`arrays of images feeding the model's only input are shifted as images are (${layout})`, async () => {
    const model = path.join(dir, `tiny-arrays-${layout}.onnx`);
    await writeFile(model, tinyConvNet({ layout }));
    const images = await analyzedImages();
    const file = path.join(dir, `images-${layout}.npy`);
    const shape = layout === 'NCHW' ? [LIMIT, 1, 4, 4] : [LIMIT, 4, 4, 1];
    await writeFile(file, float32Npy(shape, layout === 'NCHW' ? images : nchwToNhwc(images, LIMIT, 1)));
    const out = path.join(dir, `arrays-${layout}.duckdb`);
    const { runId } = await analyze({ model, data: file, out, projection: 'none' as const, testTimeShifts: 1 });
    const { shifted, inputs } = await readStored(out, runId);
    assert.ok(shifted);
    assert.deepEqual(Array.from(shifted.inputIndex), Array.from(inputs.index));
    near(shifted.probabilities, await directShiftedProbabilities(model, layout), 1e-5, 'shifted arrays');
  });
}

/** Runs `nap analyze` with console output captured; a nap error is printed as main.ts prints it. */
async function runAnalyze(argv: string[]): Promise<{ code: number; stderr: string }> {
  const stderr: string[] = [];
  const { error, log } = console;
  console.error = (...parts: unknown[]) => void stderr.push(parts.join(' '));
  console.log = () => undefined;
  try {
    const code = await runAnalyzeCommand(argv).catch((thrown: unknown) => {
      if (!(thrown instanceof NapError)) throw thrown;
      stderr.push(`nap analyze: ${thrown.message}\nhint: ${thrown.hint ?? ''}`);
      return exitCodeFor(thrown);
    });
    return { code, stderr: stderr.join('\n') };
  } finally {
    console.error = error;
    console.log = log;
  }
}

test('nap analyze refuses test-time shifts of inputs that are not images, and a shift that is not 0..3', async () => {
  const model = path.join(dir, 'vector.onnx');
  await writeFile(model, tinyVectorModel(4));
  const csv = path.join(dir, 'rows.csv');
  const rows = Array.from({ length: 12 }, (_, r) => `${r},${r % 3},${(r * 7) % 5},${r / 2},${['a', 'b'][r % 2]}`);
  await writeFile(csv, `x0,x1,x2,x3,label\n${rows.join('\n')}\n`);
  const out = path.join(dir, 'refused.duckdb');
  const arrays = await runAnalyze(['--model', model, '--data', csv, '--out', out, '--test-time-shifts', '1']);
  assert.equal(arrays.code, exitCodeFor(new InputError('')));
  assert.match(arrays.stderr, /--test-time-shifts 1 moves images, but .*rows\.csv feeds the model arrays/);
  assert.match(arrays.stderr, /leave out --test-time-shifts/);

  const image = path.join(dir, 'tiny-refused.onnx');
  await writeFile(image, tinyConvNet());
  for (const bad of ['-1', '4', '1.5', 'one']) {
    const refused = await runAnalyze(['--model', image, '--data', 'mnist', '--out', out, `--test-time-shifts=${bad}`]);
    assert.equal(refused.code, exitCodeFor(new InputError('')), `--test-time-shifts ${bad}`);
    assert.match(refused.stderr, new RegExp(`--test-time-shifts '?${bad.replace('.', '\\.')}'?.*from 0 to 3`));
  }
});
