/**
 * The bar of feature visualization (issue 23), printed:
 * - the built-in MNIST and Fashion-MNIST CNNs, analyzed on their whole datasets (10,000 inputs each), 8 units
 *   of every default layer and 8 patterns per layer: the share of objectives whose optimised image reaches
 *   at least the highest value over the dataset, per layer (bar: >= 0.90), and the seconds per objective
 *   (bar: <= 5 s per 28x28 unit on one core);
 * - MobileNetV2 at 224x224 (the nsfwjs LayersModel): seconds for one unit (bar: <= 120 s), through tf.js
 *   itself (what nap visualize does with a model.json) and, as the baseline, through its ONNX conversion.
 * Seconds are given twice: CPU seconds of this process per objective (tf.js wasm runs on one thread, so
 * this is the one-core figure, and it is less distorted by other processes than wall time), and wall
 * seconds. The baseline in the same run is one objective optimised alone (--batch 1) against the default
 * batch, on the first layer; with --baseline-refine, the patterns are also optimised without the refine
 * steps on the pixels (--refine 0), their count printed beside. The load average is printed.
 *   node build/scripts/bench-visualize.js [--limit N] [--steps N] [--per-layer N] [--restarts N] [--refine N]
 *     [--layers L,L] [--skip-units] [--baseline-refine] [--keep DIR] [--skip-mobilenet] [--only mnist|fashion-mnist|mobilenet]
 * --per-layer (default 8) takes fewer units and patterns per layer for a quick run; the bar is at 8.
 * --layers takes only these layers; --keep DIR keeps the analysed results files in DIR and reuses them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/engine/analyze.js';
import { visualizeLayer, type VisualizeResult } from '../src/engine/visualize.js';
import { NapStore } from '../src/io/store/index.js';
import { writeNsfwModel } from '../test/io/tfjs/nsfwjs-models.js';
import { fixed, formatTable } from './bench/timing.js';

const argument = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
const limit = argument('--limit') === undefined ? undefined : Number(argument('--limit'));
const stepCount = argument('--steps') === undefined ? undefined : Number(argument('--steps'));
const restarts = argument('--restarts') === undefined ? undefined : Number(argument('--restarts'));
const refine = argument('--refine') === undefined ? undefined : Number(argument('--refine'));
const settings = {
  ...(stepCount ? { steps: stepCount } : {}),
  ...(restarts ? { restarts } : {}),
  ...(refine !== undefined ? { refine } : {}),
};
const only = argument('--only');
const perLayer = Number(argument('--per-layer') ?? 8);
const onlyLayers = argument('--layers')?.split(',');
const skipUnits = process.argv.includes('--skip-units');
const baselineRefine = process.argv.includes('--baseline-refine');
const kept = argument('--keep');
if (kept !== undefined) mkdirSync(kept, { recursive: true });
const dir = kept ?? mkdtempSync(path.join(tmpdir(), 'nap-bench-visualize-'));
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

interface Tally {
  reached: number;
  total: number;
  unknown: number;
  seconds: number[];
  cpuSeconds: number[];
  /** The image's value minus the dataset's best, per objective with a known best. */
  margins: number[];
}

const emptyTally = (): Tally => ({ reached: 0, total: 0, unknown: 0, seconds: [], cpuSeconds: [], margins: [] });

