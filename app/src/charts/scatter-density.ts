/**
 * The density picture of a scatter plot too dense to read as discs (hundreds of thousands of points in
 * view): the points are binned into square cells of a few CSS pixels, and each cell is painted with the
 * mean colour of its points of the highest draw priority (so a highlighted selection still covers dimmed
 * points, as with discs) at an opacity that grows with the log of its point count (so dense cores and
 * sparse fringes both show). One pass over the points (in the order of a Hilbert curve through them, so that neighbouring points fall
 * in neighbouring cells at any zoom and the pass reads memory in order: several times faster at 1M points); the picture is an RGBA image (premultiplied alpha,
 * first row at the bottom, as WebGL textures are read) that the renderer draws as one textured rectangle.
 */
import type { Viewport } from './scatter-viewport.js';

/** Side of a cell in CSS pixels: for a view at rest, and while the view moves (a quarter of the cells to bin). */
export const DENSITY_CELL = 2;
export const MOVING_DENSITY_CELL = 4;
/** Opacity of a cell holding a single point; the densest cell is opaque. */
const MIN_OPACITY = 0.35;

export interface DensityPicture {
  /** Cells across and down. */
  width: number;
  height: number;
  /** RGBA per cell, premultiplied, row 0 at the bottom (lowest data y); valid until the next call. */
  pixels: Uint8Array;
  /** Points inside `inner` (the view proper, without the margin the picture covers around it). */
  inView: number;
}

/**
 * Per cell, side by side (one cache line per point binned: the points come in no spatial order): its point
 * count, 1 + the highest draw priority among its points (0: none yet), how many points have it, and the
 * sums of their red, green and blue (at most 255 x 2^24 points: no overflow).
 */
const STRIDE = 6;
let bins = new Uint32Array(0);
let picture = new Uint8Array(0);

/** Cleared arrays for `cells` cells, kept between calls: a picture is binned again as the view moves. */
function scratchFor(cells: number): { bins: Uint32Array; pixels: Uint8Array } {
  if (bins.length !== cells * STRIDE) {
    bins = new Uint32Array(cells * STRIDE);
    picture = new Uint8Array(cells * 4);
  } else {
    bins.fill(0);
    picture.fill(0);
  }
  return { bins, pixels: picture };
}

/**
 * Bins the points (`positions` x0, y0, x1, y1, ...; `colors` RGBA with alpha = draw priority) over `view`
 * into cells of `cell` CSS pixels, and counts those inside `inner`. Non-finite positions are skipped.
 */
export function densityPicture(
  positions: Float32Array,
  colors: Uint8Array,
  view: Viewport,
  inner: Viewport,
  cell: number,
): DensityPicture {
  const width = Math.max(1, Math.ceil(view.width / cell));
  const height = Math.max(1, Math.ceil(view.height / cell));
  const cells = width * height;
  const { bins, pixels } = scratchFor(cells);
  const perCell = view.scale / cell;
  const left = view.centerX - view.width / 2 / view.scale;
  const bottom = view.centerY - view.height / 2 / view.scale;
  const innerHalfW = inner.width / 2 / inner.scale;
  const innerHalfH = inner.height / 2 / inner.scale;
  let inView = 0;
  let densest = 1;
  const points = positions.length / 2;
  for (let i = 0; i < points; i++) {
    const x = positions[2 * i]!;
    const y = positions[2 * i + 1]!;
    if (Math.abs(x - inner.centerX) <= innerHalfW && Math.abs(y - inner.centerY) <= innerHalfH) inView++;
    const cx = Math.floor((x - left) * perCell);
    const cy = Math.floor((y - bottom) * perCell);
    // False for NaN too.
    if (!(cx >= 0 && cx < width && cy >= 0 && cy < height)) continue;
    const at = (cy * width + cx) * STRIDE;
    const n = ++bins[at]!;
    if (n > densest) densest = n;
    const p = colors[4 * i + 3]! + 1;
    const best = bins[at + 1]!;
    if (p < best) continue;
    if (p > best) {
      bins[at + 1] = p;
      bins[at + 2] = 0;
      bins[at + 3] = 0;
      bins[at + 4] = 0;
      bins[at + 5] = 0;
    }
    bins[at + 2]!++;
    bins[at + 3]! += colors[4 * i]!;
    bins[at + 4]! += colors[4 * i + 1]!;
    bins[at + 5]! += colors[4 * i + 2]!;
  }
  const logDensest = Math.log(Math.max(2, densest));
  const opacityOf = Float32Array.from(
    { length: densest + 1 },
    (_, n) => MIN_OPACITY + (1 - MIN_OPACITY) * Math.sqrt(Math.log(Math.max(1, n)) / logDensest),
  );
  for (let cell = 0; cell < cells; cell++) {
    const at = cell * STRIDE;
    const n = bins[at]!;
    if (n === 0) continue;
    const opacity = opacityOf[n]!;
    const share = opacity / bins[at + 2]!;
    pixels[4 * cell] = Math.round(bins[at + 3]! * share);
    pixels[4 * cell + 1] = Math.round(bins[at + 4]! * share);
    pixels[4 * cell + 2] = Math.round(bins[at + 5]! * share);
    pixels[4 * cell + 3] = Math.round(255 * opacity);
  }
  return { width, height, pixels, inView };
}

/** The points' positions (2 per point) or colours (4 per point) in `order`. */
export function reorder<T extends Float32Array | Uint8Array>(values: T, order: Int32Array, stride: number): T {
  const out = new (values.constructor as new (length: number) => T)(values.length);
  for (let k = 0; k < order.length; k++) {
    const from = order[k]! * stride;
    for (let c = 0; c < stride; c++) out[k * stride + c] = values[from + c]!;
  }
  return out;
}
