import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeActivations } from '../../src/engine/analyze-activations.js';
import { analyze } from '../../src/engine/analyze.js';
import { computePatternHeatmaps } from '../../src/engine/heatmaps.js';
import { labelLeads } from '../../src/engine/triage-listing.js';
import { scoreRun } from '../../src/engine/triage-scores.js';
import { InputError } from '../../src/errors.js';
import { openTensorDataset } from '../../src/io/datasets/open-tensors.js';
import { listLayers } from '../../src/io/onnx/inspect.js';
import { openOnnxModel } from '../../src/io/onnx/runner.js';
import { NapStore } from '../../src/io/store/index.js';

const DEIT = {
  torchscript: 'test/fixtures/vit/tiny-deit.torchscript.onnx',
  dynamo: 'test/fixtures/vit/tiny-deit.dynamo.onnx',
};
const TEXT_MODEL = 'test/fixtures/text/tiny-text.onnx';
const SENTENCES = 'test/fixtures/text/sentences.csv';
const WORDPIECE = 'test/fixtures/text/wordpiece/tokenizer.json';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-transformers-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('the same ViT exported by both PyTorch exporters gives identical patterns in every default layer', async () => {
  const memberships: number[][][] = [];
  for (const [name, model] of Object.entries(DEIT)) {
    const out = path.join(dir, `${name}.duckdb`);
    const result = await analyze({ model, data: 'mnist', out, limit: 300, threads: 1, projection: 'none' });
    assert.equal(result.layers.length, 6);
    const store = await NapStore.open(out, { readOnly: true });
    try {
      const layouts = await store.readLayerLayouts(result.runId);
      const tokenLayers = layouts.filter((layout) => layout.layout === 'tokens');
      assert.equal(tokenLayers.length, 5);
      assert.ok(tokenLayers.every((layout) => layout.prefixTokens === 2 && layout.units === 16));
      const perLayer: number[][] = [];
      for (const summary of result.layers) {
        perLayer.push(Array.from((await store.readMemberships(summary.clusteringId)).patternId));
      }
      memberships.push(perLayer);
    } finally {
      await store.close();
    }
  }
  const [older, dynamo] = memberships as [number[][], number[][]];
  older.forEach((labels, layer) => assert.deepEqual(labels, dynamo[layer], `default layer ${layer}`));
  assert.ok(
    older.some((labels) => new Set(labels).size > 2),
    'some layer has patterns',
  );
});

test('cls aggregation reads the first token of token layers, and is refused for a flat layer', async () => {
  const blocks = (await listLayers(DEIT.dynamo, { threads: 1 })).filter((layer) => layer.block?.isOutput);
  const out = path.join(dir, 'cls.duckdb');
  const result = await analyze({
    model: DEIT.dynamo,
    data: 'mnist',
    out,
    limit: 60,
    threads: 1,
    aggregation: 'cls',
    layers: blocks.map((layer) => layer.name),
    projection: 'none',
  });
  assert.equal(result.layers.length, 2);
  await assert.rejects(
    analyze({ model: DEIT.dynamo, data: 'mnist', out, limit: 60, aggregation: 'cls', layers: ['logits'] }),
    (error: unknown) => error instanceof InputError && /'cls' .* layer 'logits' is flat/.test(error.message),
  );
});

