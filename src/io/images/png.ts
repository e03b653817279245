/** PNG encoding of raw 8-bit pixels (thumbnails, average images, heatmap overlays). */
import sharp from 'sharp';

/** Encodes `width` x `height` pixels of `channels` interleaved 8-bit values; resized to size x size when given. */
export async function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  size?: number,
): Promise<Buffer> {
  let image = sharp(pixels, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  if (size !== undefined && (size !== width || size !== height)) image = image.resize(size, size, { fit: 'fill' });
  // sharp writes RGB unless told to keep one channel; gray PNGs are a third smaller.
  if (channels === 1) image = image.toColourspace('b-w');
  return image.png().toBuffer();
}
