import type { TaskControl } from '../../progress.js';
import type { ElementType, NamedTensor } from '../tensor.js';

/** One input of a dataset; `index` is its position in `Dataset.items`. */
export interface DatasetItem {
  index: number;
  /** A file path, or `<file>#<index>` / `mnist#<index>` for items packed inside one file. */
  path: string;
  label: string;
  split?: string;
}

/** How decoded 8-bit pixels become the model's float input. */
export interface Preprocessing {
  width: number;
  height: number;
  channels: 1 | 3;
  layout: 'NCHW' | 'NHWC';
  /** stretch (default): ignore aspect ratio; fit: letterbox on black; crop: scale to cover, then center-crop. */
  resize?: ResizeMode;
  /** Multiplies the 8-bit value; default 1/255. */
  scale?: number;
  /** Per channel, subtracted after scaling; default none. */
  mean?: number[];
  /** Per channel, divides after subtracting the mean; default none. */
  std?: number[];
}

export type ResizeMode = 'stretch' | 'fit' | 'crop';

/** A file or folder a source could not take in; `path` shows its name as best it can. */
export interface UnlistedEntry {
  path: string;
  reason: string;
}

export interface FailedItem {
  index: number;
  path: string;
  reason: string;
}

/** A float32 batch [n, ...] in the requested layout; rows of `failed` items are all zero. */
export interface LoadedBatch {
  data: Float32Array;
  dims: number[];
  failed: FailedItem[];
}

/** What every dataset has: its items, labels and identity. */
export interface DatasetBase {
  readonly name: string;
  readonly items: DatasetItem[];
  /** Sorted distinct labels (natural order: "2" before "10"). */
  readonly labels: string[];
  /** Stable hash of the item list and the source content identity (file sizes and mtimes, or bytes). */
  readonly fingerprint: string;
  /** Files and folders the source left out while listing itself (names that are not valid UTF-8), with why. */
  readonly unlisted?: readonly UnlistedEntry[];
}

/** Images: decoded and preprocessed into a model's image input. */
export interface Dataset extends DatasetBase {
  readonly kind?: 'images';
  /** Decodes items (in parallel) into a preprocessed float32 batch, one row per entry of `indices`. */
  load(indices: ArrayLike<number>, prep: Preprocessing, control?: TaskControl): Promise<LoadedBatch>;
  /** Every image's own size, when all share one (IDX files, the mnist package); absent for folders. */
  readonly imageSize?: { width: number; height: number };
  /** The item's image as 8-bit HWC pixels stretched to `size` (for thumbnails and average images). */
  pixels(index: number, size: { width: number; height: number }, channels: 1 | 3): Promise<Uint8Array>;
  /**
   * The images of many items, each the same pixels as pixels() gives it, for less CPU than one call each
   * (a thumbnail sheet); absent where each image is decoded on its own anyway (folders of files).
   */
  pixelsMany?(
    indices: readonly number[],
    size: { width: number; height: number },
    channels: 1 | 3,
  ): Promise<Uint8Array[]>;
}

/** What every dataset source accepts. */
export interface DatasetOptions {
  /**
   * What `load` does with an image it cannot read or decode: 'skip' (default) reports it in
   * `LoadedBatch.failed` and leaves its row zero; 'fail' throws an InputError naming the file.
   */
  onBadImage?: 'skip' | 'fail';
  /** Most image decodes in flight at once; default 2 x the available cores. */
  concurrency?: number;
}

/** 8-bit pixels, row-major HWC. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** The size and resize mode a source should decode an image to. */
export interface DecodeTarget {
  width: number;
  height: number;
  resize: ResizeMode;
}

/** One named array of a tensor dataset: an item's values are one row of it. */
export interface TensorArray {
  name: string;
  type: ElementType;
  /** Dims of one item's row (the array's dims without its first axis). */
  itemDims: number[];
}

/** What a gallery shows for an item that is not an image: its text, its numbers, or an image the user named. */
export interface ItemContent {
  text?: string;
  /** The item's values (a row of numbers), for a sparkline or heat strip. */
  series?: Float32Array;
  /** Path of an image the dataset names for the item. */
  image?: string;
}

/** Arrays of numbers (npy/npz, raw float32, Parquet/CSV columns, tokenized text), fed to model inputs by name. */
export interface TensorDataset extends DatasetBase {
  readonly kind: 'tensors';
  readonly arrays: TensorArray[];
  /** Rows of every array for the items at `indices`, one tensor per array (batch first). */
  loadArrays(indices: ArrayLike<number>): Promise<NamedTensor[]>;
  /** What a gallery shows for item `index`. */
  content(index: number): ItemContent;
}
