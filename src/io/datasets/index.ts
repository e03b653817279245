/**
 * Data sets: where model inputs come from and how they become float tensors.
 * Open one with openDataset (or a source's own opener), sample it with sampleIndices, then call
 * dataset.load(indices, preprocessing) for batches and dataset.pixels(...) for thumbnails.
 */
export type {
  Dataset,
  DatasetItem,
  DatasetOptions,
  DecodeTarget,
  FailedItem,
  LoadedBatch,
  Preprocessing,
  RawImage,
  ResizeMode,
} from './types.js';
export { openDataset, DEFAULT_FASHION_MNIST_DIR, type OpenDatasetOptions } from './open.js';
export { openImageFolder, IMAGE_EXTENSIONS, type ImageFolderOptions } from './folder.js';
export { openManifest, type ManifestEntry } from './manifest.js';
export { openIdxDataset, parseIdx, readIdxFile, FASHION_MNIST_LABELS, type IdxArray, type IdxOptions } from './idx.js';
export { openMnistPackage } from './mnist-package.js';
export { sampleIndices, mulberry32, type SampleOptions } from './sample.js';
export {
  resolvePreprocessing,
  convertChannels,
  writeTensorRow,
  tensorDims,
  type ResolvedPreprocessing,
} from './preprocess.js';
