/**
 * CPU seconds of other processes over time, from Linux's /proc/PID/stat (user + system time of all the
 * process's threads), sampled every few milliseconds: a benchmark whose processes share the cores with
 * other work reports the CPU each one used over a span beside the span's wall time.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100;

interface Sample {
  /** ms since the epoch. */
  at: number;
  seconds: number;
}

/** The process's CPU seconds so far; undefined once it has exited (or on a system without /proc). */
export function cpuSecondsOf(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are fields 14 and 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
}

export class CpuSampler {
  private readonly samples = new Map<number, Sample[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(periodMs = 50) {
    this.timer = setInterval(() => this.sample(), periodMs);
  }

  /** Samples `pid` from now on. */
  watch(pid: number): void {
    if (!this.samples.has(pid)) this.samples.set(pid, []);
    this.sample();
  }

  /** Takes a sample of every watched process that still runs (call it just before stopping one). */
  sample(): void {
    const at = Date.now();
    for (const [pid, samples] of this.samples) {
      const seconds = cpuSecondsOf(pid);
      if (seconds !== undefined) samples.push({ at, seconds });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU seconds `pid` used between two times (ms since the epoch), interpolated between samples. */
  between(pid: number, from: number, to: number): number {
    return this.at(pid, to) - this.at(pid, from);
  }

  /** CPU seconds `pid` used in all its samples. */
  total(pid: number): number {
    return this.at(pid, Infinity);
  }

  private at(pid: number, time: number): number {
    const samples = this.samples.get(pid) ?? [];
    const after = samples.findIndex((s) => s.at >= time);
    if (after === -1) return samples[samples.length - 1]?.seconds ?? 0;
    const next = samples[after]!;
    const previous = samples[after - 1];
    if (previous === undefined) return next.seconds;
    return previous.seconds + ((next.seconds - previous.seconds) * (time - previous.at)) / (next.at - previous.at);
  }
}