/** visualizeLayer with the CPU seconds of this process per objective. */
async function timed(run: () => Promise<VisualizeResult>): Promise<{ result: VisualizeResult; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(before);
  return { result, cpuSeconds: (used.user + used.system) / 1e6 / Math.max(1, result.objectives.length) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function tally({ result, cpuSeconds }: { result: VisualizeResult; cpuSeconds: number }, into: Tally): void {
  for (const o of result.objectives) {
    into.seconds.push(o.seconds);
    into.cpuSeconds.push(cpuSeconds);
    if (o.datasetMax === null) {
      into.unknown++;
      continue;
    }
    into.total++;
    into.margins.push(Math.max(...o.values) - o.datasetMax);
    if (Math.max(...o.values) >= o.datasetMax) into.reached++;
  }
}

const ratio = (t: Tally): string => (t.total === 0 ? '-' : fixed(t.reached / t.total, 2));
const share = (t: Tally): string => `${t.reached}/${t.total}${t.unknown ? ` (+${t.unknown} unknown)` : ''}`;
/** The median margin (image minus dataset best) in significant digits. */
const margin = (t: Tally): string => (t.margins.length === 0 ? '-' : median(t.margins).toPrecision(2));

async function builtIn(dataset: 'mnist' | 'fashion-mnist'): Promise<void> {
  const model = fileURLToPath(new URL(`../../models/${dataset}-cnn.onnx`, import.meta.url));
  const out = path.join(dir, `${dataset}${limit ? `-${limit}` : ''}.duckdb`);
  if (!existsSync(out)) {
    await analyze({ model, data: dataset, out, threads: 1, projection: 'none', ...(limit ? { limit } : {}) });
  }
  const store = await NapStore.open(out);
  const runId = (await store.listRuns()).at(-1)!.runId;
  const layers = (await store.listLayers(runId)).filter(
    (l) => onlyLayers === undefined || onlyLayers.includes(l.layer),
  );
  const rows: string[][] = [
    [
      'layer',
      'units reached',
      'units ratio',
      'patterns reached',
      'patterns ratio',
      ...(baselineRefine ? ['patterns, no refine'] : []),
      'pattern margin',
      'ratio',
      'CPU s / objective',
      'wall s / objective',
    ],
  ];
  const all = emptyTally();
  let aloneCpuSeconds = 0;
  try {
    const first = layers[0]!.layer;
    const alone = await timed(() =>
      visualizeLayer(store, { layer: first, units: [0], batch: 1, force: true, ...settings }),
    );
    console.log(
      `\n${dataset}: baseline, ${first} unit 0 optimised alone (--batch 1): ${fixed(alone.cpuSeconds, 2)} CPU s, ${fixed(alone.result.objectives[0]!.seconds, 2)} wall s`,
    );
    aloneCpuSeconds = alone.cpuSeconds;
    for (const layer of layers) {
      const units = emptyTally();
      const patterns = emptyTally();
      const unrefined = emptyTally();
      if (!skipUnits) {
        tally(
          await timed(() =>
            visualizeLayer(store, {
              layer: layer.layer,
              units: Array.from({ length: perLayer }, (_, u) => u),
              force: true,
              ...settings,
            }),
          ),
          units,
        );
      }
      const count = (await store.listClusterings(runId, layer.layer)).find((c) => c.unit === null)?.patternCount ?? 0;
      if (count > 0) {
        const ids = Array.from({ length: Math.min(perLayer, count) }, (_, p) => p);
        const patternsWith = (extra: object) =>
          timed(() =>
            visualizeLayer(store, { layer: layer.layer, units: [], patterns: ids, force: true, ...settings, ...extra }),
          );
        if (baselineRefine) tally(await patternsWith({ refine: 0 }), unrefined);
        tally(await patternsWith({}), patterns);
      }
      const reached = units.reached + patterns.reached;
      const total = units.total + patterns.total;
      rows.push([
        layer.layer,
        share(units),
        ratio(units),
        share(patterns),
        ratio(patterns),
        ...(baselineRefine ? [share(unrefined)] : []),
        margin(patterns),
        total === 0 ? '-' : fixed(reached / total, 2),
        fixed(median([...units.cpuSeconds, ...patterns.cpuSeconds]), 2),
        fixed(median([...units.seconds, ...patterns.seconds]), 2),
      ]);
      for (const t of [units, patterns]) {
        all.reached += t.reached;
        all.total += t.total;
        all.unknown += t.unknown;
        all.seconds.push(...t.seconds);
        all.cpuSeconds.push(...t.cpuSeconds);
      }
    }
  } finally {
    await store.close();
  }
  console.log(
    `\n${dataset}, ${skipUnits ? 'no' : perLayer} units and up to ${perLayer} patterns per layer, bar: ratio >= 0.90, <= 5 s per objective (pattern margin: median of image minus dataset best)`,
  );
  console.log(formatTable(rows));
  console.log(
    `all layers: ${all.reached}/${all.total} reached (${fixed(all.reached / Math.max(1, all.total), 3)}, bar 0.90), ${all.unknown} without a dataset maximum; median ${fixed(median(all.cpuSeconds), 2)} CPU s per objective (bar 5 s; alone: ${fixed(aloneCpuSeconds, 2)}, ratio ${fixed(aloneCpuSeconds / Math.max(1e-9, median(all.cpuSeconds)), 2)}x)`,
  );
}

async function mobileNet(): Promise<void> {
  const file = await writeNsfwModel('mobilenet_v2', dir);
  const out = path.join(dir, 'mobilenet.duckdb');
  const layer = 'block_6_expand_relu';
  if (!existsSync(out))
    await analyze({ model: file, data: 'mnist', out, limit: 20, layers: [layer], threads: 1, projection: 'none' });
  const store = await NapStore.open(out);
  try {
    const steps = (stepCount ?? 256) + (refine ?? 64);
    let directCpu = 0;
    // The model.json through tf.js itself (what nap visualize does), then through its ONNX conversion (the baseline).
    for (const viaOnnx of [false, true]) {
      const { result, cpuSeconds } = await timed(() =>
        visualizeLayer(store, { layer, units: [0], force: true, viaOnnx, ...settings }),
      );
      const o = result.objectives[0]!;
      if (!viaOnnx) directCpu = cpuSeconds;
      console.log(
        `\nMobileNetV2 224x224 (nsfwjs), ${layer} unit 0, ${viaOnnx ? 'through the ONNX conversion' : 'through tf.js directly'}: ${fixed(cpuSeconds, 1)} CPU s, ${fixed(o.seconds, 1)} wall s (bar <= 120 s), ${fixed((cpuSeconds / steps) * 1000, 0)} CPU ms per step (Fourier and refine steps); image ${fixed(Math.max(...o.values), 3)}, best of 20 digits ${o.datasetMax === null ? '?' : fixed(o.datasetMax, 3)}${viaOnnx ? `; direct / conversion CPU: ${fixed(directCpu / cpuSeconds, 2)}x` : ''}`,
      );
    }
  } finally {
    await store.close();
  }
}

try {
  console.log(`load average before: ${load()} (1, 5, 15 min)`);
  if (only === undefined || only === 'mnist') await builtIn('mnist');
  if (only === undefined || only === 'fashion-mnist') await builtIn('fashion-mnist');
  if ((only === undefined || only === 'mobilenet') && !process.argv.includes('--skip-mobilenet')) await mobileNet();
  console.log(`\nload average after: ${load()}`);
} finally {
  if (kept === undefined) rmSync(dir, { recursive: true, force: true });
}
