import type { Progress, ProgressCallback } from '../progress.js';

export interface Reporter {
  progress: ProgressCallback;
  /** A line of information (goes to stderr so stdout stays clean for --json). */
  info(message: string): void;
  done(): void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Stage, done/total, rate and ETA: one redrawn bar on a terminal, plain lines elsewhere. */
export function createReporter(
  stream: NodeJS.WriteStream = process.stderr,
  options: { quiet?: boolean } = {},
): Reporter {
  const interactive = Boolean(stream.isTTY);
  let stage = '';
  let stageStart = Date.now();
  let lastPlain = 0;
  let lastDraw = 0;
  let drawn = false;

  const describe = (p: Progress): string => {
    const elapsed = (Date.now() - stageStart) / 1000;
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

  return {
    progress(p) {
      if (options.quiet) return;
      const now = Date.now();
      const newStage = p.stage !== stage;
      if (newStage) {
        if (interactive) clear();
        stage = p.stage;
        stageStart = now;
      }
      if (interactive) {
        if (now - lastDraw < 100 && p.done < p.total) return;
        lastDraw = now;
        const width = 24;
        const filled = p.total > 0 ? Math.round((width * p.done) / p.total) : 0;
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        stream.write(`\r\x1b[2K[${bar}] ${describe(p)}`);
        drawn = true;
      } else if (newStage || now - lastPlain >= 2000 || p.done === p.total) {
        lastPlain = now;
        stream.write(`${describe(p)}\n`);
      }
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
