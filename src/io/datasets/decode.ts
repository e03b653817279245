import sharp, { type OutputInfo } from 'sharp';
import type { DecodeTarget, RawImage, ResizeMode } from './types.js';

const FIT: Record<ResizeMode, 'fill' | 'contain' | 'cover'> = { stretch: 'fill', fit: 'contain', crop: 'cover' };
const BLACK = { r: 0, g: 0, b: 0, alpha: 1 };

// libvips caches operations by their inputs; a dataset decodes each file once, so the cache only costs
// CPU and memory (about 7% of the decoding time of 224x224 JPEGs).
sharp.cache(false);

/**
 * Decodes an image file to 8-bit RGB at the target size. Alpha is dropped (not composited), as PIL's
 * convert('RGB') does; EXIF orientation is not applied, matching what most training loaders feed a
 * model. 'error' (not the stricter 'warning') lets images with harmless decoder warnings through.
 */
export async function decodeImageFile(file: string, target: DecodeTarget): Promise<RawImage> {
  const { data, info } = await sharp(file, { failOn: 'error' })
    .resize(target.width, target.height, { fit: FIT[target.resize], position: 'centre', background: BLACK })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  // sharp resizes an image with alpha premultiplied, in 8 bits, and drops the alpha only afterwards: the
  // colour of (nearly) transparent pixels is lost or rounded far off. Such images are decoded again with the
  // alpha dropped before the resize; the others (the vast majority) pay nothing.
  if (info.premultiplied) return decodeWithoutAlpha(file, target);
  return rgbImage(data, info);
}

async function decodeWithoutAlpha(file: string, target: DecodeTarget): Promise<RawImage> {
  const full = await sharp(file, { failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const { data, info } = await sharp(full.data, {
    raw: { width: full.info.width, height: full.info.height, channels: 3 },
  })
    .resize(target.width, target.height, { fit: FIT[target.resize], position: 'centre', background: BLACK })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return rgbImage(data, info);
}

function rgbImage(data: Buffer, info: OutputInfo): RawImage {
  if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels instead of 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: 3,
  };
}

/** Resizes in-memory 8-bit grayscale pixels (returns them as they are when the size already matches). */
export async function resizeGray(image: RawImage, target: DecodeTarget): Promise<RawImage> {
  if (image.channels !== 1) throw new RangeError(`resizeGray needs 1 channel, got ${image.channels}`);
  if (image.width === target.width && image.height === target.height) return image;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize(target.width, target.height, { fit: FIT[target.resize], position: 'centre', background: BLACK })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`resize produced ${info.channels} channels instead of 1`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: 1,
  };
}

/** Tiles per mosaic of resizeGrayMany (a thumbnail sheet's worth). */
const MOSAIC_TILES = 256;
/** Input pixels around each tile of a mosaic, at least the reach of the resize kernel (lanczos3: 3). */
const MOSAIC_REACH = 4;

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/**
 * The least margin, at least MOSAIC_REACH input pixels, that is a whole number of output pixels when
 * `from` pixels become `to`: so that every tile of a mosaic starts on the output pixel grid.
 */
function mosaicMargin(from: number, to: number): number {
  const step = from / greatestCommonDivisor(from, to);
  return Math.ceil(MOSAIC_REACH / step) * step;
}

/**
 * Stretches many same-size gray images to one target size, with the same pixels as resizeGray gives
 * each (a test checks it), at about a third of the CPU when enlarging: a thumbnail sheet's 256 images go
 * through one libvips pipeline instead of 256 (each call costs about 0.6 ms, mostly its own setup). The
 * images are stacked in a mosaic, each in a margin of copies of its own edge pixels (what libvips sees
 * beyond a single image's edge), wide enough for the kernel and a whole number of output pixels, so that
 * each tile is resampled exactly as alone; the tiles are then cut out. Shrinking samples differently
 * (libvips shrinks by whole factors first), so smaller targets are resized one by one.
 */
export async function resizeGrayMany(
  images: readonly Uint8Array[],
  width: number,
  height: number,
  target: { width: number; height: number },
): Promise<Uint8Array[]> {
  if (target.width < width || target.height < height || images.length < 2) {
    return Promise.all(
      images.map(async (data) => {
        const resized = await resizeGray({ data, width, height, channels: 1 }, { ...target, resize: 'stretch' });
        return resized.data === data ? data.slice() : resized.data;
      }),
    );
  }
  const out: Uint8Array[] = [];
  for (let first = 0; first < images.length; first += MOSAIC_TILES)
    out.push(...(await resizeMosaic(images.slice(first, first + MOSAIC_TILES), width, height, target)));
  return out;
}

async function resizeMosaic(
  images: readonly Uint8Array[],
  width: number,
  height: number,
  target: { width: number; height: number },
): Promise<Uint8Array[]> {
  const marginX = mosaicMargin(width, target.width);
  const marginY = mosaicMargin(height, target.height);
  const pitchX = width + 2 * marginX;
  const pitchY = height + 2 * marginY;
  const mosaic = new Uint8Array(pitchX * pitchY * images.length);
  images.forEach((image, t) => {
    for (let y = 0; y < pitchY; y++) {
      const from = Math.min(height - 1, Math.max(0, y - marginY)) * width;
      const row = (t * pitchY + y) * pitchX;
      for (let x = 0; x < pitchX; x++) mosaic[row + x] = image[from + Math.min(width - 1, Math.max(0, x - marginX))]!;
    }
  });
  // Whole numbers by the choice of margins; multiplied first so that no rounding creeps in.
  const outPitchX = (pitchX * target.width) / width;
  const outPitchY = (pitchY * target.height) / height;
  const resized = await sharp(mosaic, { raw: { width: pitchX, height: pitchY * images.length, channels: 1 } })
    .resize(outPitchX, outPitchY * images.length, { fit: 'fill' })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer();
  const left = (marginX * target.width) / width;
  const top = (marginY * target.height) / height;
  return images.map((_, t) => {
    const tile = new Uint8Array(target.width * target.height);
    for (let y = 0; y < target.height; y++) {
      const start = (t * outPitchY + top + y) * outPitchX + left;
      tile.set(resized.subarray(start, start + target.width), y * target.width);
    }
    return tile;
  });
}
