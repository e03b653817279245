/**
 * The pictures galleries show for a run's inputs and the average picture of each pattern, whatever the
 * inputs are (InputPictureKind): images decoded from the run's dataset, rows of numbers drawn as a
 * sparkline over a heat strip (compute/series-image.ts), or the image a tensor dataset names for each row
 * (--image-column). The server's thumbnails and sheets, the static export and `nap report` all draw through
 * here, so an input looks the same everywhere.
 *
 * Averages of a run of images are computed by the analysis and stored; those of numbers and named images are
 * computed here from the stored contents when asked (a pattern's mean row with a band of ± one standard
 * deviation; the mean of its members' images), so that runs analysed before them have them too.
 */
import { MeanImages } from '../../compute/mean-images.js';
import { drawSeries, MeanSeries } from '../../compute/series-image.js';
import { NotFoundError } from '../../errors.js';
import { forEachConcurrent } from '../../io/datasets/concurrency.js';
import { decodeImageFile } from '../../io/datasets/decode.js';
import { inputImage, inputImagesAtOnce, openRunDataset } from '../../io/datasets/run-dataset.js';
import type { AverageImages, StoreReader } from '../../io/store/index.js';
import type { InputContentRecord } from '../../io/store/tensor-records.js';
import { inputPicturesOf, showsText } from '../input-content.js';
import type { InputPictureKind, RunRecord } from '../tables.js';

/** Side of the computed average pictures (stored averages of images are at most 96 pixels too). */
export const AVERAGE_SIDE = 96;

/** Images decoded at once (a sheet is 256 of them). */
const DECODE_CONCURRENCY = 8;

/** `draw` of every input, at most DECODE_CONCURRENCY at a time, in order. */
async function drawAll<T>(items: readonly T[], draw: (item: T) => Promise<Uint8Array>): Promise<Uint8Array[]> {
  const out = new Array<Uint8Array>(items.length);
  await forEachConcurrent(
    items.length,
    DECODE_CONCURRENCY,
    async (k) => {
      out[k] = await draw(items[k]!);
    },
    { stage: 'drawing inputs' },
  );
  return out;
}

export interface InputPicture {
  inputIndex: number;
  /** The input's stored dataset path (`file#row` for a row of a tensor dataset). */
  path: string | null;
}

/** How a run's inputs are drawn, known from the run alone (nothing is opened). */
export interface PictureFormat {
  kind: Exclude<InputPictureKind, 'text' | 'none'>;
  channels: 1 | 3;
}

export interface InputPictures extends PictureFormat {
  /** The images' own side when they all share one (28-pixel digits): a larger picture would only stretch them. */
  ownSide: number | undefined;
  /** size x size pixels (`channels` per pixel) of each input, in order; NotFoundError for one that cannot be drawn. */
  pictures(inputs: readonly InputPicture[], size: number): Promise<Uint8Array[]>;
}

type Store = Pick<
  StoreReader,
  'path' | 'readInputContents' | 'readAverageImages' | 'getClustering' | 'readMemberships'
>;

function noPictures(run: RunRecord): NotFoundError {
  return new NotFoundError(`the inputs of run ${run.runId} are texts or activations: they have no pictures`, {
    hint: 'galleries of such runs show each input as text',
  });
}

/** The stored contents of `inputIndex`, by input index; NotFoundError naming the first input without one. */
async function contentsOf(
  store: Store,
  runId: number,
  inputIndex: readonly number[],
): Promise<Map<number, InputContentRecord>> {
  const found = new Map(
    (await store.readInputContents(runId, Int32Array.from(inputIndex))).map((c) => [c.inputIndex, c]),
  );
  const missing = inputIndex.find((input) => !found.has(input));
  if (missing !== undefined) {
    throw new NotFoundError(`input ${missing} of run ${runId} has no stored content to draw`, {
      hint: 'analyze the data again with this nap',
    });
  }
  return found;
}

/** A named image at size x size RGB; NotFoundError naming the file when it is gone or unreadable. */
async function namedImage(content: InputContentRecord, size: number): Promise<Uint8Array> {
  const file = content.imagePath;
  if (file === null) {
    throw new NotFoundError(`input ${content.inputIndex} names no image`, {
      hint: 'give every row an image in the --image-column column',
    });
  }
  try {
    return (await decodeImageFile(file, { width: size, height: size, resize: 'stretch' })).data;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new NotFoundError(`the image ${file} of input ${content.inputIndex} cannot be read: ${reason}`, {
      hint: 'restore the file at that path, or analyze again with the images where they are now',
    });
  }
}

