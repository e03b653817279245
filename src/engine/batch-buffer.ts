import type { ExtractedBatch } from './extract.js';

function concatFloat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function concatInt(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Joins consecutive batches (each `start` following the previous one's end) into one. */
export function mergeBatches(batches: ExtractedBatch[]): ExtractedBatch {
  const first = batches[0]!;
  const pick = (key: 'layers' | 'unitMaps', index: number, field: 'values' | 'unitMax') =>
    concatFloat(batches.map((b) => b[key][index]![field]));
  return {
    start: first.start,
    count: batches.reduce((n, b) => n + b.count, 0),
    rows: concatInt(batches.map((b) => b.rows)),
    prediction: concatInt(batches.map((b) => b.prediction)),
    probability: concatFloat(batches.map((b) => b.probability)),
    probabilities: concatFloat(batches.map((b) => b.probabilities)),
    classes: first.classes,
    digest: batches.flatMap((b) => b.digest),
    layers: first.layers.map((_, l) => ({
      values: pick('layers', l, 'values'),
      unitMax: pick('layers', l, 'unitMax'),
    })),
    unitMaps: first.unitMaps.map((_, m) => ({
      values: pick('unitMaps', m, 'values'),
      unitMax: pick('unitMaps', m, 'unitMax'),
    })),
    skipped: batches.flatMap((b) => b.skipped),
  };
}

/**
 * Collects model batches into larger commits: each store transaction has a fixed cost, so committing every
 * 32-input batch would dominate small models. A commit happens once `rows` inputs or `seconds` have
 * gathered, whichever comes first, so a crash loses at most that much work (and the commit still in
 * flight); an extraction that stops early stores what it gathered (settle). Such a commit runs in the background: add() returns at once, so the extraction goes on
 * feeding the model while the store writes (a commit of 2048 rows takes longer than the model's queued
 * batch). At most one commit is in flight; its failure is thrown by the next add() or flush().
 */
export class BatchBuffer {
  private pending: ExtractedBatch[] = [];
  private rows = 0;
  private since = Date.now();
  private committing: Promise<void> | undefined;

  constructor(
    private readonly commit: (batch: ExtractedBatch) => Promise<void>,
    private readonly limits: { rows: number; seconds: number } = { rows: 2048, seconds: 5 },
  ) {}

  async add(batch: ExtractedBatch): Promise<void> {
    const last = this.pending[this.pending.length - 1];
    if (last && last.start + last.count !== batch.start) await this.startCommit();
    if (this.pending.length === 0) this.since = Date.now();
    this.pending.push(batch);
    this.rows += batch.count;
    if (this.rows >= this.limits.rows || Date.now() - this.since >= this.limits.seconds * 1000) {
      await this.startCommit();
    }
  }

  /** Commits everything gathered and waits until it is stored. */
  async flush(): Promise<void> {
    await this.startCommit();
    const committing = this.committing;
    this.committing = undefined;
    await committing;
  }

  /**
   * For an extraction that stops early (cancelled, or a batch that cannot be read): stores what is gathered
   * and waits for it, so no computed batch is lost; never throws, the caller's error is the one to report.
   */
  async settle(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  /** Waits for the commit in flight (throwing its error), then starts committing what is gathered. */
  private async startCommit(): Promise<void> {
    await this.committing;
    if (this.pending.length === 0) return;
    const merged = mergeBatches(this.pending);
    this.pending = [];
    this.rows = 0;
    const committing = this.commit(merged);
    // Awaited by the next add() or flush(); until then its rejection is not unhandled.
    committing.catch(() => undefined);
    this.committing = committing;
  }
}
