/**
 * Seriating a Jaccard matrix of two layers (src/results/seriation.ts, the code the app runs in the browser
 * before drawing the matrix) at 250 to 4,000 patterns a side, against a 1-second budget for the whole view.
 *
 *   node build/scripts/bench-seriation.js [--repeat 5]
 *
 * The table is a chain like two layers whose groups are offset (row i shares members with columns i and
 * i + 1), in a scrambled order, plus one weak random cell per row. The baseline, timed in the same run, is
 * sorting the same cells by row and column (what drawing them in any order costs at least). Prints the
 * median milliseconds of each, their ratio, the share of the budget and the weighted crossings left
 * (0 for a perfect order of the chain without the random cells), with the load average.
 */
import { loadavg } from 'node:os';
import { seriate, weightedCrossings, type WeightedCell } from '../src/results/seriation.js';

const BUDGET_MS = 1000;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

function table(size: number): { ids: number[]; cells: WeightedCell[] } {
  const scramble = (i: number) => (i * 7919) % size;
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const cells: WeightedCell[] = [];
  for (let i = 0; i < size; i++) {
    for (const j of [i, i + 1]) if (j < size) cells.push({ row: scramble(i), col: scramble(j), weight: 0.4 });
    cells.push({ row: scramble(i), col: Math.floor(next() * size), weight: 0.01 });
  }
  return { ids: Array.from({ length: size }, (_, i) => i), cells };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(run: () => unknown, repeat: number): number {
  const times: number[] = [];
  for (let k = 0; k < repeat; k++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

const repeat = argument('--repeat', 5);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; median of ${repeat} runs`,
);
console.log('patterns  seriate ms  baseline ms  ratio  budget share  crossings (chain only)');
for (const size of [250, 1000, 2000, 4000]) {
  const { ids, cells } = table(size);
  const seriateMs = time(() => seriate(ids, ids, cells), repeat);
  const baselineMs = time(() => [...cells].sort((a, b) => a.row - b.row || a.col - b.col), repeat);
  const order = seriate(ids, ids, cells);
  const chain = cells.filter((c) => c.weight > 0.1);
  const crossings = size <= 1000 ? String(weightedCrossings(chain, order.rows, order.cols).toFixed(2)) : 'not counted';
  console.log(
    `${String(size).padStart(8)}  ${seriateMs.toFixed(1).padStart(10)}  ${baselineMs.toFixed(2).padStart(11)}  ${(seriateMs / baselineMs).toFixed(0).padStart(5)}  ${((100 * seriateMs) / BUDGET_MS).toFixed(1).padStart(11)}%  ${crossings}`,
  );
}
