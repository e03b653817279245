/** Sprite sheets (src/results/sprites.ts) encoded as one PNG. */
import sharp from 'sharp';
import { cellOf, sheetGrid } from '../sprites.js';

/**
 * One PNG of `images` (each `width` x `height` x `channels` raw 8-bit pixels) laid out on the sheet grid of
 * at most `columns` columns; a null image leaves its cell transparent (RGBA) or black.
 */
export async function encodeSheet(
  images: readonly (Uint8Array | null)[],
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  columns?: number,
): Promise<Buffer> {
  const grid = sheetGrid(images.length, columns);
  const sheetWidth = grid.columns * width;
  const pixels = new Uint8Array(sheetWidth * grid.rows * height * channels);
  const rowBytes = width * channels;
  for (const [k, image] of images.entries()) {
    if (image === null) continue;
    const { column, row } = cellOf(grid, k);
    for (let y = 0; y < height; y++) {
      const target = ((row * height + y) * sheetWidth + column * width) * channels;
      pixels.set(image.subarray(y * rowBytes, (y + 1) * rowBytes), target);
    }
  }
  let image = sharp(pixels, { raw: { width: sheetWidth, height: grid.rows * height, channels } });
  if (channels === 1) image = image.toColourspace('b-w');
  // Level 6 (the default) costs twice the time for 3% fewer bytes on thumbnail sheets.
  return image.png({ compressionLevel: 4 }).toBuffer();
}
