/** Small measuring helpers shared by the benchmark scripts. */
import { loadavg } from 'node:os';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import type { Progress } from '../../src/progress.js';

/** `count` batches of uniform [0, 1) floats, each `size` values, from a seeded source. */
export function randomBatches(count: number, size: number, seed = 0): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, random));
}

/** The middle value (the upper one of the two middle values for an even count); NaN for none. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Seconds taken by `work`, from performance.now(). */
export async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** First and last report of one progress stage, each with the time (ms, performance.now()) it came. */
export interface StageSpan {
  first: { at: number; done: number };
  last: { at: number; done: number };
  total: number;
}

/** Records when each progress stage was first and last reported, for rates and a breakdown of a run. */
export class ProgressClock {
  readonly started = performance.now();
  readonly stages = new Map<string, StageSpan>();

  readonly onProgress = (progress: Progress): void => {
    const at = performance.now();
    const span = this.stages.get(progress.stage);
    if (span) {
      span.last = { at, done: progress.done };
      span.total = progress.total;
    } else {
      this.stages.set(progress.stage, {
        first: { at, done: progress.done },
        last: { at, done: progress.done },
        total: progress.total,
      });
    }
  };

  /** Units per second of `stage` from its first to its last report; NaN with fewer than two reports. */
  rate(stage: string): number {
    const span = this.stages.get(stage);
    if (!span || span.last.at === span.first.at) return Number.NaN;
    return (span.last.done - span.first.done) / ((span.last.at - span.first.at) / 1000);
  }

  /**
   * Units per second of `stage` from its first report until the first report of the stage that follows it,
   * `next`: the work left between `stage`'s last report and `next` (a final commit, say) counts too.
   */
  rateUntil(stage: string, next: string): number {
    const span = this.stages.get(stage);
    const after = this.stages.get(next);
    if (!span || !after || after.first.at === span.first.at) return Number.NaN;
    return (span.total - span.first.done) / ((after.first.at - span.first.at) / 1000);
  }

  /**
   * Seconds from the first to the last report of each stage; the per-layer stages '<layer>: <step>'
   * (clustering, one layer after the other) count as one stage, 'clustering'.
   */
  breakdown(): { stage: string; seconds: number }[] {
    const grouped = new Map<string, { from: number; to: number }>();
    for (const [stage, span] of this.stages) {
      const key = stage.includes(': ') ? 'clustering' : stage;
      const entry = grouped.get(key);
      if (entry) {
        entry.from = Math.min(entry.from, span.first.at);
        entry.to = Math.max(entry.to, span.last.at);
      } else {
        grouped.set(key, { from: span.first.at, to: span.last.at });
      }
    }
    return [...grouped].map(([stage, { from, to }]) => ({ stage, seconds: (to - from) / 1000 }));
  }
}

/** A plain text table: the first row is the header; columns are padded to their widest cell. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The 1, 5 and 15 minute load averages, one decimal each: others' work skews wall seconds. */
export function loadAverages(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/**
 * Wall and CPU time (all threads of the process) of each progress stage of the latest run, from its
 * first report to the next stage's: CPU seconds say more than wall seconds when others load the cores.
 */
export function stageTimer(): { onProgress: (p: Progress) => void; summary: () => string } {
  const starts: [string, number, number][] = [];
  const cpuSeconds = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  };
  return {
    onProgress: (p) => {
      if (starts.length > 1 && p.stage === starts[0]?.[0]) starts.length = 0; // the first stage again: a new run
      if (starts.at(-1)?.[0] !== p.stage) starts.push([p.stage, performance.now(), cpuSeconds()]);
    },
    summary: () => {
      const end = [performance.now(), cpuSeconds()] as const;
      return starts
        .map(([stage, at, cpu], i) => {
          const next = starts[i + 1] ?? ['', ...end];
          return `${stage.replace('umap: ', '')} ${((next[1] - at) / 1000).toFixed(2)} s (CPU ${(next[2] - cpu).toFixed(2)} s)`;
        })
        .join(', ');
    },
  };
}
