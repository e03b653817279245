import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelAgreement, umap, UMAP_STAGES } from '../../../src/compute/projection/index.js';
import { InputError } from '../../../src/errors.js';
import { resolveUmapOptions } from '../../../src/compute/projection/umap-options.js';
import type { Progress } from '../../../src/progress.js';
import { labelledBlobs, uniformMatrix } from './fixtures.js';

const blobs = labelledBlobs({ seed: 11, centres: 3, perBlob: 300, dim: 10, spread: 1 });

test("three well-separated blobs stay separated: over 95% of each point's 15 layout neighbours share its blob", async () => {
  const layout = await umap(blobs.matrix, { nEpochs: 200 });
  assert.equal(layout.length, blobs.matrix.count * 2);
  assert.ok(layout.every(Number.isFinite));
  const agreement = labelAgreement(layout, blobs.labels, 15);
  assert.ok(agreement >= 0.95, `label agreement ${agreement}`);
  // And the blobs are apart: every blob's centre is farther from the others' than its own points' typical spread.
  const centres = [0, 1, 2].map((label): [number, number] => {
    let x = 0;
    let y = 0;
    for (let i = label * 300; i < (label + 1) * 300; i++) {
      x += layout[2 * i]! / 300;
      y += layout[2 * i + 1]! / 300;
    }
    return [x, y];
  });
  centres.forEach(([px, py], p) => {
    for (const [qx, qy] of centres.slice(p + 1)) assert.ok(Math.hypot(px - qx, py - qy) > 2);
  });
});

test('the same seed gives a bit-identical layout, also with the parallel layout on one or two threads; another seed a different one', async () => {
  const options = { nEpochs: 150, seed: 5 };
  const first = await umap(blobs.matrix, options);
  assert.deepEqual(await umap(blobs.matrix, options), first);
  const parallelOne = await umap(blobs.matrix, { ...options, parallelLayout: true, threads: 1 });
  const parallelTwo = await umap(blobs.matrix, { ...options, parallelLayout: true, threads: 2 });
  assert.deepEqual(parallelTwo, parallelOne);
  assert.notDeepEqual(parallelOne, first, 'the parallel layout is a different (synchronous) schedule');
  assert.ok(labelAgreement(parallelTwo, blobs.labels, 15) >= 0.95);
  const other = await umap(blobs.matrix, { ...options, seed: 6 });
  assert.notDeepEqual(other, first);
});

test('every init, the cosine metric, approximate neighbours and the PCA step give finite N x 2 layouts', async () => {
  const small = labelledBlobs({ seed: 2, centres: 2, perBlob: 60, dim: 120, spread: 1 });
  for (const options of [
    { init: 'pca' as const },
    { init: 'random' as const },
    { metric: 'cosine' as const },
    { knn: 'nn-descent' as const },
    { pcaDims: 0 },
  ]) {
    const layout = await umap(small.matrix, { nEpochs: 50, ...options });
    assert.equal(layout.length, small.matrix.count * 2, JSON.stringify(options));
    assert.ok(layout.every(Number.isFinite), JSON.stringify(options));
    assert.ok(labelAgreement(layout, small.labels, 10) > 0.9, JSON.stringify(options));
  }
});

test('progress runs through the stages in order and never goes backwards within one', async () => {
  const reports: Progress[] = [];
  await umap(blobs.matrix, { nEpochs: 100 }, { onProgress: (p) => reports.push({ ...p }) });
  const order = [UMAP_STAGES.neighbours, UMAP_STAGES.graph, UMAP_STAGES.layout];
  let stage = 0;
  let previous: Progress | undefined;
  for (const report of reports) {
    const index = order.indexOf(report.stage as (typeof order)[number]);
    assert.ok(index >= stage, `stage ${report.stage} after ${order[stage]}`);
    if (index === stage && previous?.stage === report.stage) assert.ok(report.done >= previous.done);
    assert.ok(report.done <= report.total);
    stage = index;
    previous = report;
  }
  const last = reports.at(-1);
  assert.deepEqual(last, { stage: UMAP_STAGES.layout, done: 100, total: 100 });
});

