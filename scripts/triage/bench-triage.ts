/**
 * How well `nap triage` finds label errors: the flipped-label Fashion-MNIST test split (500 of 10,000
 * labels flipped, flipped-fashion-mnist.ts, seed 1812), analyzed with the built-in model and nap
 * analyze's defaults, then ranked by triage. Prints precision at 500 (the share of flips among the first
 * 500 rows; 500 labels are flipped) and recall at 1,000 (the share of flips among the first 1,000) of
 *   - triage's combined rank (defaults), and with the classifier head excluded (no model probabilities,
 *     the logits layer left out: kNN votes of the probe-chosen hidden layers);
 *   - the baselines from the same scores: self-confidence p(given label), the normalized margin, the kNN
 *     label share of the last hidden layer (dense; ties in a seeded random order, as a plain kNN would
 *     leave them), the best single layer's kNN share, and the pattern label share (noise last);
 * and checks the bars: combined >= the best single score and >= 0.90; head excluded >= 0.70.
 *
 *   node build/scripts/triage/bench-triage.js [--dir /tmp/fashion-mnist-flipped] [--store FILE] [--seed 1812]
 *
 * The store (default DIR/results.duckdb) is analyzed once and reused. Wall times depend on the load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rankOrder } from '../../src/compute/triage/combine.js';
import { analyze } from '../../src/engine/analyze.js';
import { scoreRun, type RunTriage, type TriageScoreOptions } from '../../src/engine/triage-scores.js';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { NapStore } from '../../src/io/store/index.js';
import { DEFAULT_FLIP_SEED, DEFAULT_FLIPPED_DIR, writeFlippedSplit, type FlipRecord } from './flipped-fashion-mnist.js';

const MODEL = 'models/fashion-mnist-cnn.onnx';
const HEAD = 'logits';
const LAST_HIDDEN = 'dense';

interface Row {
  name: string;
  precision: number;
  recall: number;
}

function measure(name: string, order: ArrayLike<number>, triage: RunTriage, truth: Set<number>): Row {
  const hits = (n: number) => {
    let found = 0;
    for (let r = 0; r < Math.min(n, order.length); r++) if (truth.has(triage.inputs.index[order[r]!]!)) found++;
    return found;
  };
  return { name, precision: hits(truth.size) / truth.size, recall: hits(2 * truth.size) / truth.size };
}

/** Rows by `score` descending (NaN last), ties in a seeded random order. */
function orderBy(score: Float64Array, seed: number): Int32Array {
  const random = mulberry32(seed);
  const tieBreak = Float64Array.from(score, () => random());
  return rankOrder(
    score,
    tieBreak,
    Int32Array.from(score, (_, i) => i),
  );
}

const negated = (values: Float64Array) => Float64Array.from(values, (v) => -v);

async function scored(file: string, options: TriageScoreOptions): Promise<{ triage: RunTriage; seconds: number }> {
  const store = await NapStore.open(file, { readOnly: true });
  try {
    const start = performance.now();
    const runs = await store.listRuns();
    const triage = await scoreRun(store, runs[runs.length - 1]!.runId, options);
    return { triage, seconds: (performance.now() - start) / 1000 };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: DEFAULT_FLIPPED_DIR },
      store: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULT_FLIP_SEED) },
    },
  });
  const seed = Number(values.seed);
  const flipsFile = join(values.dir, 'flips.json');
  const existing = existsSync(flipsFile) ? (JSON.parse(readFileSync(flipsFile, 'utf8')) as FlipRecord) : undefined;
  const record = existing?.seed === seed ? existing : writeFlippedSplit(values.dir, 500, seed);
  const file = values.store ?? join(values.dir, `results-${seed}.duckdb`);
  if (!existsSync(file)) {
    console.log(`analyzing the flipped split into ${file} ...`);
    await analyze({ model: MODEL, data: join(values.dir, 't10k-images-idx3-ubyte.gz'), out: file, projection: 'none' });
  }
  const truth = new Set(record.indices);
  const combined = await scored(file, {});
  const headless = await scored(file, { probabilities: { kind: 'none' }, excludeLayers: [HEAD] });
  const { triage } = combined;
  const rows: Row[] = [
    measure('triage combined', triage.order, triage, truth),
    measure('triage, head excluded', headless.triage.order, headless.triage, truth),
    measure('self-confidence', orderBy(negated(triage.selfConfidence), 1), triage, truth),
    measure('normalized margin', orderBy(negated(triage.margin), 1), triage, truth),
  ];
  let bestLayer: Row | undefined;
  let bestPattern: Row | undefined;
  for (const layer of triage.layers) {
    const row = measure(`kNN share, ${layer.layer}`, orderBy(negated(layer.votes.givenShare), 1), triage, truth);
    if (layer.layer === LAST_HIDDEN) rows.push({ ...row, name: `kNN share, ${layer.layer} (last hidden layer)` });
    if (!bestLayer || row.precision > bestLayer.precision) bestLayer = row;
    if (!layer.pattern) continue;
    const pattern = measure(
      `pattern share, ${layer.layer}`,
      orderBy(negated(layer.pattern.givenShare), 1),
      triage,
      truth,
    );
    if (!bestPattern || pattern.precision > bestPattern.precision) bestPattern = pattern;
  }
  if (bestPattern) rows.push({ ...bestPattern, name: `${bestPattern.name} (best pattern layer)` });
  if (bestLayer) rows.push({ ...bestLayer, name: `${bestLayer.name} (best kNN layer)` });
  console.log(
    `flipped-label Fashion-MNIST test split: ${truth.size} of ${triage.inputs.index.length} labels flipped, seed ${record.seed}`,
  );
  console.log(
    `combined layers: ${triage.layers
      .filter((l) => l.combined)
      .map((l) => l.layer)
      .join(', ')}; head excluded: ${headless.triage.layers
      .filter((l) => l.combined)
      .map((l) => l.layer)
      .join(', ')}`,
  );
  console.log(`probe accuracy: ${triage.layers.map((l) => `${l.layer} ${l.probe.accuracy.toFixed(4)}`).join(', ')}`);
  console.log('| ranking | precision@500 | recall@1000 |\n|---|---|---|');
  for (const row of rows) console.log(`| ${row.name} | ${row.precision.toFixed(3)} | ${row.recall.toFixed(3)} |`);
  const singles = rows.slice(2).map((row) => row.precision);
  const best = Math.max(...singles);
  const [top, head] = [rows[0]!.precision, rows[1]!.precision];
  console.log(
    `combined / best single score: ${(top / best).toFixed(3)} (bar: >= 1, and >= 0.90: ${top >= best && top >= 0.9 ? 'met' : 'NOT met'})`,
  );
  console.log(`head excluded: ${head.toFixed(3)} (bar: >= 0.70: ${head >= 0.7 ? 'met' : 'NOT met'})`);
  console.log(
    `scoring time: ${combined.seconds.toFixed(1)} s, head excluded ${headless.seconds.toFixed(1)} s (wall clock, this machine's load)`,
  );
}

await main();