test('a text model with token ids and an attention mask runs from a CSV column and a tokenizer.json; padding is left out', async () => {
  const out = path.join(dir, 'text.duckdb');
  // The model's position embeddings hold 16 tokens: texts are padded or cut to 16.
  const tensorData = { textColumn: 'text', tokenizer: WORDPIECE, maxLength: 16 };
  const result = await analyze({
    model: TEXT_MODEL,
    data: SENTENCES,
    out,
    tensorData,
    threads: 1,
    projection: 'none',
    clustering: { minClusterSize: 2, minSamples: 2 },
  });
  const stream = '/Add_3_output_0';
  assert.ok(result.layers.some((layer) => layer.layer === stream));
  // The stored (normalized) means over the unmasked tokens, recomputed from the model's raw token tensor.
  const dataset = await openTensorDataset(SENTENCES, tensorData);
  const feeds = await dataset.loadArrays(Int32Array.from(dataset.items, (item) => item.index));
  const runner = await openOnnxModel(TEXT_MODEL, { layers: [stream], threads: 1 });
  const { layers } = await runner.runFeeds(feeds.filter((feed) => feed.name !== 'token_type_ids'));
  await runner.close();
  const [count, tokens, width] = layers[0]!.dims as [number, number, number];
  const mask = feeds.find((feed) => feed.name === 'attention_mask')!.data as BigInt64Array;
  assert.ok(
    mask.some((value) => value === 0n),
    'the sentences differ in length, so some tokens are padding',
  );
  const means = new Float64Array(count * width);
  for (let n = 0; n < count; n++) {
    let kept = 0;
    for (let t = 0; t < tokens; t++) {
      if (mask[n * tokens + t] === 0n) continue;
      kept++;
      for (let d = 0; d < width; d++) means[n * width + d]! += layers[0]!.data[(n * tokens + t) * width + d]!;
    }
    for (let d = 0; d < width; d++) means[n * width + d]! /= kept;
  }
  for (let d = 0; d < width; d++) {
    let max = 0;
    for (let n = 0; n < count; n++) max = Math.max(max, Math.abs(means[n * width + d]!));
    for (let n = 0; n < count; n++) means[n * width + d]! /= max;
  }
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const { matrix } = await store.readActivations(result.runId, stream);
    for (let i = 0; i < means.length; i++) assert.ok(Math.abs(matrix.data[i]! - means[i]!) < 1e-5, `value ${i}`);
    const contents = await store.readInputContents(result.runId);
    assert.equal(contents[0]!.text, 'the cat sat on the mat');
    const inputs = await store.readInputs(result.runId);
    assert.deepEqual([...new Set(inputs.label)].sort(), ['animal', 'money']);
  } finally {
    await store.close();
  }
});

test('a model input the dataset does not provide is named in the error', async () => {
  const file = path.join(dir, 'ids-only.npz');
  // An npz holding input_ids only: numpy.savez layout, written by hand from a stored .npy member.
  const { readFileSync } = await import('node:fs');
  await writeFile(file, readFileSync('test/fixtures/npy/pair.npz'));
  await assert.rejects(
    analyze({
      model: TEXT_MODEL,
      data: file,
      out: path.join(dir, 'missing.duckdb'),
      clustering: { minClusterSize: 2 },
    }),
    (error: unknown) =>
      error instanceof InputError && /model input 'input_ids' \[batch, sequence\] is not provided/.test(error.message),
  );
});

