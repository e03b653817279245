/**
 * Heatmaps as overlay images: bilinear upsampling of a layer grid to the model's input size, then a fixed
 * colour map over [0, 1] (not stretched per image, so that overlays of one pattern compare directly) with
 * an alpha that rises with the value, so that low values leave the image underneath visible.
 */

/**
 * Bilinear resampling of a height x width grid (row-major) to outHeight x outWidth, with pixel centres
 * aligned as image resizers do (align_corners = false): output pixel x samples the grid at
 * (x + 0.5) * width / outWidth - 0.5, clamped to the grid's edge cells.
 */
export function upsampleBilinear(
  values: ArrayLike<number>,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  if (values.length !== height * width)
    throw new RangeError(`${values.length} values are not a ${height} x ${width} grid`);
  const out = new Float32Array(outHeight * outWidth);
  const source = (at: number, size: number, outSize: number): { low: number; high: number; t: number } => {
    const position = Math.min(size - 1, Math.max(0, ((at + 0.5) * size) / outSize - 0.5));
    const low = Math.floor(position);
    return { low, high: Math.min(size - 1, low + 1), t: position - low };
  };
  for (let y = 0; y < outHeight; y++) {
    const sy = source(y, height, outHeight);
    for (let x = 0; x < outWidth; x++) {
      const sx = source(x, width, outWidth);
      const top = values[sy.low * width + sx.low]! * (1 - sx.t) + values[sy.low * width + sx.high]! * sx.t;
      const bottom = values[sy.high * width + sx.low]! * (1 - sx.t) + values[sy.high * width + sx.high]! * sx.t;
      out[y * outWidth + x] = top * (1 - sy.t) + bottom * sy.t;
    }
  }
  return out;
}

/** Colour stops of the map (matplotlib's "inferno" at 0, 1/4, 1/2, 3/4, 1): dark purple to pale yellow. */
export const HEATMAP_COLOURS: readonly (readonly [number, number, number])[] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/** Opacity at value 1; value v gets MAX_ALPHA * v. */
export const MAX_ALPHA = 0.8;

/** RGBA (4 bytes per value) of values in [0, 1]; values outside are clamped. */
export function colourMap(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const segments = HEATMAP_COLOURS.length - 1;
  for (let i = 0; i < values.length; i++) {
    const raw = values[i]!;
    const v = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
    const at = Math.min(segments - 1, Math.floor(v * segments));
    const t = v * segments - at;
    const from = HEATMAP_COLOURS[at]!;
    const to = HEATMAP_COLOURS[at + 1]!;
    for (let k = 0; k < 3; k++) out[i * 4 + k] = Math.round(from[k]! + (to[k]! - from[k]!) * t);
    out[i * 4 + 3] = Math.round(255 * MAX_ALPHA * v);
  }
  return out;
}

/** A heatmap grid as an RGBA overlay of outHeight x outWidth pixels. */
export function renderHeatmap(
  values: ArrayLike<number>,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Uint8Array {
  return colourMap(upsampleBilinear(values, height, width, outHeight, outWidth));
}
