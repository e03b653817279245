import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAnalyzeArgs } from '../../src/cli/commands/analyze.js';
import { runProjectCommand } from '../../src/cli/commands/project.js';
import { analyze } from '../../src/engine/analyze.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

const LIMIT = 60;
const LAYERS = [TINY.pool, TINY.logits];

let dir: string;
let out: string;
let runId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-cli-project-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  out = path.join(dir, 'results.duckdb');
  ({ runId } = await analyze({ model, data: 'mnist', out, limit: LIMIT, layers: LAYERS, projection: 'none' }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function capture(argv: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const { log } = console;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    const code = await runProjectCommand(argv);
    return { code, stdout: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

interface ProjectJson {
  runId: number;
  projections: { layer: string; method: string; params: { seed: number }; pointCount: number; computed: boolean }[];
}

async function projectJson(argv: string[]): Promise<ProjectJson> {
  const { code, stdout } = await capture([out, '--json', ...argv]);
  assert.equal(code, 0);
  return JSON.parse(stdout) as ProjectJson;
}

async function createdAt(layer: string): Promise<number> {
  const store = await NapStore.open(out, { readOnly: true });
  try {
    return (await store.readProjection(runId, layer))!.createdAt.getTime();
  } finally {
    await store.close();
  }
}

describe('nap project', () => {
  it('adds maps to a run made without them, keeps them when asked again, and recomputes them with --force', async () => {
    const pca = await projectJson(['--method', 'pca', '--layer', TINY.pool]);
    assert.equal(pca.runId, runId);
    assert.deepEqual(
      pca.projections.map((p) => [p.layer, p.method, p.pointCount, p.computed]),
      [[TINY.pool, 'pca', LIMIT, true]],
    );

    const all = await projectJson(['--seed', '5', '--quiet']);
    assert.deepEqual(
      all.projections.map((p) => [p.layer, p.method, p.params.seed, p.computed]),
      [
        [TINY.pool, 'umap', 5, true],
        [TINY.logits, 'umap', 5, true],
      ],
      'another method replaces the PCA map',
    );

    const first = await createdAt(TINY.logits);
    const { code, stdout } = await capture([out, '--seed', '5', '--quiet']);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^run ${runId}: 0 of 2 layer maps computed`));
    assert.match(
      stdout,
      new RegExp(`${TINY.logits}\\s+umap, 15 neighbours, min dist 0.1, 200 epochs, seed 5; ${LIMIT} inputs, kept`),
    );
    assert.equal(await createdAt(TINY.logits), first, 'kept, not recomputed');

    await new Promise((resolve) => setTimeout(resolve, 5));
    const forced = await projectJson([
      '--seed',
      '5',
      '--force',
      '--layer',
      TINY.logits,
      '--neighbors',
      '10',
      '--min-dist',
      '0.25',
      '--epochs',
      '50',
    ]);
    assert.deepEqual(
      forced.projections.map((p) => [p.layer, p.computed, p.params]),
      [[TINY.logits, true, { seed: 5, nNeighbors: 10, minDist: 0.25, nEpochs: 50, pcaDims: 0, knn: 'exact' }]],
    );
    assert.ok((await createdAt(TINY.logits)) > first, 'recomputed');
  });

  it('prints its help, and refuses bad arguments naming them', async () => {
    const help = await capture(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: nap project <results.duckdb>/);
    const refused = async (argv: string[], type: typeof InputError | typeof NotFoundError, pattern: RegExp) =>
      assert.rejects(
        runProjectCommand(argv),
        (e: unknown) => e instanceof type && pattern.test(e.message) && (e.hint ?? '') !== '',
      );
    await refused([], InputError, /exactly one results file, got 0/);
    await refused([out, '--method', 'tsne'], InputError, /--method 'tsne' is not one of umap, pca/);
    await refused([out, '--method', 'none'], InputError, /--method 'none'/);
    await refused([out, '--neighbors', '1.5'], InputError, /--neighbors '1.5'/);
    await refused([out, '--neighbors', '1'], InputError, /--neighbors '1' is not a whole number from 2/);
    await refused([out, '--min-dist', '2'], InputError, /--min-dist '2' is not a number in \[0, 1\]/);
    await refused([out, '--seed', 'x'], InputError, /--seed 'x'/);
    await refused([out, '--colour', 'red'], InputError, /colour/);
    await refused([out, '--run', '99'], NotFoundError, /run 99/);
    await refused([out, '--layer', 'nope'], NotFoundError, /layer "nope"/);
    await refused([out, '--knn', 'fast'], InputError, /--knn 'fast' is not one of auto, exact, nn-descent/);
  });

  it('refuses a results file that does not exist instead of creating an empty store there', async () => {
    const typo = path.join(dir, 'typo.duckdb');
    await assert.rejects(
      runProjectCommand([typo]),
      (e: unknown) =>
        e instanceof InputError && /typo\.duckdb does not exist/.test(e.message) && /nap analyze/.test(e.hint ?? ''),
    );
    await assert.rejects(access(typo), 'no file is left behind');
  });

  it('passes --knn to the stored parameters', async () => {
    const result = await projectJson(['--layer', TINY.logits, '--knn', 'nn-descent', '--force']);
    const params = result.projections[0]!.params as { seed: number; knn?: string };
    assert.equal(params.knn, 'nn-descent');
  });

  it('nap analyze takes --projection umap|pca|none', () => {
    const base = ['--model', 'm.onnx', '--data', 'mnist', '--out', 'o.duckdb'];
    const parsed = parseAnalyzeArgs([...base, '--projection', 'pca']);
    assert.ok(parsed !== 'help');
    assert.equal(parsed.options.projection, 'pca');
    const plain = parseAnalyzeArgs(base);
    assert.ok(plain !== 'help');
    assert.equal(plain.options.projection, undefined, 'the engine fills the default');
    assert.throws(
      () => parseAnalyzeArgs([...base, '--projection', 'tsne']),
      (e: unknown) => e instanceof InputError && /--projection 'tsne'/.test(e.message),
    );
  });
});
