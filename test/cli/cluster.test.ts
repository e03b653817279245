import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runClusterCommand } from '../../src/cli/commands/cluster.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { NapError } from '../../src/errors.js';
import { hdbscan } from '../../src/compute/hdbscan/index.js';
import { randomBlobs } from '../compute/hdbscan/random-data.js';
import { referenceDir } from '../compute/hdbscan/reference-data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nap-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const matrix = randomBlobs({ seed: 12, centres: 3, perBlob: 25, dim: 4, noise: 5 });
const matrixFile = path.join(dir, 'blobs.f32');
writeFileSync(matrixFile, Buffer.from(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength));
writeFileSync(`${matrixFile}.odd`, Buffer.alloc(4 * 6));
const shape = `${matrix.count},${matrix.dim}`;

/** The result file `nap cluster` writes. */
interface ClusterJson {
  labels: number[];
  probabilities: number[];
  outlierScores: number[];
  persistence: number[];
  params: unknown;
}

/** Runs the command with console output captured; an error it throws is printed as main.ts prints it. */
async function run(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const { error, log } = console;
  console.error = (...parts: unknown[]) => void stderr.push(parts.join(' '));
  console.log = (...parts: unknown[]) => void stdout.push(parts.join(' '));
  try {
    const code = await runClusterCommand(argv).catch((thrown: unknown) => {
      if (!(thrown instanceof NapError)) throw thrown;
      stderr.push(`nap cluster: ${thrown.message}`);
      return exitCodeFor(thrown);
    });
    return { code, stderr: stderr.join('\n'), stdout: stdout.join('\n') };
  } finally {
    console.error = error;
    console.log = log;
  }
}

