/** A dataset of named arrays held in memory, one row per item (see TensorDataset). */
import { InputError } from '../../errors.js';
import type { NamedTensor } from '../tensor.js';
import { FingerprintBuilder } from './fingerprint.js';
import { distinctSortedLabels } from './labels.js';
import type { DatasetItem, ItemContent, TensorArray, TensorDataset } from './types.js';

/** Longest row kept as a gallery series: longer rows are not drawn as a sparkline. */
const MAX_SERIES = 4096;

export interface TensorSource {
  name: string;
  /** Names items `<itemPrefix>#<index>`. */
  itemPrefix: string;
  arrays: NamedTensor[];
  /** One label per item, or null (unlabelled: every label is ''). */
  labels: string[] | null;
  /** Per item text (a text column), shown by a gallery. */
  texts?: string[] | undefined;
  /** Per item image path (an image column), shown by a gallery. */
  images?: string[] | undefined;
  /** What identifies the source's content besides the arrays (file identity, options). */
  identity: string[];
}

export function createTensorDataset(source: TensorSource): TensorDataset {
  const first = source.arrays[0];
  if (first === undefined) {
    throw new InputError(`${source.name} holds no arrays`, { hint: 'give the data as numbers (npy, npz, columns)' });
  }
  const count = first.dims[0]!;
  for (const array of source.arrays) {
    if (array.dims[0] !== count) {
      throw new InputError(
        `array '${array.name}' of ${source.name} has ${array.dims[0]} rows, array '${first.name}' ${count}`,
        { hint: 'every array needs one row per item' },
      );
    }
  }
  for (const [what, list] of [
    ['labels', source.labels],
    ['texts', source.texts],
    ['images', source.images],
  ] as const) {
    if (list && list.length !== count) {
      throw new InputError(`${source.name} has ${count} items but ${list.length} ${what}`, {
        hint: `give exactly one of the ${what} per item`,
      });
    }
  }
  const items: DatasetItem[] = Array.from({ length: count }, (_, index) => ({
    index,
    path: `${source.itemPrefix}#${index}`,
    label: source.labels?.[index] ?? '',
  }));
  const arrays: TensorArray[] = source.arrays.map((array) => ({
    name: array.name,
    type: array.type,
    itemDims: array.dims.slice(1),
  }));
  const fingerprint = new FingerprintBuilder('tensors').text(...source.identity, ...items.map((item) => item.label));
  for (const array of source.arrays) {
    fingerprint.text(array.name, array.type, array.dims.join(','));
    fingerprint.bytes(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength));
  }
  for (const text of source.texts ?? []) fingerprint.text(text);
  const seriesArray = source.arrays.find((array) => array.type === 'float32' && array.dims.length === 2);
  return {
    kind: 'tensors',
    name: source.name,
    items,
    labels: distinctSortedLabels(items),
    fingerprint: fingerprint.digest(),
    arrays,
    loadArrays(indices) {
      const rows = Array.from(indices);
      for (const row of rows) {
        if (!Number.isInteger(row) || row < 0 || row >= count) {
          throw new InputError(`item index ${row} is outside dataset "${source.name}"`, {
            hint: `use a whole number from 0 to ${count - 1}`,
          });
        }
      }
      const tensors = source.arrays.map((array): NamedTensor => {
        const size = array.data.length / count;
        const data = new (array.data.constructor as new (length: number) => NamedTensor['data'])(rows.length * size);
        rows.forEach((row, i) => data.set(array.data.subarray(row * size, (row + 1) * size) as never, i * size));
        return { name: array.name, type: array.type, dims: [rows.length, ...array.dims.slice(1)], data };
      });
      return Promise.resolve(tensors);
    },
    content(index) {
      const content: ItemContent = {};
      const text = source.texts?.[index];
      if (text !== undefined) content.text = text;
      const image = source.images?.[index];
      if (image !== undefined) content.image = image;
      if (text === undefined && seriesArray && seriesArray.dims[1]! <= MAX_SERIES) {
        const size = seriesArray.dims[1]!;
        content.series = (seriesArray.data as Float32Array).slice(index * size, (index + 1) * size);
      }
      return content;
    },
  };
}
