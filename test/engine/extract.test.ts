import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeLayer,
  extractActivations,
  imageBatchLoader,
  type ExtractedBatch,
  type ExtractionPlan,
} from '../../src/engine/extract.js';
import { CancelledError, InputError } from '../../src/errors.js';
import type { Dataset, LoadedBatch } from '../../src/io/datasets/types.js';
import type { ModelRunner, RunOutput } from '../../src/io/onnx/runner.js';

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * Item i is the one value i; the model's layer 'dense' is [x, 2x] and its output scores favour class
 * i % 3. Every load, run and commit is logged with the first item of its batch. A load asked with an
 * aborted signal rejects at once, as the real datasets do; the load of the batch starting at `hold.first`
 * resolves only once `hold.until` does.
 */
function fixture(options: {
  items: number;
  bad?: number[];
  skipBadImages?: boolean;
  hold?: { first: number; until: Promise<void> };
  /** Event-loop turns a model run takes; default 2. */
  runTurns?: number;
}) {
  const log: string[] = [];
  const items = Array.from({ length: options.items }, (_, index) => ({
    index,
    path: `img${index}.png`,
    label: String(index % 2),
  }));
  const bad = new Set(options.bad ?? []);
  const dataset: Dataset = {
    name: 'fake',
    items,
    labels: ['0', '1'],
    fingerprint: 'fake',
    load: async (indices, _prep, control): Promise<LoadedBatch> => {
      const list = Array.from(indices);
      log.push(`load ${list[0]}`);
      if (control?.signal?.aborted) throw new CancelledError('load');
      await turns(1);
      const hold = options.hold;
      if (hold && list[0] === hold.first) await hold.until;
      return {
        data: Float32Array.from(list, (i) => (bad.has(i) ? 0 : i)),
        dims: [list.length, 1],
        failed: list.filter((i) => bad.has(i)).map((i) => ({ index: i, path: items[i]!.path, reason: 'corrupt' })),
      };
    },
    pixels: () => Promise.reject(new Error('not used')),
  };
  const runner: ModelRunner = {
    inputName: 'x',
    inputDims: ['batch', 1],
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 1] }],
    outputName: 'scores',
    layerNames: ['dense'],
    pooledNames: [],
    runFeeds: (feeds) => runner.run(feeds[0]!.data as Float32Array, feeds[0]!.dims),
    // Runs are served one at a time, in the order they are asked, as the worker thread serves them.
    run: (batch, dims) => {
      log.push(`run ${batch[0]}`);
      const served = model.then(() => compute(batch, dims));
      model = served.then(
        () => undefined,
        () => undefined,
      );
      return served;
    },
    close: () => Promise.resolve(),
  };
  let model = Promise.resolve();
  const compute = async (batch: Float32Array, dims: number[]): Promise<RunOutput> => {
    await turns(options.runTurns ?? 2);
    log.push(`ran ${batch[0]}`);
    const n = dims[0]!;
    const scores = new Float32Array(n * 3);
    batch.forEach((x, r) => (scores[r * 3 + (x % 3)] = 1));
    return {
      layers: [
        {
          name: 'dense',
          dims: [n, 2],
          data: Float32Array.from({ length: n * 2 }, (_, k) => batch[k >> 1]! * (1 + (k & 1))),
        },
      ],
      pooled: [],
      output: { name: 'scores', dims: [n, 3], data: scores },
    };
  };
  const plan: ExtractionPlan = {
    runner,
    dataset,
    items: Int32Array.from(items, (item) => item.index),
    load: imageBatchLoader(dataset, { width: 1, height: 1, channels: 1, layout: 'NCHW' }, 'x'),
    layers: [describeLayer('dense', 'Gemm', [1, 2], 'channels-first', 'mean')],
    aggregation: 'mean',
    unitMaps: [],
    batchSize: 4,
    skipBadImages: options.skipBadImages ?? true,
  };
  const committed: ExtractedBatch[] = [];
  const commit = async (batch: ExtractedBatch) => {
    log.push(`commit ${batch.start}`);
    await turns(5); // a store commit takes a while
    log.push(`committed ${batch.start}`);
    committed.push(batch);
  };
  const batches = Array.from({ length: Math.ceil(options.items / 4) }, (_, b) => ({
    start: b * 4,
    count: Math.min(4, options.items - b * 4),
  }));
  return { plan, batches, commit, committed, log };
}

