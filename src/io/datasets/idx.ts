import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { constants as zlibConstants, gunzip } from 'node:zlib';
import { InputError, option } from '../../errors.js';
import { FingerprintBuilder } from './fingerprint.js';
import { createGrayArrayDataset, packedGraySource, type GrayArraySource } from './gray-array-dataset.js';
import { statUserPath } from './paths.js';
import type { Dataset, DatasetItem, DatasetOptions } from './types.js';

export const FASHION_MNIST_LABELS: readonly string[] = [
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
];

export interface IdxOptions extends DatasetOptions {
  /** The labels file; default: found beside the images file ("images" -> "labels", "idx3" -> "idx1", with or without .gz). */
  labelsPath?: string;
  /**
   * Names for label values 0, 1, ...; default: the Fashion-MNIST class names when the images file's
   * folder name or file name contains "fashion", otherwise the numbers themselves.
   */
  labelNames?: readonly string[];
  /** Dataset name; default: the images file name without .gz. */
  name?: string;
  /** Split of every item; default: "test" for t10k-* files, "train" for train-* files, else none. */
  split?: string;
}

/** An IDX array of unsigned bytes (the only element type MNIST-style data sets use). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;
const IDX_HINT = 'pass an IDX file as published for MNIST / Fashion-MNIST (gzipped or not)';

/** Parses IDX bytes (already decompressed); `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new InputError(`${file} is not an IDX file (it does not start with two zero bytes)`, { hint: IDX_HINT });
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw new InputError(`${file} holds IDX element type 0x${bytes[2]!.toString(16)}, not unsigned bytes (0x08)`, {
      hint: 'convert it to 8-bit unsigned values',
    });
  }
  const rank = bytes[3]!;
  const headerLength = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerLength) {
    throw new InputError(`${file} has a broken IDX header (rank ${rank}, ${bytes.length} bytes)`, { hint: IDX_HINT });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((product, dim) => product * dim, 1);
  if (bytes.length - headerLength !== expected) {
    throw new InputError(
      `${file} holds ${bytes.length - headerLength} data bytes, its header [${dims.join(', ')}] says ${expected}`,
      {
        hint: 'the file is truncated or corrupt: download it again',
      },
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

const bytesOf = (buffer: Buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** Largest output chunk asked of zlib: a gzip trailer's size is only a hint (mod 2^32, any value in a broken file). */
const MAX_GUNZIP_CHUNK = 1 << 30;
/** Deflate's largest expansion: a trailer that records more than this is not believed. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * The decompressed bytes of a gzip file. zlib is asked for one output chunk of the size the trailer
 * records: its default 16 KiB chunks cost a callback each and a copy of them all at the end, which for
 * Fashion-MNIST's training images (47 MB) was twice the CPU time of decompressing them, paid again by
 * every worker process that opens the data set.
 */
function gunzipWhole(compressed: Uint8Array): Promise<Buffer> {
  const view = new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength);
  const recorded = compressed.length >= 18 ? view.getUint32(compressed.length - 4, true) : 0;
  // One byte more than the data: zlib then ends within the first chunk instead of allocating a second.
  const possible = Math.min(recorded + 1, compressed.length * MAX_DEFLATE_RATIO, MAX_GUNZIP_CHUNK);
  const chunkSize = Math.max(zlibConstants.Z_DEFAULT_CHUNK, possible);
  return promisify(gunzip)(compressed, { chunkSize });
}

/** Reads and parses an IDX file, gunzipping it when it starts with the gzip magic bytes. */
export async function readIdxFile(file: string): Promise<{ array: IdxArray; fileBytes: Uint8Array }> {
  await statUserPath(file, 'IDX file', 'check the path');
  // Viewed, not copied (the training images are 26 MB, 47 MB unpacked): a plain Uint8Array, whose slice()
  // copies where a Buffer's would not.
  const fileBytes = bytesOf(await readFile(file));
  let bytes = fileBytes;
  if (fileBytes[0] === 0x1f && fileBytes[1] === 0x8b) {
    try {
      bytes = bytesOf(await gunzipWhole(fileBytes));
    } catch (error) {
      throw new InputError(`${file} is a broken gzip file: ${(error as Error).message}`, {
        hint: 'download it again',
        cause: error,
      });
    }
  }
  return { array: parseIdx(bytes, file), fileBytes };
}

/** Where the labels file of an IDX images file usually is, compressed like the images file first. */
export function labelsFileCandidates(imagesFile: string): string[] {
  const folder = path.dirname(imagesFile);
  const gzipped = /\.gz$/i.test(imagesFile);
  const base = path.basename(imagesFile).replace(/\.gz$/i, '');
  const labels = base
    .replace(/images/gi, (match) => (match === 'IMAGES' ? 'LABELS' : 'labels'))
    .replace(/idx3/gi, 'idx1');
  if (labels === base) return [];
  const names = gzipped ? [`${labels}.gz`, labels] : [labels, `${labels}.gz`];
  return names.map((name) => path.join(folder, name));
}

