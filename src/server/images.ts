/**
 * PNG images for the app: thumbnails of inputs (an image from the run's dataset, a row of numbers drawn, an
 * image the dataset names: results/node/input-pictures.ts), average images of patterns and feature visualizations (`nap visualize`), from the store. Thumbnails come one by one or as sprite sheets (src/results/sprites.ts) of up
 * to 256 inputs, one request per gallery window. Encoded PNGs are kept in a memory LRU (by bytes), and
 * thumbnails and sheets also in a disk cache of this user's (disk-cache.ts), so that a grid of thousands
 * of tiles is served without decoding the dataset again, even after a restart.
 */
import { createHash } from 'node:crypto';
import { InputError, NotFoundError } from '../errors.js';
import { encodePng } from '../io/images/png.js';
import {
  averagePictures,
  openInputPictures,
  pictureFormat,
  type InputPictures,
} from '../results/node/input-pictures.js';
import { encodeSheet } from '../results/node/sprite-sheet.js';
import type { AverageImages, FeatureVisualization, NapStore } from '../io/store/index.js';
import { LruCache, PromiseCache } from '../results/cache.js';
import type { ResultsTables } from '../results/results-tables.js';
import { SHEET_CELLS } from '../results/sprites.js';
import type { RunRecord } from '../results/tables.js';
import type { DiskCache } from './disk-cache.js';

export interface ImageServiceOptions {
  /** Memory budget of encoded PNGs in bytes. */
  memoryBytes: number;
  /** The thumbnail disk cache, or null for none. */
  disk: DiskCache | null;
}

export class ImageService {
  private readonly memory: LruCache<string, Buffer>;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private readonly pictures = new PromiseCache<number, InputPictures>(4);
  // One read per clustering: a card grid asks for every pattern's image at once.
  private readonly averages = new PromiseCache<number, AverageImages>(16);
  // One read per layer: a page shows all the images of a unit or pattern at once.
  private readonly features = new PromiseCache<string, FeatureVisualization[]>(8);

  constructor(
    private readonly store: NapStore,
    private readonly tables: ResultsTables,
    private readonly options: ImageServiceOptions,
  ) {
    this.memory = new LruCache<string, Buffer>(options.memoryBytes, (png) => png.length);
  }

  /** The input's picture as a size x size PNG. */
  async thumbnail(runId: number, inputIndex: number, size: number): Promise<Buffer> {
    const { run, inputPath } = await this.inputPath(runId, inputIndex);
    const { kind, channels } = pictureFormat(run);
    const key = `thumb:${kind}:${run.datasetFingerprint}:${inputPath}:${size}:${channels}`;
    return this.cached(key, async () => {
      const [pixels] = await (await this.picturesOf(run)).pictures([{ inputIndex, path: inputPath }], size);
      return encodePng(pixels!, size, size, channels);
    });
  }

  /**
   * The thumbnails of `inputIndex` (1..SHEET_CELLS inputs), size x size each, as one sprite sheet
   * (src/results/sprites.ts) in the given order; kept in the memory and disk caches like a thumbnail.
   */
  async thumbnailSheet(runId: number, inputIndex: readonly number[], size: number): Promise<Buffer> {
    if (inputIndex.length === 0 || inputIndex.length > SHEET_CELLS) {
      throw new InputError(`a thumbnail sheet holds 1..${SHEET_CELLS} inputs, not ${inputIndex.length}`, {
        hint: `ask for at most ${SHEET_CELLS} inputs per sheet`,
      });
    }
    const found = await Promise.all(inputIndex.map((input) => this.inputPath(runId, input)));
    const run = found[0]!.run;
    const { kind, channels } = pictureFormat(run);
    const paths = createHash('sha256')
      .update(found.map((f) => f.inputPath).join('\n'))
      .digest('hex');
    const key = `sheet:${kind}:${run.datasetFingerprint}:${paths}:${size}:${channels}`;
    return this.cached(key, async () => {
      const cells = await (
        await this.picturesOf(run)
      ).pictures(
        found.map(({ inputPath }, k) => ({ inputIndex: inputIndex[k]!, path: inputPath })),
        size,
      );
      return encodeSheet(cells, size, size, channels);
    });
  }

