import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnalyzeArgs } from '../../src/cli/commands/analyze.js';
import { parseUnitPatterns } from '../../src/engine/config.js';
import { InputError } from '../../src/errors.js';

test('analyze arguments become library options', () => {
  const parsed = parseAnalyzeArgs([
    '--model',
    'm.onnx',
    '--data',
    'mnist',
    '--out',
    'r.duckdb',
    '--layers',
    'a, b',
    '--limit',
    '500',
    '--min-cluster-size',
    '10',
    '--selection',
    'eom',
    '--mean',
    '0.5,0.5,0.5',
    '--image-size',
    '224,200',
  ]);
  assert.notEqual(parsed, 'help');
  if (parsed === 'help') return;
  assert.deepEqual(parsed.options.layers, ['a', 'b']);
  assert.equal(parsed.options.limit, 500);
  assert.deepEqual(parsed.options.clustering, { minClusterSize: 10, clusterSelectionMethod: 'eom' });
  assert.deepEqual(parsed.options.mean, [0.5, 0.5, 0.5]);
  assert.deepEqual(parsed.options.imageSize, { width: 224, height: 200 });
});

test('--approximate and --exact choose the spanning tree, not both', () => {
  const base = ['--model', 'm', '--data', 'd', '--out', 'o'];
  for (const [flag, spanningTree] of [
    ['--approximate', 'approximate'],
    ['--exact', 'exact'],
  ] as const) {
    const parsed = parseAnalyzeArgs([...base, flag]);
    assert.notEqual(parsed, 'help');
    if (parsed !== 'help') assert.deepEqual(parsed.options.clustering, { spanningTree });
  }
  assert.throws(() => parseAnalyzeArgs([...base, '--approximate', '--exact']), /--approximate and --exact/);
});

test('bad analyze arguments name the option and value', () => {
  assert.throws(
    () => parseAnalyzeArgs(['--data', 'mnist', '--out', 'r.duckdb']),
    (e: unknown) => e instanceof InputError && /--model is required/.test(e.message),
  );
  assert.throws(
    () => parseAnalyzeArgs(['--model', 'm', '--data', 'd', '--out', 'o', '--limit', 'ten']),
    /--limit 'ten'/,
  );
  assert.throws(
    () => parseAnalyzeArgs(['--model', 'm', '--data', 'd', '--out', 'o', '--aggregation', 'median']),
    /--aggregation 'median'/,
  );
  assert.throws(
    () => parseAnalyzeArgs(['--model', 'm', '--data', 'd', '--out', 'o', '--selection', 'best']),
    /--selection 'best'/,
  );
  for (const layers of [',', 'a,,b', ' ']) {
    assert.throws(
      () => parseAnalyzeArgs(['--model', 'm', '--data', 'd', '--out', 'o', '--layers', layers]),
      (e: unknown) =>
        e instanceof InputError &&
        e.message.startsWith(`--layers '${layers}' is not a list of non-empty names`) &&
        e.hint === 'write it like --layers conv1,fc1',
      `--layers '${layers}'`,
    );
  }
  assert.throws(
    () => parseAnalyzeArgs(['--model', 'm', '--data', 'd', '--out', 'o', '--min-cluster-size', '1']),
    /--min-cluster-size '1' is not a whole number >= 2/,
  );
});

test('unit pattern lists expand ranges and merge repeated layers', () => {
  assert.deepEqual(parseUnitPatterns(['conv1:0,3-5', 'pool:2', 'conv1:9']), { conv1: [0, 3, 4, 5, 9], pool: [2] });
  assert.throws(() => parseUnitPatterns(['conv1']), /conv1/);
  assert.throws(() => parseUnitPatterns(['conv1:5-2']), /5-2/);
});

test('--cluster-space takes raw, pca:D or umap:D and names itself otherwise', () => {
  const base = ['--model', 'm.onnx', '--data', 'mnist', '--out', 'r.duckdb'];
  for (const space of ['raw', 'pca:50', 'umap:10'] as const) {
    const parsed = parseAnalyzeArgs([...base, '--cluster-space', space]);
    assert.ok(parsed !== 'help' && parsed.options.clusterSpace === space, space);
  }
  for (const bad of ['umap', 'pca:1', 'tsne:2', 'umap:x']) {
    assert.throws(
      () => parseAnalyzeArgs([...base, '--cluster-space', bad]),
      (e: unknown) =>
        e instanceof InputError && e.message.includes(`--cluster-space '${bad}' is not raw, pca:D or umap:D`),
      bad,
    );
  }
});

test('--cluster-space reaches the analysis of activations computed elsewhere', () => {
  const parsed = parseAnalyzeArgs(['--activations', 'acts.npy', '--out', 'r.duckdb', '--cluster-space', 'pca:8']);
  assert.ok(parsed !== 'help' && parsed.activations);
  assert.equal(parsed.activations.clusterSpace, 'pca:8');
});

test('--approximate and --exact reach the analysis of activations computed elsewhere, as a model run', () => {
  const base = ['--activations', 'acts.npy', '--out', 'r.duckdb'];
  for (const [flag, spanningTree] of [
    ['--approximate', 'approximate'],
    ['--exact', 'exact'],
  ] as const) {
    const parsed = parseAnalyzeArgs([...base, flag]);
    assert.ok(parsed !== 'help' && parsed.activations);
    assert.equal(parsed.activations.clustering?.spanningTree, spanningTree);
    const model = parseAnalyzeArgs(['--model', 'm.onnx', '--data', 'mnist', '--out', 'r.duckdb', flag]);
    assert.ok(model !== 'help');
    assert.equal(model.options.clustering?.spanningTree, spanningTree);
  }
  const parsed = parseAnalyzeArgs(base);
  assert.ok(parsed !== 'help' && parsed.activations);
  assert.equal(parsed.activations.clustering?.spanningTree, undefined);
});
