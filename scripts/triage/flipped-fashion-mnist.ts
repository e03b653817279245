/**
 * The flipped-label Fashion-MNIST test split of the triage benchmark: the 10,000 test images of Debian's
 * dataset-fashion-mnist with `--flips` of their labels (default 500) changed to another class, both
 * chosen by a seeded generator, so anyone can rebuild the exact same split.
 *
 *   node build/scripts/triage/flipped-fashion-mnist.js [--out DIR] [--flips 500] [--seed 1812]
 *
 * DIR (default /tmp/fashion-mnist-flipped; its name keeps "fashion" so nap names the classes) gets
 * t10k-images-idx3-ubyte.gz (a copy), t10k-labels-idx1-ubyte.gz (the flipped labels) and flips.json
 * (seed, the flipped input indices ascending, their true and their given labels). Analyze it with
 *   nap analyze --model models/fashion-mnist-cnn.onnx --data DIR/t10k-images-idx3-ubyte.gz --out r.duckdb
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { FASHION_MNIST_DIR, parseIdx } from '../train/fashion-mnist.js';

export const DEFAULT_FLIP_SEED = 1812;
export const DEFAULT_FLIPPED_DIR = '/tmp/fashion-mnist-flipped';
const CLASSES = 10;

export interface FlipRecord {
  seed: number;
  /** Flipped input indices, ascending. */
  indices: number[];
  /** The label each flipped input had (the truth), as a class index. */
  trueLabels: number[];
  /** The label it carries now. */
  givenLabels: number[];
}

/**
 * Which labels to flip and to what: a seeded partial Fisher-Yates shuffle picks `flips` distinct inputs,
 * and each gets a class drawn uniformly from the other classes.
 */
export function flipLabels(
  labels: Uint8Array,
  flips: number,
  seed: number,
): { labels: Uint8Array; record: FlipRecord } {
  if (!Number.isInteger(flips) || flips < 0 || flips > labels.length) {
    throw new Error(`--flips ${flips} must be a whole number from 0 to ${labels.length}`);
  }
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: labels.length }, (_, i) => i);
  for (let i = 0; i < flips; i++) {
    const j = i + Math.floor(random() * (labels.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const indices = Array.from(order.subarray(0, flips)).sort((a, b) => a - b);
  const flipped = labels.slice();
  const trueLabels: number[] = [];
  const givenLabels: number[] = [];
  for (const index of indices) {
    const truth = labels[index]!;
    const shift = 1 + Math.floor(random() * (CLASSES - 1));
    const given = (truth + shift) % CLASSES;
    flipped[index] = given;
    trueLabels.push(truth);
    givenLabels.push(given);
  }
  return { labels: flipped, record: { seed, indices, trueLabels, givenLabels } };
}

/** An IDX file of unsigned bytes with one dimension. */
function idxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 0x08, 1]);
  view.setUint32(4, labels.length, false);
  out.set(labels, 8);
  return out;
}

/** Writes the flipped split into `out` (see the top of this file) and returns what was flipped. */
export function writeFlippedSplit(out: string, flips: number, seed: number, source = FASHION_MNIST_DIR): FlipRecord {
  const labelsFile = join(source, 't10k-labels-idx1-ubyte.gz');
  const original = parseIdx(new Uint8Array(readFileSync(labelsFile)), labelsFile);
  const { labels, record } = flipLabels(original.data, flips, seed);
  mkdirSync(out, { recursive: true });
  copyFileSync(join(source, 't10k-images-idx3-ubyte.gz'), join(out, 't10k-images-idx3-ubyte.gz'));
  writeFileSync(join(out, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxLabels(labels)));
  writeFileSync(join(out, 'flips.json'), `${JSON.stringify(record)}\n`);
  return record;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: DEFAULT_FLIPPED_DIR },
      flips: { type: 'string', default: '500' },
      seed: { type: 'string', default: String(DEFAULT_FLIP_SEED) },
      source: { type: 'string', default: FASHION_MNIST_DIR },
    },
  });
  const record = writeFlippedSplit(values.out, Number(values.flips), Number(values.seed), values.source);
  console.log(`${record.indices.length} labels flipped (seed ${record.seed}) in ${values.out}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
