/**
 * What a gallery shows for an input that is not an image: a picture drawn from its numbers or the image the
 * dataset names for it (InputPictureKind), else its text or its numbers written out (input contents, stored
 * by runs on tensor datasets), or the name of its row (activations computed elsewhere, which store none).
 * The content text is also the tooltip of a drawn input. Image inputs have none and show their thumbnail.
 */
import type { InputPictureKind } from './tables.js';

/** Model layouts of runs whose inputs are not images: a tensor dataset's arrays, activations computed elsewhere. */
const CONTENT_LAYOUTS = new Set(['tensors', 'activations']);

/** True when the run's inputs are not images, so that galleries show their contents instead of thumbnails. */
export function showsContents(run: { modelLayout: string }): boolean {
  return CONTENT_LAYOUTS.has(run.modelLayout);
}

/**
 * What the run's galleries draw: as stored with the run, else (an export of an older nap) its dataset's
 * images for a run of images and nothing for the others.
 */
export function inputPicturesOf(run: { modelLayout: string; inputPictures?: InputPictureKind }): InputPictureKind {
  return run.inputPictures ?? (showsContents(run) ? 'none' : 'dataset');
}

/** The picture kind of a run from how many of its inputs store each kind of content: a named image, numbers, a text. */
export function pictureKindOf(
  run: { modelLayout: string },
  contents: { texts: number; series: number; images: number } | undefined,
): InputPictureKind {
  if (!showsContents(run)) return 'dataset';
  if (contents === undefined) return 'none';
  if (contents.images > 0) return 'images';
  return contents.series > 0 ? 'series' : contents.texts > 0 ? 'text' : 'none';
}

/** True when the run's galleries draw no picture: each input shows as its text or its name. */
export function showsText(kind: InputPictureKind): kind is 'text' | 'none' {
  return kind === 'text' || kind === 'none';
}

/** Numbers of a row written out in a content text; a longer row is cut there and says how long it is. */
export const CONTENT_NUMBERS = 64;

/** The input's content as text: its text when it has one, else its numbers (3 significant digits), else null. */
export function contentText(content: { text: string | null; series: Float32Array | null }): string | null {
  if (content.text !== null) return content.text;
  if (content.series === null) return null;
  const shown = Array.from(content.series.subarray(0, CONTENT_NUMBERS), (value) => formatValue(value));
  const more = content.series.length > CONTENT_NUMBERS ? ` … (${content.series.length} values)` : '';
  return `${shown.join(' ')}${more}`;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  return String(Number(value.toPrecision(3)));
}