  private async inputPath(runId: number, inputIndex: number): Promise<{ run: RunRecord; inputPath: string }> {
    const run = await this.tables.run(runId);
    const inputs = await this.tables.inputs(runId);
    const row = inputs.rows.rowOf(inputIndex);
    if (row < 0) {
      throw new NotFoundError(`input ${inputIndex} is not in run ${runId}`, {
        hint: `run ${runId} has ${inputs.inputIndex.length} inputs`,
      });
    }
    const inputPath = inputs.path[row];
    if (inputPath === null || inputPath === undefined) {
      throw new NotFoundError(`input ${inputIndex} of run ${runId} has no stored dataset path`, {
        hint: 'its image cannot be shown',
      });
    }
    return { run, inputPath };
  }

  /** Opens how the run's inputs are drawn ahead of its first thumbnail (a packaged dataset loads in about a second). */
  async prefetch(runId: number): Promise<void> {
    await this.picturesOf(await this.tables.run(runId));
  }

  /** How the run's inputs are drawn, opened once per run (a run of images opens its dataset). */
  private picturesOf(run: RunRecord): Promise<InputPictures> {
    return this.pictures.get(run.runId, () => openInputPictures(this.store, run));
  }

  /** The pattern's average image as PNG (stored, or drawn from its members' contents), at its own size or resized to size x size. */
  async averageImage(clusteringId: number, patternId: number, size?: number): Promise<Buffer> {
    if (patternId === -1) {
      throw new NotFoundError(`noise (pattern -1) of clustering ${clusteringId} has no average image`, {
        hint: 'average images exist for patterns 0 and up',
      });
    }
    await this.tables.requirePattern(clusteringId, patternId, false);
    return this.cached(`avg:${clusteringId}:${patternId}:${size ?? 'stored'}`, async () => {
      const images = await this.averages.get(clusteringId, async () => {
        const { runId } = await this.tables.clustering(clusteringId);
        return averagePictures(this.store, await this.tables.run(runId), clusteringId);
      });
      const k = images.patternId.indexOf(patternId);
      if (k < 0) {
        throw new NotFoundError(`pattern ${patternId} of clustering ${clusteringId} has no stored average image`, {
          hint: 'average images are stored by nap analyze',
        });
      }
      const bytes = images.width * images.height * images.channels;
      const pixels = images.pixels.subarray(k * bytes, (k + 1) * bytes);
      return encodePng(pixels, images.width, images.height, images.channels, size);
    });
  }

  /** Feature visualization `row` of the layer (its row in the layer's FeatureImagesResponse) as PNG. */
  async featureImage(runId: number, layer: string, row: number, size?: number): Promise<Buffer> {
    const info = await this.tables.layer(runId, layer);
    const images = await this.features.get(JSON.stringify([runId, info.layer]), () =>
      this.store.readFeatureVisualizations(runId, info.layer),
    );
    const image = images[row];
    if (image === undefined) {
      throw new NotFoundError(
        `layer ${JSON.stringify(info.layer)} of run ${runId} has no feature visualization ${row}`,
        {
          hint:
            images.length === 0
              ? `make them with nap visualize <results file> --run ${runId} --layer ${JSON.stringify(info.layer)}`
              : `its images are 0..${images.length - 1} (GET .../feature-images lists them)`,
        },
      );
    }
    return this.cached(`feature:${runId}:${info.layer}:${row}:${size ?? 'stored'}`, () =>
      encodePng(image.pixels, image.width, image.height, image.channels, size),
    );
  }

  private async cached(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.memory.get(key);
    if (hit !== undefined) return hit;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.fromDisk(key, make).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const png = await pending;
    this.memory.set(key, png);
    return png;
  }

  /** Thumbnails and sheets also live in the disk cache (average and feature images are read from the store quickly). */
  private async fromDisk(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    const disk = key.startsWith('avg:') || key.startsWith('feature:') ? null : this.options.disk;
    const diskName = `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.png`;
    const onDisk = (await disk?.get(diskName)) ?? null;
    if (onDisk !== null) return onDisk;
    const png = await make();
    await disk?.set(diskName, png);
    return png;
  }
}