/** An MNIST-format images file (idx3) and its labels file (idx1). Item path: `<images file>#<index>`. */
export async function openIdxDataset(imagesPath: string, options: IdxOptions = {}): Promise<Dataset> {
  const { labelsPath, split, ...rest } = options;
  const parts = [
    { imagesPath, ...(labelsPath !== undefined ? { labelsPath } : {}), ...(split !== undefined ? { split } : {}) },
  ];
  return createGrayArrayDataset(await readIdxParts(parts, rest), rest);
}

/** One images file of a data set made of several (Fashion-MNIST's training and test files). */
export interface IdxPart {
  imagesPath: string;
  /** Default: found beside the images file. */
  labelsPath?: string;
  /** Split of the part's items; default: "test" for t10k-* files, "train" for train-* files, else none. */
  split?: string;
}

interface ReadPart {
  imagesFile: string;
  labelsFile: string;
  images: { array: IdxArray; fileBytes: Uint8Array };
  labels: { array: IdxArray; fileBytes: Uint8Array };
  count: number;
  height: number;
  width: number;
  split: string | undefined;
}

async function readPart(part: IdxPart): Promise<ReadPart> {
  const imagesFile = path.resolve(part.imagesPath);
  const labelsFile = part.labelsPath !== undefined ? path.resolve(part.labelsPath) : findLabelsFile(imagesFile);
  const [images, labels] = await Promise.all([readIdxFile(imagesFile), readIdxFile(labelsFile)]);
  if (images.array.dims.length !== 3) {
    throw new InputError(`${imagesFile} has shape [${images.array.dims.join(', ')}], not [count, rows, columns]`, {
      hint: 'pass the images file (idx3), not the labels file',
    });
  }
  const [count, height, width] = images.array.dims as [number, number, number];
  if (labels.array.dims.length !== 1 || labels.array.dims[0] !== count) {
    throw new InputError(
      `labels file ${labelsFile} has shape [${labels.array.dims.join(', ')}], expected [${count}] for ${imagesFile}`,
      {
        hint: `pass the labels file that belongs to these images with ${option('labelsPath')}`,
      },
    );
  }
  const base = path.basename(imagesFile).replace(/\.gz$/i, '');
  const split = part.split ?? (base.startsWith('t10k') ? 'test' : base.startsWith('train') ? 'train' : undefined);
  return { imagesFile, labelsFile, images, labels, count, height, width, split };
}

/**
 * IDX images files of one image size, their items in the order of `parts`: an item's path names its file
 * and its index there (`<images file>#<index>`), its split the part's.
 */
export async function readIdxParts(
  parts: readonly IdxPart[],
  options: Pick<IdxOptions, 'labelNames' | 'name'> = {},
): Promise<GrayArraySource> {
  const read = await Promise.all(parts.map(readPart));
  const first = read[0]!;
  const mismatch = read.find((part) => part.width !== first.width || part.height !== first.height);
  if (mismatch !== undefined) {
    throw new InputError(
      `${mismatch.imagesFile} holds ${mismatch.width}x${mismatch.height} images, ${first.imagesFile} ${first.width}x${first.height}`,
      { hint: 'open IDX files of one image size together' },
    );
  }
  const base = path.basename(first.imagesFile).replace(/\.gz$/i, '');
  const looksFashion = /fashion/i.test(path.basename(path.dirname(first.imagesFile))) || /fashion/i.test(base);
  const names = options.labelNames ?? (looksFashion ? FASHION_MNIST_LABELS : undefined);
  const items: DatasetItem[] = [];
  for (const part of read) {
    part.labels.array.data.forEach((value, index) => {
      const label = names === undefined ? String(value) : names[value];
      if (label === undefined) {
        throw new InputError(
          `label ${value} of item ${index} in ${part.labelsFile} has no name among ${names!.length} label names`,
          {
            hint: 'give one name per label value in labelNames',
          },
        );
      }
      const split = part.split;
      items.push({
        index: items.length,
        path: `${part.imagesFile}#${index}`,
        label,
        ...(split !== undefined ? { split } : {}),
      });
    });
  }
  const fingerprint = new FingerprintBuilder('idx');
  for (const part of read) fingerprint.bytes(part.images.fileBytes).bytes(part.labels.fileBytes);
  fingerprint.text(...read.map((part) => part.split ?? ''), ...(names ?? []));
  const pixels = read.length === 1 ? first.images.array.data : concatenate(read.map((part) => part.images.array.data));
  return packedGraySource({
    name: options.name ?? base,
    items,
    fingerprint: fingerprint.digest(),
    images: { pixels, count: items.length, width: first.width, height: first.height },
  });
}

function concatenate(arrays: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}

function findLabelsFile(imagesFile: string): string {
  const candidates = labelsFileCandidates(imagesFile);
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    const tried = candidates.length > 0 ? `tried ${candidates.join(', ')}` : 'its name does not contain "images"';
    throw new InputError(`no labels file found beside ${imagesFile} (${tried})`, {
      hint: `pass the labels file with ${option('labelsPath')}`,
    });
  }
  return found;
}
