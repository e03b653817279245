import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
let dir: string;
let model: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-resume-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const args = (out: string) => [
  'analyze',
  '--model',
  model,
  '--data',
  'mnist',
  '--limit',
  '900',
  '--batch-size',
  '32',
  '--commit-every',
  '64',
  '--layers',
  `${TINY.relu},${TINY.pool},${TINY.logits}`,
  '--out',
  out,
];

/** Runs a shell command line whose first word, `nap`, is this checkout's CLI. */
function runShell(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const line = command.replace(/^nap /, `'${process.execPath}' '${CLI}' `);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', line], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI; with `killOn`, SIGKILLs it as soon as a progress line matches. Resolves with how it ended. */
function runCli(
  out: string,
  killOn?: RegExp,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Progress lines every 0.1 s (a log gets one every 5 s by default), so the kill points are seen in time.
    const env = { ...process.env, NAP_PROGRESS_SECONDS: '0.1' };
    const child = spawn(process.execPath, [CLI, ...args(out)], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (killOn && killOn.test(stderr) && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function snapshot(out: string) {
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const [run] = await store.listRuns();
    const runId = run!.runId;
    const inputs = await store.readInputs(runId);
    const layers = await store.listLayers(runId);
    const perLayer = [];
    for (const layer of layers) {
      const activations = await store.readActivations(runId, layer.layer);
      const clusterings = await store.listClusterings(runId, layer.layer);
      assert.equal(clusterings.length, 1, `${layer.layer}: one clustering`);
      const memberships = await store.readMemberships(clusterings[0]!.clusteringId);
      const images = await store.readAverageImages(clusterings[0]!.clusteringId);
      perLayer.push({
        layer: layer.layer,
        activations: Array.from(activations.matrix.data),
        rows: Array.from(activations.inputIndex),
        patterns: Array.from(memberships.patternId),
        images: images.patternId.length,
      });
    }
    return {
      runs: (await store.listRuns()).map((r) => r.status),
      inputs: Array.from(inputs.index),
      predictions: Array.from(inputs.prediction),
      perLayer,
    };
  } finally {
    await store.close();
  }
}

test('SIGKILL during extraction, clustering or the last steps: the same command resumes to the uninterrupted result', async () => {
  const reference = path.join(dir, 'reference.duckdb');
  const clean = await runCli(reference);
  assert.equal(clean.code, 0, clean.stderr);
  const expected = await snapshot(reference);
  assert.equal(expected.inputs.length, 900);

  const killPoints = [
    /extracting activations (9[6-9]|[1-9]\d\d)\//,
    new RegExp(`${TINY.pool}: core distances`),
    /average images|concept flow/,
  ];
  for (const [i, killOn] of killPoints.entries()) {
    const out = path.join(dir, `killed-${i}.duckdb`);
    const killed = await runCli(out, killOn);
    assert.equal(killed.signal, 'SIGKILL', `kill point ${killOn} was reached: ${killed.stderr}`);
    const summary = await runShell(`nap summary '${out}'`);
    assert.equal(summary.code, 0, summary.stderr);
    const shown = /^run 1: .* \(interrupted\)\nresume it with: (nap analyze .*)$/m.exec(summary.stdout);
    assert.ok(shown, `a killed run reads as interrupted, with the command that resumes it:\n${summary.stdout}`);
    const resumed = await runShell(shown[1]!);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming run 1/, 'the second command continues the killed run');
    assert.deepEqual(await snapshot(out), expected, `identical results after a kill at ${killOn}`);
  }
});
