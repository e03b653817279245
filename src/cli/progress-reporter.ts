import type { Progress, ProgressCallback } from '../progress.js';

export interface Reporter {
  progress: ProgressCallback;
  /** A line of information (goes to stderr so stdout stays clean for --json). */
  info(message: string): void;
  done(): void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Seconds between a log's progress lines during a long stage, unless NAP_PROGRESS_SECONDS says otherwise. */
export const LOG_INTERVAL_SECONDS = 5;

export interface ReporterOptions {
  quiet?: boolean;
  /** Least time between two progress lines in a log (not a terminal); default LOG_INTERVAL_SECONDS. */
  intervalMs?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/** NAP_PROGRESS_SECONDS, when it is a number >= 0, as milliseconds; else the default. */
function intervalFromEnvironment(): number {
  const text = process.env.NAP_PROGRESS_SECONDS;
  const seconds = text === undefined || text.trim() === '' ? NaN : Number(text);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : LOG_INTERVAL_SECONDS) * 1000;
}

/**
 * Stage, done/total, rate and ETA. On a terminal: one redrawn bar. In a log (stderr is a file or a pipe):
 * one line when a stage ends, with its count and time, and during a long stage at most one line every few
 * seconds; a stage that reports no total (a notice such as "resuming run 3") is one line when it starts.
 * Stages may nest (a layer's steps within "clustering"): each ends once, whichever order they report in.
 */
export function createReporter(stream: NodeJS.WriteStream = process.stderr, options: ReporterOptions = {}): Reporter {
  const interactive = Boolean(stream.isTTY);
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? intervalFromEnvironment();
  let stage = '';
  /** Terminal mode: when each stage began, and how far it got. */
  const barStages = new Map<string, { start: number; done: number }>();
  let lastDraw = 0;
  let drawn = false;
  /** Log mode: when each stage seen began and whether its end was printed. */
  const stages = new Map<string, { start: number; ended: boolean }>();
  let lastLine = now();

  const describe = (p: Progress, start: number): string => {
    const elapsed = (now() - start) / 1000;
    if (p.total <= 0) return `${p.stage} ${p.done}`;
    const rate = elapsed > 0 ? p.done / elapsed : 0;
    const eta = rate > 0 ? (p.total - p.done) / rate : Infinity;
    const percent = Math.floor((100 * p.done) / p.total);
    const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
    return `${p.stage} ${p.done}/${p.total} (${percent}%) ${rateText}/s ETA ${formatDuration(eta)}`;
  };

  const clear = () => {
    if (interactive && drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };

  const logLine = (p: Progress): void => {
    const at = now();
    let seen = stages.get(p.stage);
    if (seen === undefined || (seen.ended && p.done < p.total)) {
      // A stage seen for the first time, or one that starts over (the next layer's "core distances").
      seen = { start: at, ended: false };
      stages.set(p.stage, seen);
      if (p.total <= 0) {
        seen.ended = true;
        lastLine = at;
        stream.write(`${p.stage}\n`);
        return;
      }
    }
    if (seen.ended) return;
    if (p.total > 0 && p.done >= p.total) {
      seen.ended = true;
      lastLine = at;
      stream.write(`${p.stage}: ${p.done}/${p.total} in ${formatDuration((at - seen.start) / 1000)}\n`);
    } else if (at - lastLine >= intervalMs) {
      lastLine = at;
      stream.write(`${describe(p, seen.start)}\n`);
    }
  };

  return {
    progress(p) {
      if (options.quiet) return;
      if (!interactive) {
        logLine(p);
        return;
      }
      const at = now();
      // Two stages may advance at once (a layer's clustering beside the maps): each keeps its own start.
      const seen = barStages.get(p.stage);
      if (seen === undefined || p.done < seen.done) barStages.set(p.stage, { start: at, done: p.done });
      else seen.done = p.done;
      if (p.stage !== stage) {
        clear();
        stage = p.stage;
      }
      const stageStart = barStages.get(p.stage)!.start;
      if (at - lastDraw < 100 && p.done < p.total) return;
      lastDraw = at;
      const width = 24;
      const filled = p.total > 0 ? Math.round((width * p.done) / p.total) : 0;
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      stream.write(`\r\x1b[2K[${bar}] ${describe(p, stageStart)}`);
      drawn = true;
    },
    info(message) {
      if (options.quiet) return;
      clear();
      stream.write(`${message}\n`);
    },
    done() {
      clear();
    },
  };
}