test('aborting the signal during the layout, single- or multi-threaded, throws CancelledError', async () => {
  for (const threads of [1, 2]) {
    const controller = new AbortController();
    await assert.rejects(
      umap(
        blobs.matrix,
        { nEpochs: 500, threads, parallelLayout: threads > 1 },
        {
          signal: controller.signal,
          onProgress: (p) => p.stage === UMAP_STAGES.layout && controller.abort(),
        },
      ),
      { name: 'CancelledError' },
      `threads ${threads}`,
    );
  }
});

test('bad input is rejected with a message naming the value', async () => {
  const matrix = uniformMatrix(1, 40, 3);
  const withNaN = { ...matrix, data: Float32Array.from(matrix.data) };
  withNaN.data[7 * 3 + 2] = NaN;
  await assert.rejects(
    umap(withNaN),
    (error: unknown) => error instanceof InputError && /row 7, column 2 is NaN/.test(error.message),
  );
  const tooFew = uniformMatrix(1, 15, 3);
  await assert.rejects(
    umap(tooFew),
    (error: unknown) => error instanceof InputError && /15 rows.*at least 16/.test(error.message),
  );
  assert.ok((await umap(tooFew, { nNeighbors: 14, nEpochs: 10 })).every(Number.isFinite));
  const badOptions: [object, RegExp][] = [
    [{ nNeighbors: 1 }, /nNeighbors is 1/],
    [{ minDist: 2 }, /minDist is 2/],
    [{ spread: 0 }, /spread is 0/],
    [{ nEpochs: 0 }, /nEpochs is 0/],
    [{ metric: 'manhattan' }, /metric is 'manhattan'/],
    [{ init: 'tsne' }, /init is 'tsne'/],
    [{ pcaDims: 4 }, /pcaDims is 4/],
    [{ seed: 1.5 }, /seed is 1.5/],
    [{ parallelLayout: 'yes' }, /parallelLayout is yes/],
  ];
  for (const [options, message] of badOptions) {
    await assert.rejects(
      umap(matrix, options),
      (error: unknown) => error instanceof InputError && message.test(error.message),
      message.source,
    );
  }
  await assert.rejects(umap({ count: 40, dim: 3, data: new Float32Array(10) }), /10 values, expected 40 x 3/);
});

test('the layout runs on worker threads by default above 10,000 rows only, unless told', () => {
  const rows = (count: number) => ({ count, dim: 2, data: new Float32Array(0) });
  assert.equal(resolveUmapOptions(rows(10_000), {}).parallelLayout, false);
  assert.equal(resolveUmapOptions(rows(10_001), {}).parallelLayout, true);
  assert.equal(resolveUmapOptions(rows(10_001), { parallelLayout: false }).parallelLayout, false);
  assert.equal(resolveUmapOptions(rows(50), { parallelLayout: true }).parallelLayout, true);
});

test('more components (a clustering space): finite N x D, deterministic, the blobs stay apart in D dimensions', async () => {
  const options = { nComponents: 5, nNeighbors: 30, minDist: 0, nEpochs: 150, seed: 3 };
  const embedding = await umap(blobs.matrix, options);
  assert.equal(embedding.length, blobs.matrix.count * 5);
  assert.ok(embedding.every(Number.isFinite));
  assert.deepEqual(await umap(blobs.matrix, options), embedding, 'the same seed gives the same embedding');
  // Every point's nearest neighbour in the embedding is of its own blob.
  const count = blobs.matrix.count;
  let agreeing = 0;
  for (let i = 0; i < count; i++) {
    let nearest = -1;
    let best = Infinity;
    for (let j = 0; j < count; j++) {
      if (j === i) continue;
      let d2 = 0;
      for (let d = 0; d < 5; d++) d2 += (embedding[i * 5 + d]! - embedding[j * 5 + d]!) ** 2;
      if (d2 < best) [best, nearest] = [d2, j];
    }
    if (blobs.labels[nearest] === blobs.labels[i]) agreeing++;
  }
  assert.ok(agreeing / count >= 0.98, `nearest neighbour in the same blob for ${agreeing} of ${count}`);
  await assert.rejects(umap(blobs.matrix, { nComponents: 1 }), /nComponents is 1/);
});
