/**
 * A run's stored configuration read back typed (invalid or foreign values read as absent), and the
 * `nap analyze` command that resumes a run: written from the stored options, defaults left out, quoted for
 * a POSIX shell.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAnalyzeArgs } from '../../src/cli/commands/analyze.js';
import { resolveOptions } from '../../src/engine/config.js';
import { resumeCommand, runConfig } from '../../src/engine/run-config.js';
import type { RunRecord } from '../../src/io/store/index.js';

function runWith(config: unknown): RunRecord {
  return {
    runId: 3,
    name: 'r',
    createdAt: new Date(0),
    status: 'interrupted',
    modelPath: "/models/it's here/m.onnx",
    modelSha256: 'a'.repeat(64),
    modelLayout: 'channels-first',
    datasetSpec: 'digits/',
    datasetFingerprint: 'fp',
    extractionConfigHash: 'h',
    config,
    predictionLabels: null,
  };
}

/** The words a POSIX shell makes of `line` (single quotes and plain words only, as resumeCommand writes). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/(?:'[^']*'|\\'|[^\s'\\]+)+/g)].map((m) =>
    m[0].replace(
      /'([^']*)'|\\(')/g,
      (_, quoted: string | undefined, escaped: string | undefined) => quoted ?? escaped!,
    ),
  );
}

test('runConfig keeps the valid stored options and the preprocessing, and drops what is not valid today', () => {
  const config = runConfig(
    runWith({
      model: 'm.onnx',
      data: 'digits/',
      split: 'train',
      batchSize: 0,
      clustering: { minClusterSize: 7, metric: 'chebyshev' },
      inSample: true,
      preprocessing: { width: 28, height: 28, channels: 1, layout: 'NCHW', scale: 1 / 255 },
      somethingElse: 1,
    }),
  );
  assert.deepEqual(config.options, {
    model: 'm.onnx',
    data: 'digits/',
    split: 'train',
    clustering: { minClusterSize: 7 },
    inSample: true,
  });
  assert.deepEqual(config.preprocessing, { width: 28, height: 28, channels: 1, layout: 'NCHW', scale: 1 / 255 });
  assert.deepEqual(runConfig(runWith(null)), { options: {}, preprocessing: null });
  assert.equal(runConfig(runWith({ preprocessing: { width: 28 } })).preprocessing, null);
});

test('resumeCommand gives back the options the run was made with, the store and model by their paths', () => {
  const options = resolveOptions({
    model: 'relative/m.onnx',
    data: 'my digits/',
    out: 'old.duckdb',
    limit: 900,
    layers: ['conv1', 'fc'],
    clustering: { minClusterSize: 7, clusterSelectionMethod: 'eom' },
    onBadImage: 'fail',
    name: "Bob's run",
  });
  const command = resumeCommand(runWith({ ...options, preprocessing: { width: 28 } }), '/data/r s.duckdb');
  assert.ok(command !== null);
  const words = shellWords(command);
  assert.deepEqual(words.slice(0, 2), ['nap', 'analyze']);
  const parsed = parseAnalyzeArgs(words.slice(2));
  assert.ok(parsed !== 'help');
  assert.deepEqual(resolveOptions(parsed.options), {
    ...options,
    model: "/models/it's here/m.onnx",
    out: '/data/r s.duckdb',
  });
  assert.doesNotMatch(command, /--batch-size|--scale|--aggregation/, 'defaults are left out');
  assert.equal(
    resumeCommand(runWith({ ...options, indices: [1, 2, 3] }), 'r.duckdb'),
    null,
    'exact indices have no flag: the same library call resumes such a run',
  );
});
