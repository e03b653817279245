/**
 * What a gallery shows for an input that is not an image: its text or its numbers written out (input
 * contents, stored by runs on tensor datasets), or the name of its row (activations computed elsewhere,
 * which store none). Image inputs have none and show their thumbnail.
 */

/** Model layouts of runs whose inputs are not images: a tensor dataset's arrays, activations computed elsewhere. */
const CONTENT_LAYOUTS = new Set(['tensors', 'activations']);

/** True when the run's inputs are not images, so that galleries show their contents instead of thumbnails. */
export function showsContents(run: { modelLayout: string }): boolean {
  return CONTENT_LAYOUTS.has(run.modelLayout);
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
