/**
 * Fashion-MNIST from its four IDX files (gzipped), parsed here: an IDX file is a big-endian header
 * (two zero bytes, a type byte 0x08 = unsigned byte, a dimension count, then one uint32 per dimension)
 * followed by the raw bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LabeledImages } from './labeled-images.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an (optionally gzipped) IDX file of unsigned bytes. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new Error(`${source} is not an IDX file (bad magic number); pass a file like train-images-idx3-ubyte.gz`);
  }
  if (raw[2] !== 0x08) {
    throw new Error(`${source} holds IDX type 0x${raw[2]!.toString(16)}, expected 0x08 (unsigned bytes)`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const rank = raw[3]!;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (raw.length - offset !== size) {
    throw new Error(
      `${source} declares ${dims.join('x')} = ${size} values but holds ${raw.length - offset}; the file is truncated`,
    );
  }
  return { dims, data: raw.subarray(offset) };
}

function readIdx(path: string): IdxArray {
  return parseIdx(new Uint8Array(readFileSync(path)), path);
}

function loadSplit(dir: string, prefix: 'train' | 't10k'): LabeledImages {
  const images = readIdx(join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, height, width] = images.dims as [number, number, number];
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new Error(
      `${dir}/${prefix}: images ${images.dims.join('x')} and labels ${labels.dims.join('x')} do not match`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i]! / 255;
  return { count, height, width, pixels, labels: labels.data.slice() };
}

export function fashionMnistAvailable(dir = FASHION_MNIST_DIR): boolean {
  return existsSync(join(dir, 't10k-images-idx3-ubyte.gz')) && existsSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
}

/** The standard 60,000 / 10,000 split. */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): { train: LabeledImages; test: LabeledImages } {
  return { train: loadSplit(dir, 'train'), test: loadSplit(dir, 't10k') };
}

export function loadFashionMnistTest(dir = FASHION_MNIST_DIR): LabeledImages {
  return loadSplit(dir, 't10k');
}