test('activations computed elsewhere are clustered, mapped, linked and triaged with no model', async () => {
  // Two layers of 40 inputs in two well separated groups, labels from a text file; inputs 0 and 1 are
  // labelled as the other group.
  const header = (shape: number[]) => {
    const text = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
    const padded = text.padEnd(118, ' ') + '\n';
    const bytes = new Uint8Array(10 + padded.length);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
    bytes.set(new TextEncoder().encode(padded), 10);
    return bytes;
  };
  const write = async (name: string, dim: number, seed: number) => {
    const values = new Float32Array(40 * dim);
    for (let i = 0; i < values.length; i++) {
      const row = Math.floor(i / dim);
      values[i] = (row < 20 ? 1 : -1) + 0.05 * Math.sin(seed * 7 + i * 1.3);
    }
    const file = path.join(dir, `${name}.npy`);
    await writeFile(file, Buffer.concat([header([40, dim]), new Uint8Array(values.buffer)]));
    return file;
  };
  const labels = path.join(dir, 'labels.txt');
  await writeFile(labels, Array.from({ length: 40 }, (_, i) => (i < 20 && i > 1 ? 'a' : 'b')).join('\n'));
  const files = [await write('encoder', 8, 1), await write('head', 3, 2)];
  const out = path.join(dir, 'activations.duckdb');
  const clustering = { clusterSelectionMethod: 'eom' as const };
  const result = await analyzeActivations({ activations: files, labels, out, projection: 'pca', clustering });
  assert.equal(result.reusedActivations, false);
  assert.deepEqual(
    result.layers.map((layer) => [layer.layer, layer.patterns]),
    [
      ['encoder', 2],
      ['head', 2],
    ],
  );
  const store = await NapStore.open(out, { readOnly: true });
  try {
    assert.equal((await store.listFlows(result.runId)).length, 1);
    assert.equal((await store.listProjections(result.runId)).length, 2);
    const inputs = await store.readInputs(result.runId);
    assert.equal(inputs.label[0], 'b');
    assert.equal(inputs.label[2], 'a');
    assert.equal(inputs.label[39], 'b');
    // No model, so no probabilities: the neighbours and patterns alone put the two wrong labels first.
    const leads = labelLeads(await scoreRun(store, result.runId, { k: 5 }));
    const column = (name: string) => leads.columns.indexOf(name);
    assert.deepEqual(
      leads.rows
        .slice(0, 2)
        .map((row) => [row[column('input')], row[column('suggested')]])
        .sort(),
      [
        [0, 'a'],
        [1, 'a'],
      ],
    );
  } finally {
    await store.close();
  }
  const again = await analyzeActivations({ activations: files, labels, out, projection: 'pca', clustering });
  assert.equal(again.reusedActivations, true);
  // Another cluster space clusters the stored activations again, in their first principal components.
  const clusterSpace = 'pca:2' as const;
  const inSpace = await analyzeActivations({
    activations: files,
    labels,
    out,
    projection: 'pca',
    clustering,
    clusterSpace,
  });
  assert.equal(inSpace.runId, result.runId);
  assert.equal(inSpace.reusedActivations, true);
  const spaced = await NapStore.open(out, { readOnly: true });
  try {
    const stored = await spaced.getClustering(inSpace.layers[0]!.clusteringId);
    assert.notEqual(stored.clusteringId, result.layers[0]!.clusteringId);
    assert.equal((stored.params as { clusterSpace?: string }).clusterSpace, clusterSpace);
    assert.equal((await spaced.readClusterSpace(result.runId, 'encoder', clusterSpace))?.dim, 2);
  } finally {
    await spaced.close();
  }
  // The approximate spanning tree, forced as --approximate does for a model's run, is another clustering of the
  // same activations, recorded as approximate; the exact ones above record no spanningTree.
  const approximate = await analyzeActivations({
    activations: files,
    labels,
    out,
    projection: 'pca',
    clustering: { ...clustering, spanningTree: 'approximate' },
  });
  assert.equal(approximate.reusedActivations, true);
  const trees = await NapStore.open(out, { readOnly: true });
  try {
    const params = async (id: number) => (await trees.getClustering(id)).params as { spanningTree?: string };
    assert.equal((await params(approximate.layers[0]!.clusteringId)).spanningTree, 'approximate');
    assert.equal((await params(result.layers[0]!.clusteringId)).spanningTree, undefined);
    assert.deepEqual(
      approximate.layers.map((layer) => layer.patterns),
      result.layers.map((layer) => layer.patterns),
    );
  } finally {
    await trees.close();
  }
});

test('heatmaps of a token layer map its patch tokens back onto the patch grid, the prefix tokens left out', async () => {
  const out = path.join(dir, 'dynamo.duckdb'); // analyzed by the first test
  const store = await NapStore.open(out);
  try {
    const [run] = await store.listRuns();
    const layouts = await store.readLayerLayouts(run!.runId);
    const block = layouts.find((layout) => layout.layout === 'tokens' && layout.layer !== 'add_17')!;
    const clustering = (await store.listClusterings(run!.runId, block.layer)).find((c) => c.patternCount > 0)!;
    const result = await computePatternHeatmaps(store, {
      layer: block.layer,
      clusteringId: clustering.clusteringId,
      patterns: [0],
      threads: 1,
    });
    assert.deepEqual([result.height, result.width], [4, 4]);
    const [pattern] = result.patterns;
    assert.ok(pattern!.members > 0);
    assert.ok(pattern!.mean.every((value) => value >= 0 && value <= 1));
    assert.ok(pattern!.mean.some((value) => value > 0));
    const logits = layouts.find((layout) => layout.layout === 'flat')!;
    await assert.rejects(
      computePatternHeatmaps(store, { layer: logits.layer, threads: 1 }),
      /has no spatial map \(it is flat\), so its patterns have no heatmap/,
    );
  } finally {
    await store.close();
  }
});
