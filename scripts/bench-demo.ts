/**
 * Time to a usable result for `nap demo` (MNIST model on the 10,000 digits, every default layer, mean
 * aggregation), end to end as a user runs it: a fresh process, a new results file, until the summary is
 * printed. Then the second run, which reuses the stored results. With --baseline, also the same analysis
 * without the layer projections (nap analyze --projection none), to show what they cost. With --model vit,
 * the tiny ViT's demo (nap demo --model vit), and the CNN's demo measured in the same run as its baseline.
 * The load average is printed too: the times are wall clock on a shared machine.
 *   node build/scripts/bench-demo.js [--dataset mnist|fashion-mnist] [--model cnn|vit] [--baseline]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dataset = process.argv.includes('--dataset') ? process.argv[process.argv.indexOf('--dataset') + 1]! : 'mnist';
const model = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1]! : 'cnn';
const baseline = process.argv.includes('--baseline');
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'nap-bench-demo-'));
const out = path.join(dir, 'demo.duckdb');

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

function run(
  label: string,
  args = ['demo', '--dataset', dataset, '--model', model, '--no-serve', '--out', out],
): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    console.error(result.stderr);
    throw new Error(`nap demo exited with ${result.status}`);
  }
  const firstLines = result.stdout
    .split('\n')
    .filter((line) => /patterns|^run /.test(line))
    .slice(0, 8);
  console.log(`${label}: ${seconds.toFixed(1)} s\n${firstLines.map((l) => `    ${l}`).join('\n')}`);
  return seconds;
}

try {
  console.log(`load average before: ${load()} (1, 5, 15 min)`);
  const first = run(`first run (${dataset}, new results file)`);
  const second = run('second run (stored results reused)');
  let cnn: number | undefined;
  if (model === 'vit') {
    const cnnOut = path.join(dir, 'cnn.duckdb');
    cnn = run('baseline: the CNN demo (first run)', ['demo', '--dataset', dataset, '--no-serve', '--out', cnnOut]);
  }
  if (baseline && model === 'cnn') {
    const model = fileURLToPath(new URL(`../../models/${dataset}-cnn.onnx`, import.meta.url));
    const none = path.join(dir, 'none.duckdb');
    const without = run('first run without projections (nap analyze --projection none)', [
      'analyze',
      '--model',
      model,
      '--data',
      dataset,
      '--out',
      none,
      '--projection',
      'none',
      '--quiet',
    ]);
    console.log(`projections: ${(first - without).toFixed(1)} s of the first run`);
  }
  console.log(`load average after: ${load()}`);
  console.log(
    `\nbar: <= 60 s for the first run; measured ${first.toFixed(1)} s (${(first / 60).toFixed(2)} of the bar); second run ${second.toFixed(1)} s`,
  );
  if (cnn !== undefined)
    console.log(`ViT demo / CNN demo: ${(first / cnn).toFixed(2)} (${first.toFixed(1)} s / ${cnn.toFixed(1)} s)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
