import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { onlyPositional, parseCommandArgs } from '../../src/cli/args.js';
import { runAnalyzeCommand } from '../../src/cli/commands/analyze.js';
import { runClusterCommand } from '../../src/cli/commands/cluster.js';
import { runCompareCommand } from '../../src/cli/commands/compare.js';
import { runDemoCommand } from '../../src/cli/commands/demo.js';
import { runExportCommand } from '../../src/cli/commands/export.js';
import { runFlowCommand } from '../../src/cli/commands/flow.js';
import { runHeatmapsCommand } from '../../src/cli/commands/heatmaps.js';
import { runLayersCommand } from '../../src/cli/commands/layers.js';
import { runReclusterCommand } from '../../src/cli/commands/recluster.js';
import { runServeCommand } from '../../src/cli/commands/serve.js';
import { runReportCommand } from '../../src/cli/commands/report.js';
import { runSummaryCommand } from '../../src/cli/commands/summary.js';
import { runTriageCommand } from '../../src/cli/commands/triage.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { InputError } from '../../src/errors.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

type Command = (argv: string[], signal: AbortSignal) => Promise<number>;

/**
 * Every command with a command line holding one bad option value, and what the message must say.
 * Each is refused while parsing, before any file is opened (none of these files exist).
 */
const COMMANDS: Record<string, { run: Command; bad: string[]; names: RegExp }> = {
  analyze: {
    run: runAnalyzeCommand,
    bad: ['--model', 'm.onnx', '--data', 'mnist', '--out', 'o.duckdb', '--limit', 'ten'],
    names: /--limit 'ten' is not a whole number >= 1/,
  },
  cluster: {
    run: runClusterCommand,
    bad: ['m.f32', '--shape', '10,2', '--out', 'o.json', '--min-samples', 'many'],
    names: /--min-samples 'many' is not a whole number/,
  },
  compare: {
    run: runCompareCommand,
    bad: ['a.duckdb', 'b.duckdb', '--min-jaccard', '2'],
    names: /--min-jaccard '2' is not a number in \[0, 1\]/,
  },
  demo: {
    run: runDemoCommand,
    bad: ['--dataset', 'cifar'],
    names: /--dataset 'cifar' is not one of mnist, fashion-mnist/,
  },
  export: {
    run: runExportCommand,
    bad: ['--static', 'site', 'r.duckdb', '--thumbnail-size', 'big'],
    names: /--thumbnail-size 'big' is not a whole number/,
  },
  flow: {
    run: runFlowCommand,
    bad: ['r.duckdb', '--min-share', '1.5'],
    names: /--min-share '1.5' is not a number in \[0, 1\]/,
  },
  heatmaps: {
    run: runHeatmapsCommand,
    bad: ['r.duckdb', '--layer', 'conv', '--pattern', '0,x'],
    names: /--pattern '0,x' is not a list of whole numbers >= 0/,
  },
  layers: {
    run: runLayersCommand,
    bad: ['m.onnx', '--input-shape', '1,0,28,28'],
    names: /--input-shape '1,0,28,28' is not a list of whole numbers >= 1/,
  },
  recluster: {
    run: runReclusterCommand,
    bad: ['r.duckdb', '--layer', 'conv2', '--min-cluster-size', 'big'],
    names: /--min-cluster-size 'big' is not a whole number/,
  },
  serve: {
    run: runServeCommand,
    bad: ['r.duckdb', '--port', '70000'],
    names: /--port '70000' is not a whole number from 0 to 65535/,
  },
  report: {
    run: runReportCommand,
    bad: ['r.duckdb', '-o', 'r.html', '--top', 'all'],
    names: /--top 'all' is not a whole number >= 1/,
  },
  summary: {
    run: runSummaryCommand,
    bad: ['r.duckdb', '--run', 'latest'],
    names: /--run 'latest' is not a whole number >= 1/,
  },
  triage: {
    run: runTriageCommand,
    bad: ['r.duckdb', '--format', 'xml'],
    names: /--format 'xml' is not one of csv, json/,
  },
};

