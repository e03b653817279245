/**
 * PNG images for the app: thumbnails of inputs, made from the run's dataset, and average images of
 * patterns, from the store. Encoded PNGs are kept in a memory LRU (by bytes) and thumbnails also in a disk
 * cache of this user's (disk-cache.ts), so that a grid of thousands of tiles is served without decoding the
 * dataset again, even after a restart.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { NapError, NotFoundError } from '../errors.js';
import { openDataset } from '../io/datasets/open.js';
import type { Dataset } from '../io/datasets/types.js';
import type { RunRecord } from '../io/store/index.js';
import type { DiskCache } from './disk-cache.js';
import { LruCache, PromiseCache } from './lru.js';
import type { StoreViews } from './store-views.js';
import { runConfig } from '../engine/run-config.js';

export interface ImageServiceOptions {
  /** Memory budget of encoded PNGs in bytes. */
  memoryBytes: number;
  /** The thumbnail disk cache, or null for none. */
  disk: DiskCache | null;
}

/** A run's dataset, reopened from its stored spec, with each stored input path's dataset item. */
interface RunDataset {
  dataset: Dataset;
  itemOfPath: Map<string, number>;
  channels: 1 | 3;
}

/** What analyze stores in a run's config that the thumbnails need. */
const BUILT_IN_DATASETS = new Set(['mnist', 'fashion-mnist']);

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

export class ImageService {
  private readonly memory: LruCache<string, Buffer>;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private readonly datasets = new PromiseCache<number, RunDataset>(4);

  constructor(
    private readonly views: StoreViews,
    private readonly options: ImageServiceOptions,
  ) {
    this.memory = new LruCache<string, Buffer>(options.memoryBytes, (png) => png.length);
  }

  /** The input's image from the run's dataset as a size x size PNG. */
  async thumbnail(runId: number, inputIndex: number, size: number): Promise<Buffer> {
    const run = await this.views.run(runId);
    const inputs = await this.views.inputs(runId);
    const row = inputs.rowOf(inputIndex);
    if (row < 0) {
      throw new NotFoundError(`input ${inputIndex} is not in run ${runId}`, {
        hint: `run ${runId} has ${inputs.index.length} inputs`,
      });
    }
    const inputPath = inputs.path[row];
    if (inputPath === null || inputPath === undefined) {
      throw new NotFoundError(`input ${inputIndex} of run ${runId} has no stored dataset path`, {
        hint: 'its image cannot be shown',
      });
    }
    const channels = channelsOf(run);
    const key = `thumb:${run.datasetFingerprint}:${inputPath}:${size}:${channels}`;
    return this.cached(key, async () => {
      const diskName = `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.png`;
      const onDisk = (await this.options.disk?.get(diskName)) ?? null;
      if (onDisk !== null) return onDisk;
      const { dataset, itemOfPath } = await this.datasets.get(runId, () => openRunDataset(run, this.views.store.path));
      const item = itemOfPath.get(inputPath);
      if (item === undefined) {
        throw new NotFoundError(
          `input ${inputIndex} (${inputPath}) is no longer in the dataset at ${run.datasetSpec}`,
          {
            hint: 'the dataset changed since the analysis; restore it or analyze again',
          },
        );
      }
      let pixels: Uint8Array;
      try {
        pixels = await dataset.pixels(item, { width: size, height: size }, channels);
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new NotFoundError(`the image of input ${inputIndex} (${inputPath}) cannot be read: ${reason}`, {
          hint: 'fix or restore the file',
        });
      }
      const png = await encodePng(pixels, size, size, channels);
      await this.options.disk?.set(diskName, png);
      return png;
    });
  }

  /** The pattern's stored average image as PNG, at its stored size or resized to size x size. */
  async averageImage(clusteringId: number, patternId: number, size?: number): Promise<Buffer> {
    if (patternId === -1) {
      throw new NotFoundError(`noise (pattern -1) of clustering ${clusteringId} has no average image`, {
        hint: 'average images exist for patterns 0 and up',
      });
    }
    await this.views.requirePattern(clusteringId, patternId, false);
    return this.cached(`avg:${clusteringId}:${patternId}:${size ?? 'stored'}`, async () => {
      const image = await this.views.store.readAverageImages(clusteringId, patternId);
      return encodePng(image.pixels, image.width, image.height, image.channels, size);
    });
  }

  private async cached(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.memory.get(key);
    if (hit !== undefined) return hit;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = make().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const png = await pending;
    this.memory.set(key, png);
    return png;
  }
}

function channelsOf(run: RunRecord): 1 | 3 {
  return runConfig(run).preprocessing?.channels === 1 ? 1 : 3;
}

/** The places a stored dataset spec may be: as given (from the current folder), then from the store's folder. */
function specCandidates(spec: string, storePath: string): string[] {
  if (BUILT_IN_DATASETS.has(spec.trim().toLowerCase()) || path.isAbsolute(spec)) return [spec];
  const besideStore = path.resolve(path.dirname(storePath), spec);
  return besideStore === path.resolve(spec) ? [spec] : [spec, besideStore];
}

async function openRunDataset(run: RunRecord, storePath: string): Promise<RunDataset> {
  const { split } = runConfig(run).options;
  let lastError: unknown;
  for (const spec of specCandidates(run.datasetSpec, storePath)) {
    try {
      const dataset = await openDataset(spec, split === undefined ? {} : { split });
      const itemOfPath = new Map(dataset.items.map((item) => [item.path, item.index]));
      return { dataset, itemOfPath, channels: channelsOf(run) };
    } catch (error) {
      lastError = error;
    }
  }
  const reason = lastError instanceof NapError ? lastError.message.split('\n')[0] : String(lastError);
  throw new NotFoundError(`the dataset is not available at ${run.datasetSpec} (${reason})`, {
    hint: 'thumbnails are made from the dataset that run analysed; restore it there (a relative path is tried from the current folder and from the store folder)',
  });
}
