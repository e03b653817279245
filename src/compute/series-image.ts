/**
 * A row of numbers (an input that is a series or a vector) drawn as a small square picture for galleries:
 * a sparkline over a heat strip of the same values. A pattern's average adds a band (e.g. mean ± one
 * standard deviation) behind its line. The picture is scaled to its own values: it shows the row's shape;
 * the numbers themselves are in the tile's tooltip.
 */
import { colourMap } from './heatmap-image.js';

const BACKGROUND = [255, 255, 255] as const;
const LINE = [31, 79, 160] as const;
const BAND = [196, 214, 243] as const;
const MIDLINE = [225, 228, 232] as const;

/** Share of the picture's height the heat strip takes at its foot. */
const STRIP_SHARE = 0.2;

/** A band drawn behind the line, one low and one high value per value of the line. */
export interface SeriesBand {
  low: ArrayLike<number>;
  high: ArrayLike<number>;
}

/**
 * Lowest and highest value of the piecewise-linear curve through `values` (value i at t = i) over
 * t in [from, to]; NaN when no finite value lies there.
 */
function rangeOver(values: ArrayLike<number>, from: number, to: number, out: Float64Array): void {
  let low = Infinity;
  let high = -Infinity;
  const take = (value: number) => {
    if (!Number.isFinite(value)) return;
    if (value < low) low = value;
    if (value > high) high = value;
  };
  const at = (t: number): number => {
    const i = Math.min(values.length - 1, Math.floor(t));
    const next = Math.min(values.length - 1, i + 1);
    return values[i]! + (values[next]! - values[i]!) * (t - i);
  };
  take(at(from));
  take(at(to));
  for (let i = Math.ceil(from); i <= Math.floor(to); i++) take(values[i]!);
  out[0] = low === Infinity ? NaN : low;
  out[1] = high === -Infinity ? NaN : high;
}

/** Per column of `width`, the curve's lowest and highest value there: [low0, high0, low1, high1, ...]. */
function columnRanges(values: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(width * 2);
  const span = Math.max(0, values.length - 1);
  const pair = new Float64Array(2);
  for (let x = 0; x < width; x++) {
    rangeOver(values, (x * span) / width, ((x + 1) * span) / width, pair);
    out.set(pair, x * 2);
  }
  return out;
}

/** Finite minimum and maximum over several arrays; [0, 0] when none is finite. */
function extent(...arrays: ArrayLike<number>[]): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) continue;
      if (value < low) low = value;
      if (value > high) high = value;
    }
  }
  return low === Infinity ? [0, 0] : [low, high];
}

/**
 * `values` as a size x size RGB picture (3 bytes per pixel, row-major): the sparkline on top, the heat
 * strip (inferno, low dark to high pale) at the foot; `band`, when given, shaded behind the line.
 */
export function drawSeries(values: ArrayLike<number>, size: number, band?: SeriesBand): Uint8Array {
  const pixels = new Uint8Array(size * size * 3);
  const paint = (x: number, y: number, colour: ArrayLike<number>) => pixels.set(colour, (y * size + x) * 3);
  for (let p = 0; p < size * size; p++) pixels.set(BACKGROUND, p * 3);
  if (values.length === 0 || size < 4) return pixels;
  const strip = Math.max(2, Math.round(size * STRIP_SHARE));
  const top = 1;
  const bottom = size - strip - 2;
  const [low, high] = band ? extent(values, band.low, band.high) : extent(values);
  const flat = high - low <= Math.abs(high) * 1e-7;
  const rowOf = (value: number) =>
    flat ? Math.round((top + bottom) / 2) : Math.round(bottom - ((value - low) / (high - low)) * (bottom - top));
  for (let x = 0; x < size; x++) paint(x, Math.round((top + bottom) / 2), MIDLINE);
  if (band) {
    const lows = columnRanges(band.low, size);
    const highs = columnRanges(band.high, size);
    for (let x = 0; x < size; x++) {
      const from = lows[x * 2]!;
      const to = highs[x * 2 + 1]!;
      if (Number.isNaN(from) || Number.isNaN(to)) continue;
      for (let y = rowOf(Math.max(from, to)); y <= rowOf(Math.min(from, to)); y++) paint(x, y, BAND);
    }
  }
  const ranges = columnRanges(values, size);
  const heat = new Float64Array(size);
  for (let x = 0; x < size; x++) {
    const from = ranges[x * 2]!;
    const to = ranges[x * 2 + 1]!;
    if (Number.isNaN(from)) {
      heat[x] = NaN;
      continue;
    }
    for (let y = rowOf(to); y <= rowOf(from); y++) paint(x, y, LINE);
    heat[x] = flat ? 0.5 : ((from + to) / 2 - low) / (high - low);
  }
  const colours = colourMap(heat);
  for (let x = 0; x < size; x++) {
    if (Number.isNaN(heat[x]!)) continue;
    const colour = colours.subarray(x * 4, x * 4 + 3);
    for (let y = size - strip; y < size; y++) paint(x, y, colour);
  }
  return pixels;
}

/** Streaming mean and standard deviation per group (pattern) of rows of one length; memory is groups x length. */
export class MeanSeries {
  private readonly sums: Float64Array;
  private readonly squares: Float64Array;
  private readonly counts: Int32Array;

  constructor(
    readonly groups: number,
    readonly length: number,
  ) {
    this.sums = new Float64Array(groups * length);
    this.squares = new Float64Array(groups * length);
    this.counts = new Int32Array(groups);
  }

  /** Adds a row to a group; rows of another length (and groups below 0: noise) are left out. */
  add(group: number, values: ArrayLike<number>): void {
    if (group < 0 || group >= this.groups || values.length !== this.length) return;
    const base = group * this.length;
    for (let i = 0; i < this.length; i++) {
      const value = values[i]!;
      this.sums[base + i]! += value;
      this.squares[base + i]! += value * value;
    }
    this.counts[group]!++;
  }

  count(group: number): number {
    return this.counts[group]!;
  }

  /** The group's mean and the band mean ± one (population) standard deviation; zeros for an empty group. */
  summary(group: number): { mean: Float64Array; band: SeriesBand } {
    const n = this.counts[group]!;
    const mean = new Float64Array(this.length);
    const low = new Float64Array(this.length);
    const high = new Float64Array(this.length);
    if (n > 0) {
      const base = group * this.length;
      for (let i = 0; i < this.length; i++) {
        const m = this.sums[base + i]! / n;
        const sd = Math.sqrt(Math.max(0, this.squares[base + i]! / n - m * m));
        mean[i] = m;
        low[i] = m - sd;
        high[i] = m + sd;
      }
    }
    return { mean, band: { low, high } };
  }
}