function drawnSeries(content: InputContentRecord, size: number): Uint8Array {
  if (content.series === null) {
    throw new NotFoundError(`input ${content.inputIndex} has no stored numbers to draw`, {
      hint: 'rows longer than 4096 values are not stored for drawing',
    });
  }
  return drawSeries(content.series, size);
}

/** How the run's inputs are drawn; NotFoundError for a run of texts. */
export function pictureFormat(run: RunRecord): PictureFormat {
  const kind = inputPicturesOf(run);
  if (showsText(kind)) throw noPictures(run);
  return { kind, channels: kind === 'dataset' && run.config.preprocessing?.channels === 1 ? 1 : 3 };
}

/** The pictures of the run's inputs; NotFoundError for a run of texts, or when its dataset is gone. */
export async function openInputPictures(store: Store, run: RunRecord): Promise<InputPictures> {
  const { kind, channels } = pictureFormat(run);
  if (kind === 'dataset') {
    const source = await openRunDataset({ datasetSpec: run.datasetSpec, split: run.config.split }, store.path);
    const own = source.dataset.imageSize;
    return {
      kind,
      channels,
      ownSide: own === undefined ? undefined : Math.max(own.width, own.height),
      async pictures(inputs, size) {
        const stored = inputs.map(({ inputIndex, path }) => {
          if (path === null) {
            throw new NotFoundError(`input ${inputIndex} of run ${run.runId} has no stored dataset path`, {
              hint: 'its image cannot be shown',
            });
          }
          return { inputIndex, path, datasetSpec: run.datasetSpec };
        });
        if (stored.length > 1) {
          const atOnce = await inputImagesAtOnce(source, stored, size, channels);
          if (atOnce !== null) return atOnce;
        }
        return drawAll(stored, (input) => inputImage(source, input, size, channels));
      },
    };
  }
  return {
    kind,
    channels,
    ownSide: undefined,
    async pictures(inputs, size) {
      const contents = await contentsOf(
        store,
        run.runId,
        inputs.map((input) => input.inputIndex),
      );
      return drawAll(inputs, async (input) => {
        const content = contents.get(input.inputIndex)!;
        return kind === 'images' ? namedImage(content, size) : drawnSeries(content, size);
      });
    },
  };
}

/**
 * The average picture of every pattern of a clustering: stored by the analysis for a run of images
 * (NotFoundError when none was), computed from the stored contents for numbers and named images.
 */
export async function averagePictures(store: Store, run: RunRecord, clusteringId: number): Promise<AverageImages> {
  const { kind } = pictureFormat(run);
  if (kind === 'dataset') return store.readAverageImages(clusteringId);
  const { patternCount } = await store.getClustering(clusteringId);
  const memberships = await store.readMemberships(clusteringId);
  const patternOf = new Map<number, number>();
  memberships.inputIndex.forEach((input, row) => {
    if (memberships.patternId[row]! >= 0) patternOf.set(input, memberships.patternId[row]!);
  });
  const pixelCount = AVERAGE_SIDE * AVERAGE_SIDE * 3;
  const pixels = new Uint8Array(patternCount * pixelCount);
  const contents = await store.readInputContents(run.runId, Int32Array.from(patternOf.keys()));
  if (kind === 'series') {
    const length = contents.find((c) => c.series !== null)?.series?.length ?? 0;
    const means = new MeanSeries(patternCount, length);
    for (const content of contents) {
      if (content.series !== null) means.add(patternOf.get(content.inputIndex)!, content.series);
    }
    for (let p = 0; p < patternCount; p++) {
      if (means.count(p) === 0) continue;
      const { mean, band } = means.summary(p);
      pixels.set(drawSeries(mean, AVERAGE_SIDE, band), p * pixelCount);
    }
  } else {
    const means = new MeanImages(patternCount, pixelCount);
    const named = contents.filter((c) => c.imagePath !== null);
    await forEachConcurrent(
      named.length,
      DECODE_CONCURRENCY,
      async (k) => means.add(patternOf.get(named[k]!.inputIndex)!, await namedImage(named[k]!, AVERAGE_SIDE)),
      { stage: 'average images' },
    );
    for (let p = 0; p < patternCount; p++) pixels.set(means.mean(p), p * pixelCount);
  }
  return {
    patternId: Int32Array.from({ length: patternCount }, (_, p) => p),
    width: AVERAGE_SIDE,
    height: AVERAGE_SIDE,
    channels: 3,
    pixels,
  };
}
