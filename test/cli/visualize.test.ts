import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseIdList, parsePosition, runVisualizeCommand } from '../../src/cli/commands/visualize.js';
import { analyze } from '../../src/engine/analyze.js';

let dir: string;
let out: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-cli-visualize-'));
  out = path.join(dir, 'r.duckdb');
  await analyze({
    model: 'models/mnist-cnn.onnx',
    data: 'mnist',
    out,
    limit: 120,
    layers: ['pool2'],
    projection: 'none',
    threads: 1,
  });
});
after(async () => rm(dir, { recursive: true, force: true }));

async function capture(argv: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const { log } = console;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    return { code: await runVisualizeCommand(argv), stdout: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

test('unit lists take ranges and commas; anything else names the option', () => {
  assert.deepEqual(parseIdList('0-3,7', '--units'), [0, 1, 2, 3, 7]);
  assert.deepEqual(parseIdList(' 5 ', '--units'), [5]);
  assert.throws(() => parseIdList('3-1', '--units'), /--units '3-1' is not a list of whole numbers and ranges/);
  assert.throws(() => parseIdList('a', '--patterns'), /--patterns 'a'/);
});

test('--position takes a row-major index or row,column; anything else names the option', () => {
  assert.equal(parsePosition('12'), 12);
  assert.deepEqual(parsePosition(' 3, 4 '), [3, 4]);
  assert.equal(parsePosition(undefined), undefined);
  assert.throws(() => parsePosition('3,4,5'), /--position '3,4,5' is neither an index nor row,column/);
  assert.throws(() => parsePosition('-1'), /--position '-1'/);
});

test('--json prints, per objective, the value the image reaches and the best over the run inputs; a rerun reuses', async () => {
  const argv = [out, '--layer', 'pool2', '--units', '0-1', '--patterns', 'all', '--steps', '8', '--json'];
  const { code, stdout } = await capture(argv);
  assert.equal(code, 0);
  const result = JSON.parse(stdout) as {
    layer: string;
    objectives: { objective: string; value: number; datasetMax: number; reachesDatasetMax: boolean; reused: boolean }[];
  };
  assert.equal(result.layer, 'pool2');
  assert.deepEqual(
    result.objectives.slice(0, 2).map((o) => o.objective),
    ['unit', 'unit'],
  );
  assert.ok(
    result.objectives.some((o) => o.objective === 'pattern'),
    'patterns were visualized',
  );
  for (const o of result.objectives) {
    assert.ok(Number.isFinite(o.value) && Number.isFinite(o.datasetMax));
    assert.equal(o.reachesDatasetMax, o.value >= o.datasetMax);
    assert.equal(o.reused, false);
  }
  const again = JSON.parse((await capture(argv)).stdout) as { objectives: { reused: boolean }[] };
  assert.ok(again.objectives.every((o) => o.reused));
});

test('a missing --layer is an input error that says what to pass', async () => {
  await assert.rejects(runVisualizeCommand([out]), /--layer is required\n {2}give it, e.g. --layer conv2/);
});
