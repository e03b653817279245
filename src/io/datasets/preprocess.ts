import { InputError } from '../../errors.js';
import type { Preprocessing, RawImage, ResizeMode } from './types.js';

/** Preprocessing with every default filled in and every value checked. */
export interface ResolvedPreprocessing {
  width: number;
  height: number;
  channels: 1 | 3;
  layout: 'NCHW' | 'NHWC';
  resize: ResizeMode;
  scale: number;
  mean: Float64Array;
  std: Float64Array;
}

const MAX_SIDE = 16384;

export function resolvePreprocessing(prep: Preprocessing): ResolvedPreprocessing {
  checkSide('width', prep.width);
  checkSide('height', prep.height);
  if (prep.channels !== 1 && prep.channels !== 3) {
    throw new InputError(`preprocessing channels ${String(prep.channels)} is not supported`, {
      hint: 'use 1 (grayscale) or 3 (RGB)',
    });
  }
  if (prep.layout !== 'NCHW' && prep.layout !== 'NHWC') {
    throw new InputError(`preprocessing layout ${JSON.stringify(prep.layout)} is not supported`, {
      hint: "use 'NCHW' (channels first) or 'NHWC' (channels last)",
    });
  }
  const resize = prep.resize ?? 'stretch';
  if (resize !== 'stretch' && resize !== 'fit' && resize !== 'crop') {
    throw new InputError(`resize mode ${JSON.stringify(resize)} is not supported`, {
      hint: "use 'stretch', 'fit' (letterbox) or 'crop' (center crop)",
    });
  }
  const scale = prep.scale ?? 1 / 255;
  if (!Number.isFinite(scale)) {
    throw new InputError(`preprocessing scale ${scale} is not a finite number`, { hint: 'use e.g. 1/255 or 1' });
  }
  const mean = perChannel('mean', prep.mean, prep.channels, 0);
  const std = perChannel('std', prep.std, prep.channels, 1);
  for (const value of std) {
    if (value === 0) {
      throw new InputError(`preprocessing std ${JSON.stringify(prep.std)} contains 0`, {
        hint: 'every std value divides its channel: use non-zero values',
      });
    }
  }
  return {
    width: prep.width,
    height: prep.height,
    channels: prep.channels,
    layout: prep.layout,
    resize,
    scale,
    mean,
    std,
  };
}

function checkSide(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
    throw new InputError(`preprocessing ${name} ${value} is not a valid image side`, {
      hint: `use a whole number of pixels from 1 to ${MAX_SIDE}`,
    });
  }
}

function perChannel(name: string, values: number[] | undefined, channels: number, fallback: number): Float64Array {
  if (values === undefined) return new Float64Array(channels).fill(fallback);
  if (values.length !== channels || !values.every(Number.isFinite)) {
    throw new InputError(`preprocessing ${name} ${JSON.stringify(values)} does not fit ${channels} channel(s)`, {
      hint: `give exactly ${channels} finite number(s), one per channel`,
    });
  }
  return Float64Array.from(values);
}

/** Shape of a batch of `count` preprocessed images. */
export function tensorDims(count: number, prep: ResolvedPreprocessing): number[] {
  return prep.layout === 'NCHW'
    ? [count, prep.channels, prep.height, prep.width]
    : [count, prep.height, prep.width, prep.channels];
}

/**
 * Converts 8-bit HWC pixels between gray and RGB. RGB to gray uses ITU-R 601-2 luma in the same
 * fixed-point arithmetic as PIL's convert('L'), so models trained on PIL-loaded data see the same
 * values; gray to RGB copies the value into all three channels. Returns the input when nothing changes.
 */
export function convertChannels(pixels: Uint8Array, from: 1 | 3, to: 1 | 3): Uint8Array {
  if (from === to) return pixels;
  if (from === 1) {
    const rgb = new Uint8Array(pixels.length * 3);
    for (let i = 0; i < pixels.length; i++) {
      const value = pixels[i]!;
      rgb[3 * i] = value;
      rgb[3 * i + 1] = value;
      rgb[3 * i + 2] = value;
    }
    return rgb;
  }
  const gray = new Uint8Array(pixels.length / 3);
  for (let i = 0; i < gray.length; i++) {
    gray[i] = (pixels[3 * i]! * 19595 + pixels[3 * i + 1]! * 38470 + pixels[3 * i + 2]! * 7471 + 0x8000) >>> 16;
  }
  return gray;
}

/**
 * Writes one image as row `slot` of a preprocessed batch: value = (pixel * scale - mean[c]) / std[c],
 * converting gray/RGB first and placing channels per the layout. The image must already be
 * prep.width x prep.height.
 */
export function writeTensorRow(image: RawImage, prep: ResolvedPreprocessing, out: Float32Array, slot: number): void {
  if (image.width !== prep.width || image.height !== prep.height) {
    throw new RangeError(`image is ${image.width}x${image.height}, expected ${prep.width}x${prep.height}`);
  }
  const channels = prep.channels;
  const pixelCount = prep.width * prep.height;
  if (image.data.length !== pixelCount * image.channels) {
    throw new RangeError(`image has ${image.data.length} bytes, expected ${pixelCount} x ${image.channels}`);
  }
  const pixels = convertChannels(image.data, image.channels, channels);
  const base = slot * pixelCount * channels;
  for (let c = 0; c < channels; c++) {
    const gain = prep.scale / prep.std[c]!;
    const offset = -prep.mean[c]! / prep.std[c]!;
    if (prep.layout === 'NCHW') {
      const plane = base + c * pixelCount;
      for (let p = 0; p < pixelCount; p++) out[plane + p] = pixels[p * channels + c]! * gain + offset;
    } else {
      for (let p = 0; p < pixelCount; p++) out[base + p * channels + c] = pixels[p * channels + c]! * gain + offset;
    }
  }
}
