/**
 * All 70,000 Fashion-MNIST images (the 60,000 training and 10,000 test images, in that order) as one IDX
 * images file and its labels file, so that `nap analyze --data <folder>/all-images-idx3-ubyte` analyzes
 * them as one run. Written once into `folder` and reused.
 *
 *   node build/scripts/bench/fashion-mnist-all.js [folder]   (default <tmpdir>/nap-fashion-mnist-all)
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIdxFile } from '../../src/io/datasets/idx.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../../src/io/datasets/open.js';

export const DEFAULT_ALL_DIR = path.join(os.tmpdir(), 'nap-fashion-mnist-all');

/** An unsigned-byte IDX file of the given dimensions. */
function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, 0x08);
  header.setUint8(3, dims.length);
  dims.forEach((dim, d) => header.setUint32(4 + 4 * d, dim, false));
  const out = new Uint8Array(header.byteLength + data.length);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(data, header.byteLength);
  return out;
}

async function concatenated(names: readonly string[]): Promise<{ dims: number[]; data: Uint8Array }> {
  const arrays = await Promise.all(
    names.map(async (name) => (await readIdxFile(path.join(DEFAULT_FASHION_MNIST_DIR, name))).array),
  );
  const count = arrays.reduce((sum, array) => sum + array.dims[0]!, 0);
  const data = new Uint8Array(arrays.reduce((sum, array) => sum + array.data.length, 0));
  let at = 0;
  for (const array of arrays) {
    data.set(array.data, at);
    at += array.data.length;
  }
  return { dims: [count, ...arrays[0]!.dims.slice(1)], data };
}

/** Writes the two files into `folder` unless they are there; returns the images file. */
export async function writeFashionMnistAll(folder: string = DEFAULT_ALL_DIR): Promise<string> {
  const images = path.join(folder, 'all-images-idx3-ubyte');
  const labels = path.join(folder, 'all-labels-idx1-ubyte');
  if (existsSync(images) && existsSync(labels)) return images;
  await mkdir(folder, { recursive: true });
  for (const [file, kind] of [
    [labels, 'labels-idx1-ubyte.gz'],
    [images, 'images-idx3-ubyte.gz'],
  ] as const) {
    const { dims, data } = await concatenated([`train-${kind}`, `t10k-${kind}`]);
    await writeFile(`${file}.partial`, idxBytes(dims, data));
    await rename(`${file}.partial`, file);
  }
  return images;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await writeFashionMnistAll(process.argv[2]));
}