describe('nap cluster', () => {
  it('writes labels, probabilities, outlier scores, persistence and params', async () => {
    const out = path.join(dir, 'result.json');
    const { code, stderr } = await run([
      matrixFile,
      '--shape',
      shape,
      '--selection',
      'eom',
      '--min-cluster-size',
      '6',
      '--out',
      out,
    ]);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ClusterJson;
    const expected = await hdbscan(matrix, { clusterSelectionMethod: 'eom', minClusterSize: 6 });
    assert.deepEqual(json.labels, Array.from(expected.labels));
    assert.deepEqual(json.probabilities, Array.from(expected.probabilities));
    assert.deepEqual(json.outlierScores, Array.from(expected.outlierScores));
    assert.deepEqual(json.persistence, Array.from(expected.persistence));
    assert.deepEqual(json.params, {
      minClusterSize: 6,
      minSamples: 6,
      clusterSelectionEpsilon: 0,
      clusterSelectionMethod: 'eom',
      allowSingleCluster: false,
      metric: 'euclidean',
    });
    assert.match(stderr, new RegExp(`${expected.clusterCount} clusters`));
  });

  it('passes every option through', async () => {
    const out = path.join(dir, 'options.json');
    const argv = [
      matrixFile,
      '--shape',
      shape,
      '--out',
      out,
      '--min-cluster-size',
      '4',
      '--min-samples',
      '2',
      '--selection',
      'leaf',
      '--epsilon',
      '0.25',
      '--metric',
      'manhattan',
      '--allow-single-cluster',
    ];
    const { code, stderr } = await run(argv);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ClusterJson;
    assert.deepEqual(json.params, {
      minClusterSize: 4,
      minSamples: 2,
      clusterSelectionEpsilon: 0.25,
      clusterSelectionMethod: 'leaf',
      allowSingleCluster: true,
      metric: 'manhattan',
    });
  });

  it("--soft and --predict write the reference library's membership vectors and predictions (golden set)", async () => {
    const name = 'blobs_n500_d4_s7';
    const golden = path.join(referenceDir, `${name}.ref`, 'eom-soft');
    const out = path.join(dir, 'soft.json');
    const argv = [path.join(referenceDir, `${name}.f32`), '--shape', '500,4', '--selection', 'eom', '--out', out];
    const { code, stderr } = await run([...argv, '--soft', '--predict', path.join(golden, 'queries.f32')]);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      membershipVectors: number[][];
      predictions: { labels: number[]; probabilities: number[]; membershipVectors: number[][] };
    };
    const csv = (file: string): number[][] =>
      readFileSync(path.join(golden, file), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(',').map(Number));
    const within = (actual: number[][], expected: number[][], what: string) => {
      assert.equal(actual.length, expected.length, `${what}: rows`);
      expected.forEach((row, i) => {
        assert.equal(actual[i]!.length, row.length, `${what}: row ${i} length`);
        row.forEach((value, j) => assert.ok(Math.abs(actual[i]![j]! - value) <= 1e-6, `${what}[${i}][${j}]`));
      });
    };
    within(json.membershipVectors, csv('membership_vectors.csv'), 'membershipVectors');
    within(json.predictions.membershipVectors, csv('query_membership_vectors.csv'), 'predictions.membershipVectors');
    assert.deepEqual(json.predictions.labels, csv('approximate_predict_labels.csv').flat());
    within([json.predictions.probabilities], [csv('approximate_predict_probabilities.csv').flat()], 'probabilities');
  });

  it('--approximate uses the approximate spanning tree and records it in params', async () => {
    const out = path.join(dir, 'approximate.json');
    const { code, stderr } = await run([matrixFile, '--shape', shape, '--out', out, '--approximate']);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ClusterJson & { params: { spanningTree?: string } };
    const expected = await hdbscan(matrix, { spanningTree: 'approximate' });
    assert.deepEqual(json.labels, Array.from(expected.labels));
    assert.equal(json.params.spanningTree, 'approximate');
    assert.match(stderr, /approximate spanning tree/);
  });

  it('--exact keeps the exact spanning tree (params without spanningTree)', async () => {
    const out = path.join(dir, 'exact.json');
    const { code, stderr } = await run([matrixFile, '--shape', shape, '--out', out, '--exact']);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ClusterJson & { params: { spanningTree?: string } };
    assert.equal(json.params.spanningTree, undefined);
    assert.deepEqual(json.labels, Array.from((await hdbscan(matrix)).labels));
    assert.match(stderr, /exact spanning tree/);
  });

  const failures: [string, () => string[], RegExp][] = [
    [
      'both --approximate and --exact',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'x.json'), '--approximate', '--exact'],
      /--approximate and --exact are both given/,
    ],
    [
      '--approximate with the manhattan metric',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'x.json'), '--approximate', '--metric', 'manhattan'],
      /approximate spanning tree does not support metric 'manhattan'/,
    ],
    [
      'a shape that does not match the file size',
      () => [matrixFile, '--shape', `${matrix.count},5`, '--out', path.join(dir, 'x.json')],
      /bytes, but --shape 80,5 needs/,
    ],
    [
      'a missing file',
      () => [path.join(dir, 'nope.f32'), '--shape', shape, '--out', path.join(dir, 'x.json')],
      /cannot read .*nope\.f32.*ENOENT/,
    ],
    ['a malformed shape', () => [matrixFile, '--shape', '80x4', '--out', path.join(dir, 'x.json')], /--shape '80x4'/],
    ['no --shape', () => [matrixFile, '--out', path.join(dir, 'x.json')], /--shape is required/],
    ['no --out', () => [matrixFile, '--shape', shape], /--out is required/],
    [
      'an unknown selection',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'x.json'), '--selection', 'best'],
      /--selection 'best' is not one of leaf, eom/,
    ],
    [
      'a non-numeric option',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'x.json'), '--epsilon', 'abc'],
      /--epsilon 'abc' is not a number/,
    ],
    [
      'an unknown flag',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'x.json'), '--colour'],
      /--colour/,
    ],
    [
      'new points of another width',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'x.json'), '--predict', matrixFile + '.odd'],
      /not a whole number of rows of 4 float32 values/,
    ],
    [
      'an unwritable output',
      () => [matrixFile, '--shape', shape, '--out', path.join(dir, 'missing-dir', 'x.json')],
      /cannot write/,
    ],
  ];
  for (const [name, argv, message] of failures) {
    it(`exits 2 with a message on ${name}`, async () => {
      const { code, stderr } = await run(argv());
      assert.equal(code, 2);
      assert.match(stderr, message);
    });
  }

  it('exits 2 naming the row and column of a NaN', async () => {
    const data = matrix.data.slice();
    data[10 * matrix.dim + 3] = NaN;
    const file = path.join(dir, 'nan.f32');
    writeFileSync(file, Buffer.from(data.buffer));
    const { code, stderr } = await run([file, '--shape', shape, '--out', path.join(dir, 'nan.json')]);
    assert.equal(code, 2);
    assert.match(stderr, /row 10, column 3 is NaN/);
  });

  it('keeps the spanning tree when a run fails after it, and the same command resumes from it', async () => {
    const out = path.join(dir, 'resumed.json');
    const kept = `${out}.spanning-tree`;
    const argv = [matrixFile, '--shape', shape, '--min-samples', '3', '--out', out];
    mkdirSync(out);
    const failed = await run(argv);
    assert.equal(failed.code, 2, 'the result cannot be written over a folder');
    assert.match(failed.stderr, /cannot write/);
    assert.ok(existsSync(kept), 'the spanning tree is kept');
    rmSync(out, { recursive: true });

    const resumed = await run(argv);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resumed from the spanning tree kept in .*resumed\.json\.spanning-tree/);
    const expected = await hdbscan(matrix, { minSamples: 3 });
    const json = JSON.parse(readFileSync(out, 'utf8')) as ClusterJson;
    assert.deepEqual(json.labels, Array.from(expected.labels));
    assert.deepEqual(json.outlierScores, Array.from(expected.outlierScores));
    assert.ok(!existsSync(kept), 'the kept tree is removed once the result is written');
  });

  it('does not resume from a tree of other parameters, other rows or a damaged file', async () => {
    const out = path.join(dir, 'stale.json');
    const kept = `${out}.spanning-tree`;
    mkdirSync(out);
    assert.equal((await run([matrixFile, '--shape', shape, '--min-samples', '3', '--out', out])).code, 2);
    rmSync(out, { recursive: true });
    const otherRows = path.join(dir, 'other-rows.f32');
    const shifted = matrix.data.map((value, i) => (i === 0 ? value + 1 : value));
    writeFileSync(otherRows, Buffer.from(shifted.buffer));
    const attempts: [string, string[]][] = [
      ['other min samples', [matrixFile, '--shape', shape, '--min-samples', '4', '--out', out]],
      ['other rows', [otherRows, '--shape', shape, '--min-samples', '3', '--out', out]],
    ];
    for (const [name, argv] of attempts) {
      copyFileSync(kept, `${kept}.copy`);
      const result = await run(argv);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /resumed/, name);
      renameSync(`${kept}.copy`, kept);
    }
    const bytes = readFileSync(kept);
    writeFileSync(kept, bytes.subarray(0, bytes.length - 8));
    const damaged = await run([matrixFile, '--shape', shape, '--min-samples', '3', '--out', out]);
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.doesNotMatch(damaged.stderr, /resumed/, 'a cut file is ignored');
    const expected = await hdbscan(matrix, { minSamples: 3 });
    assert.deepEqual((JSON.parse(readFileSync(out, 'utf8')) as ClusterJson).labels, Array.from(expected.labels));
  });

  it('prints help and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /Usage: nap cluster/);
  });
});