test('every batch is committed in order with its rows, predictions and layer values', async () => {
  const { plan, batches, commit, committed } = fixture({ items: 10, bad: [5] });
  const progress: number[] = [];
  await extractActivations(plan, batches, commit, { onProgress: (p) => progress.push(p.done) });
  assert.deepEqual(
    committed.map((b) => [b.start, b.count]),
    [
      [0, 4],
      [4, 4],
      [8, 2],
    ],
  );
  assert.deepEqual(progress, [4, 8, 10]);
  const rows = committed.flatMap((b) => Array.from(b.rows));
  assert.deepEqual(rows, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
  assert.deepEqual(
    committed.flatMap((b) => Array.from(b.prediction)),
    rows.map((i) => i % 3),
  );
  assert.deepEqual(
    committed.flatMap((b) => Array.from(b.layers[0]!.values)),
    rows.flatMap((i) => [i, 2 * i]),
  );
  assert.deepEqual(
    committed[1]!.skipped.map((s) => s.path),
    ['img5.png'],
  );
});

test('the model runs on the next batch while the previous one is committed, decoding one batch ahead', async () => {
  const { plan, batches, commit, log } = fixture({ items: 16 });
  await extractActivations(plan, batches, commit);
  const at = (event: string) => {
    const index = log.indexOf(event);
    assert.ok(index >= 0, `${event} missing from ${log.join(', ')}`);
    return index;
  };
  for (let b = 0; b + 1 < batches.length; b++) {
    assert.ok(
      at(`run ${4 * (b + 1)}`) < at(`committed ${4 * b}`),
      `batch ${b + 1} waited for commit ${b}: ${log.join(', ')}`,
    );
  }
  // Decoding runs one batch ahead of the model, no more: batch b + 1 starts decoding as the model starts on b.
  let loads = 0;
  let runs = 0;
  for (const event of log) {
    if (event.startsWith('load')) loads++;
    if (event.startsWith('run')) runs++;
    assert.ok(loads - runs <= 2, `${loads} batches decoded for ${runs} runs: ${log.join(', ')}`);
  }
});

test('each batch is handed to the model as soon as it is decoded, queued behind the running one', async () => {
  // A model run far longer than a decode: the next batch must not wait for this one's outputs.
  const { plan, batches, commit, log } = fixture({ items: 16, runTurns: 20 });
  await extractActivations(plan, batches, commit);
  for (let b = 0; b + 1 < batches.length; b++) {
    assert.ok(
      log.indexOf(`run ${4 * (b + 1)}`) < log.indexOf(`ran ${4 * b}`),
      `batch ${b + 1} reached the model only after batch ${b} was done: ${log.join(', ')}`,
    );
  }
});

test('an unreadable image fails its batch only after every earlier batch is committed', async () => {
  const { plan, batches, commit, committed } = fixture({ items: 12, bad: [9], skipBadImages: false });
  await assert.rejects(
    extractActivations(plan, batches, commit),
    (error: unknown) => error instanceof InputError && /img9\.png/.test(error.message),
  );
  assert.deepEqual(
    committed.map((b) => b.start),
    [0, 4],
  );
});

test('a failing commit stops the extraction with its error and commits nothing after it', async () => {
  let release!: () => void;
  const decoded = new Promise<void>((resolve) => (release = resolve));
  // Batch 2 is still decoding when the commit of batch 1 fails.
  const { plan, batches, committed, log } = fixture({ items: 20, hold: { first: 8, until: decoded } });
  let calls = 0;
  const failing = (batch: ExtractedBatch): Promise<void> => {
    if (++calls === 2) return Promise.reject(new Error('disk full'));
    committed.push(batch);
    return Promise.resolve();
  };
  let logged = Infinity;
  await assert.rejects(
    extractActivations(plan, batches, failing).finally(() => (logged = log.length)),
    /disk full/,
  );
  release();
  await turns(10); // work started ahead settles without unhandled rejections
  assert.deepEqual(
    committed.map((b) => b.start),
    [0],
  );
  assert.deepEqual(startedAfter(log, logged), [], 'no decode or model run starts once the extraction has failed');
});

/** The loads and runs logged from position `from` on. */
function startedAfter(log: string[], from: number): string[] {
  return log.slice(from).filter((event) => event.startsWith('load') || event.startsWith('run'));
}

test('cancelling while the next batch still decodes rejects with CancelledError and starts nothing more', async () => {
  let release!: () => void;
  const decoded = new Promise<void>((resolve) => (release = resolve));
  const { plan, batches, log } = fixture({ items: 16, hold: { first: 4, until: decoded } });
  const controller = new AbortController();
  const commit = async (batch: ExtractedBatch) => {
    log.push(`commit ${batch.start}`);
    controller.abort(); // the user cancels while batch 0 is stored and batch 1 is still decoding
    await turns(2);
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    let logged = Infinity;
    await assert.rejects(
      extractActivations(plan, batches, commit, { signal: controller.signal }).finally(() => (logged = log.length)),
      CancelledError,
    );
    assert.ok(
      log.includes('load 4') && !log.includes('run 4'),
      `batch 1 was still decoding at the cancel: ${log.join(', ')}`,
    );
    release(); // the decode of batch 1 ends after the extraction gave up
    await turns(10);
    assert.deepEqual(startedAfter(log, logged), [], `work started after the cancel: ${log.join(', ')}`);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
