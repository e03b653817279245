/**
 * nap recluster and nap summary on a results file: the re-selection is added and named, summary shows
 * coverage, the clustering's parameters and space and the layer's other clusterings; the flags that
 * cannot work are refused with a message naming them (min samples shapes the tree).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runReclusterCommand } from '../../src/cli/commands/recluster.js';
import { runSummaryCommand } from '../../src/cli/commands/summary.js';
import { analyze } from '../../src/engine/analyze.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

let dir: string;
let out: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-recluster-cli-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  out = path.join(dir, 'run.duckdb');
  await analyze({ model, data: 'mnist', out, limit: 240, layers: [TINY.relu, TINY.logits], projection: 'none' });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  command: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  const { error, log } = console;
  console.error = (...parts: unknown[]) => void printed.push(parts.join(' '));
  console.log = (...parts: unknown[]) => void printed.push(parts.join(' '));
  try {
    return { code: await command(argv), text: printed.join('\n') };
  } catch (thrown) {
    return { code: exitCodeFor(thrown), text: thrown instanceof Error ? thrown.message : String(thrown) };
  } finally {
    console.error = error;
    console.log = log;
  }
}

describe('nap recluster and nap summary', () => {
  it('adds the re-selection and summary shows it with coverage, beside the paper clustering', async () => {
    const added = await run(runReclusterCommand, [
      out,
      '--layer',
      TINY.logits,
      '--min-cluster-size',
      '20',
      '--selection',
      'eom',
      '--quiet',
    ]);
    assert.equal(added.code, 0, added.text);
    assert.match(added.text, /eom, min cluster size 20, epsilon 0, min samples 5 \(the tree's\)/);
    assert.match(added.text, /clustering work \d+\.\d\d s \(selection/);
    const summary = await run(runSummaryCommand, [out]);
    assert.equal(summary.code, 0, summary.text);
    assert.match(
      summary.text,
      new RegExp(`${TINY.logits}: .*\\(clustering \\d+: eom, min cluster size 20, min samples 5, space raw\\)`),
    );
    assert.match(summary.text, /coverage: \d+\.\d% of inputs in a pattern, \d+\.\d% with near members >= 0\.1/);
    assert.match(summary.text, /also stored: clustering \d+ \(leaf, min cluster size 5, min samples 5, space raw\)/);
    const again = await run(runReclusterCommand, [
      out,
      '--layer',
      TINY.logits,
      '--min-cluster-size',
      '20',
      '--selection',
      'eom',
    ]);
    assert.match(again.text, /is stored already/);
  });

  it('refuses --min-samples, a min cluster size outside 2..N and a negative epsilon, naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--min-cluster-size', '10', '--min-samples', '3'],
        /--min-samples cannot change in nap recluster: it shapes the stored tree/,
      ],
      [['--min-cluster-size', '1'], /--min-cluster-size 1 is not a whole number from 2 to 240/],
      [['--min-cluster-size', '241'], /--min-cluster-size 241 is not a whole number from 2 to 240/],
      [['--min-cluster-size', '10', '--epsilon=-1'], /--epsilon '-1' is not a number >= 0/],
      [['--min-cluster-size', '10', '--epsilon', 'NaN'], /--epsilon 'NaN' is not a number/],
      [[], /--min-cluster-size is required/],
    ];
    for (const [flags, message] of cases) {
      const refused = await run(runReclusterCommand, [out, '--layer', TINY.logits, ...flags]);
      assert.equal(refused.code, 2, flags.join(' '));
      assert.match(refused.text, message);
    }
  });
});