/** Runs a command in this process as main.ts would: the exit code and what it would print. */
async function outcome(command: Command, argv: string[]): Promise<{ code: number; message: string }> {
  const printed: string[] = [];
  const { error, log } = console;
  console.error = (...parts: unknown[]) => void printed.push(parts.join(' '));
  console.log = (...parts: unknown[]) => void printed.push(parts.join(' '));
  try {
    const code = await command(argv, new AbortController().signal);
    return { code, message: printed.join('\n') };
  } catch (thrown) {
    assert.ok(thrown instanceof InputError, `expected an InputError, got ${String(thrown)}`);
    return { code: exitCodeFor(thrown), message: thrown.message };
  } finally {
    console.error = error;
    console.log = log;
  }
}

function runCli(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('every command refuses a bad command line with exit code 2 and a message naming the option', () => {
  for (const [name, { run, bad, names }] of Object.entries(COMMANDS)) {
    it(`nap ${name}`, async () => {
      const unknown = await outcome(run, [...bad.slice(0, -2), '--colour', 'red']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.message, /unknown option '--colour'/);
      assert.match(unknown.message, new RegExp(`nap ${name} --help`));
      const badValue = await outcome(run, bad);
      assert.equal(badValue.code, 2);
      assert.match(badValue.message, names);
    });
  }

  it('nap (the process) prints the message and exits 2', async () => {
    const [unknown, badValue] = await Promise.all([
      runCli(['layers', 'm.onnx', '--colour']),
      runCli(['summary', 'r.duckdb', '--run', 'latest']),
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^nap layers: unknown option '--colour'\n {2}run 'nap layers --help' for its options/);
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /^nap summary: --run 'latest' is not a whole number >= 1/);
  });
});

describe('parseCommandArgs', () => {
  const config = (args: string[]) =>
    ({ args, allowPositionals: true, options: { limit: { type: 'string' }, json: { type: 'boolean' } } }) as const;

  it("returns parseArgs' values and positionals", () => {
    const { values, positionals } = parseCommandArgs('flow', config(['r.duckdb', '--limit', '3', '--json']));
    assert.deepEqual(positionals, ['r.duckdb']);
    assert.equal(values.limit, '3');
    assert.equal(values.json, true);
  });

  it('names the option that is unknown, lacks its value, or takes none', () => {
    const refused = (args: string[], message: RegExp) =>
      assert.throws(
        () => parseCommandArgs('flow', config(args)),
        (e: unknown) =>
          e instanceof InputError && message.test(e.message) && e.hint === "run 'nap flow --help' for its options",
      );
    refused(['--colour'], /^unknown option '--colour'/);
    refused(['-x'], /^unknown option '-x'/);
    refused(['--limit'], /^--limit needs a value/);
    refused(['--json=yes'], /^--json takes no value/);
    assert.throws(
      () => parseCommandArgs('flow', { args: ['--help=1'], options: { help: { type: 'boolean', short: 'h' } } }),
      /^InputError: --help takes no value/,
    );
  });

  it('lets errors that are not about the command line through', () => {
    assert.throws(
      () => parseCommandArgs('flow', { args: [], options: { limit: { type: 'number' as 'string' } } }),
      (e: unknown) => !(e instanceof InputError),
    );
  });
});

describe('onlyPositional', () => {
  it('onlyPositional wants exactly one file', () => {
    assert.equal(onlyPositional(['r.duckdb'], 'flow', 'results file', 'usage'), 'r.duckdb');
    assert.throws(
      () => onlyPositional(['a', 'b'], 'flow', 'results file', 'usage'),
      /nap flow takes exactly one results file, got 2/,
    );
    assert.throws(() => onlyPositional([], 'flow', 'results file', 'usage'), /got 0/);
  });
});
