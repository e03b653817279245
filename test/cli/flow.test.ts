import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveLayerPairs, runCompareCommand } from '../../src/cli/commands/compare.js';
import { runFlowCommand } from '../../src/cli/commands/flow.js';
import { analyze } from '../../src/engine/analyze.js';
import type { FlowGraph, LineageStep } from '../../src/compute/flow.js';
import type { RunComparison } from '../../src/results/compare.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

/** The parts of `nap flow --json` for a layer pair that these tests read. */
interface LayerPairJson {
  to: { layer: string };
  counts: number[][];
  rowSums: number[];
  rowPatterns: number[];
}

const LIMIT = 120;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];

let dir: string;
let out: string;
let runId: number;
let secondRunId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-cli-flow-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  out = path.join(dir, 'results.duckdb');
  ({ runId } = await analyze({ model, data: 'mnist', out, limit: LIMIT, layers: LAYERS }));
  // A second run over the same inputs: max instead of mean aggregation.
  ({ runId: secondRunId } = await analyze({
    model,
    data: 'mnist',
    out,
    limit: LIMIT,
    aggregation: 'max',
    layers: LAYERS,
  }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a command with console.log captured. */
async function capture(
  command: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const { log } = console;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    const code = await command(argv);
    return { code, stdout: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

describe('nap flow', () => {
  it('stores the flows and prints each pair of consecutive layers', async () => {
    const { code, stdout } = await capture(runFlowCommand, [out, '--run', String(runId)]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^run ${runId}: `));
    assert.match(
      stdout,
      new RegExp(`${TINY.relu} \\(\\d+ patterns\\) -> ${TINY.pool} \\(\\d+ patterns\\), ${LIMIT} inputs`),
    );
    assert.match(stdout, new RegExp(`${TINY.pool} \\(\\d+ patterns\\) -> ${TINY.logits}`));
    assert.match(stdout, /noise \(\d+\)\s+->/);
    const store = await NapStore.open(out, { readOnly: true });
    try {
      const flows = await store.listFlows(runId);
      assert.equal(flows.length, 3, 'every layer pair is stored');
    } finally {
      await store.close();
    }
  });

  it('prints the table of two layers whose rows and columns add up', async () => {
    const { stdout } = await capture(runFlowCommand, [
      out,
      '--run',
      String(runId),
      '--from',
      TINY.relu,
      '--to',
      TINY.logits,
    ]);
    const grid = stdout.split('\n').filter((line) => /^ {2}(#\d+|noise|total)( +\d+)+$/.test(line));
    const rows = grid.map((line) => line.trim().split(/\s+/).slice(1).map(Number));
    const totals = rows.pop()!;
    assert.equal(totals[totals.length - 1], LIMIT, 'grand total');
    for (const row of rows)
      assert.equal(
        row.slice(0, -1).reduce((s, n) => s + n, 0),
        row[row.length - 1],
        'row sum',
      );
    totals.slice(0, -1).forEach((total, col) =>
      assert.equal(
        rows.reduce((s, row) => s + row[col]!, 0),
        total,
        'column sum',
      ),
    );
    assert.match(stdout, /most similar pattern of logits/);
  });

  it('prints JSON of a layer pair, of the alluvial graph and of a lineage', async () => {
    const pair = JSON.parse(
      (await capture(runFlowCommand, [out, '--run', String(runId), '--from', TINY.pool, '--json'])).stdout,
    ) as LayerPairJson;
    assert.equal(pair.to.layer, TINY.logits, '--from alone pairs with the next layer');
    assert.equal(
      pair.counts.flat().reduce((s, n) => s + n, 0),
      LIMIT,
    );
    assert.deepEqual(
      pair.rowSums,
      pair.counts.map((row) => row.reduce((s, n) => s + n, 0)),
    );
    assert.equal(pair.rowPatterns.at(-1), -1, 'noise row last');

    const { graph } = JSON.parse((await capture(runFlowCommand, [out, '--run', String(runId), '--json'])).stdout) as {
      graph: FlowGraph;
    };
    assert.deepEqual(graph.layers, LAYERS);
    assert.equal(
      graph.links.reduce((s, link) => s + link.count, 0),
      LIMIT * (LAYERS.length - 1),
    );

    const { lineage } = JSON.parse(
      (
        await capture(runFlowCommand, [
          out,
          '--run',
          String(runId),
          '--pattern',
          `${TINY.pool}:noise`,
          '--json',
          '--min-share',
          '0',
        ])
      ).stdout,
    ) as { lineage: { patternId: number; steps: LineageStep[] } };
    assert.equal(lineage.patternId, -1);
    assert.deepEqual(
      lineage.steps.map((s) => s.layer),
      [TINY.relu, TINY.logits],
    );
  });

  it('prints a lineage as text and refuses bad options with a clear error', async () => {
    const { stdout } = await capture(runFlowCommand, [out, '--run', String(runId), '--pattern', `${TINY.pool}:0`]);
    assert.match(stdout, new RegExp(`lineage of ${TINY.pool} #0 \\(\\d+ members\\)`));
    assert.match(stdout, new RegExp(`^  ${TINY.relu} `, 'm'));
    await assert.rejects(
      capture(runFlowCommand, [out, '--pattern', 'pool_out']),
      (e: unknown) => e instanceof InputError && /--pattern 'pool_out'/.test(e.message),
    );
    await assert.rejects(capture(runFlowCommand, [out, '--pattern', 'pool_out:0', '--from', TINY.relu]), InputError);
    await assert.rejects(
      capture(runFlowCommand, [out, '--run', '99']),
      (e: unknown) => e instanceof NotFoundError && /run 99/.test(e.message),
    );
    await assert.rejects(capture(runFlowCommand, [out, '--limit', 'many']), /--limit 'many'/);
    await assert.rejects(capture(runFlowCommand, [out, '--colour']), InputError);
  });
});

describe('nap compare', () => {
  it('compares two runs of one file, with --run after the file or as a pair', async () => {
    const both = await capture(runCompareCommand, [
      out,
      '--run',
      String(runId),
      'same',
      '--run',
      String(secondRunId),
      '--json',
    ]);
    const pair = await capture(runCompareCommand, [
      out,
      '--run',
      String(runId),
      '--run',
      String(secondRunId),
      '--json',
    ]);
    assert.equal(both.code, 0);
    const result = JSON.parse(both.stdout) as RunComparison;
    assert.deepEqual(JSON.parse(pair.stdout), result);
    assert.deepEqual([result.runA, result.runB], [runId, secondRunId]);
    assert.deepEqual(
      result.layers.map((l) => l.layerA),
      LAYERS,
    );
    assert.equal(result.sharedInputs, LIMIT);
  });

  it('prints ARI, NMI and the matching of a run with itself', async () => {
    const { stdout } = await capture(runCompareCommand, [
      out,
      '--run',
      String(runId),
      'same',
      '--run',
      String(runId),
      '--layers',
      `${TINY.pool}:${TINY.logits},${TINY.relu}`,
    ]);
    assert.match(stdout, new RegExp(`${LIMIT} shared inputs`));
    assert.match(stdout, new RegExp(`${TINY.pool} ~ ${TINY.logits}: ${LIMIT} inputs`));
    assert.match(stdout, new RegExp(`^${TINY.relu}: ${LIMIT} inputs`, 'm'));
    const scores = [...stdout.matchAll(/ARI (\S+) {2}NMI (\S+)/g)];
    assert.equal(scores.length, 4);
    // relu_out with itself agrees perfectly; the last two lines are relu_out's.
    assert.deepEqual(
      scores.slice(2).map((m) => [m[1], m[2]]),
      [
        ['1.000', '1.000'],
        ['1.000', '1.000'],
      ],
    );
    assert.match(stdout, /unmatched in A: none/);
  });

  it('reads runs from two files', async () => {
    const second = path.join(dir, 'second.duckdb');
    const model = path.join(dir, 'tiny.onnx');
    await analyze({ model, data: 'mnist', out: second, limit: LIMIT, layers: [TINY.pool] });
    const { stdout } = await capture(runCompareCommand, [out, '--run', String(runId), second, '--json']);
    const result = JSON.parse(stdout) as RunComparison;
    assert.equal(result.sharedInputs, LIMIT, 'the same sample, matched by path');
    assert.deepEqual(
      result.layers.map((l) => l.layerA),
      [TINY.pool],
      'only layers both runs have',
    );
    assert.equal(result.layers[0]?.agreement.withNoise.adjustedRandIndex, 1);
  });

  it('refuses unclear arguments', async () => {
    await assert.rejects(
      capture(runCompareCommand, [out]),
      (e: unknown) => e instanceof InputError && /two --run options, got 0/.test(e.message),
    );
    await assert.rejects(capture(runCompareCommand, ['--run', '1', out, 'same']), /before the first results file/);
    await assert.rejects(capture(runCompareCommand, [out, '--run', '1', '--run', '2', 'same']), /more than one --run/);
    await assert.rejects(capture(runCompareCommand, [out, 'same', '--min-jaccard', '2']), /--min-jaccard '2'/);
    await assert.rejects(
      capture(runCompareCommand, [out, 'same', '--layers', 'nope']),
      (e: unknown) => e instanceof InputError && /"nope"/.test(e.message),
    );
  });

  it('splits layer pairs at the colon that names two known layers', () => {
    const a = ['dense/BiasAdd:0', 'conv'];
    const b = ['logits:0', 'conv'];
    assert.deepEqual(resolveLayerPairs(['dense/BiasAdd:0:logits:0', 'conv', 'conv:logits:0'], a, b), [
      ['dense/BiasAdd:0', 'logits:0'],
      ['conv', 'conv'],
      ['conv', 'logits:0'],
    ]);
    assert.throws(() => resolveLayerPairs(['x:y:z'], ['x', 'x:y'], ['y:z', 'z']), /split in 2 ways/);
  });
});
