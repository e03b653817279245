import type { TaskControl } from '../../../progress.js';
import type { Matrix } from '../../matrix.js';
import { visitMembershipVectors, type MembershipOptions } from './all-points.js';
import type { SoftTree } from './soft-tree.js';

/**
 * The compact form of membership vectors kept in the store: each point's `width` strongest labels,
 * strongest first (equal strengths: the smaller label first), row-major `count x width`. A point
 * with fewer labels than `width` has label -1 and strength 0 in the empty places.
 */
export interface StrongestMemberships {
  count: number;
  width: number;
  labels: Int32Array;
  strengths: Float32Array;
}

/** Each point's `width` strongest entries of its membership vector (see allPointsMembershipVectors). */
export async function strongestMemberships(
  matrix: Matrix,
  soft: SoftTree,
  options: MembershipOptions & { width: number },
  control?: TaskControl,
): Promise<StrongestMemberships> {
  const { width, ...membership } = options;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`width ${width} is not a whole number >= 1`);
  const count = soft.pointCount;
  const labels = new Int32Array(count * width).fill(-1);
  const strengths = new Float32Array(count * width);
  const top = new Float64Array(width);
  const topLabels = new Int32Array(width);
  await visitMembershipVectors(
    matrix,
    soft,
    (point, row) => {
      topLabels.fill(-1);
      keepStrongest(row, topLabels, top);
      for (let i = 0; i < width; i++) {
        labels[point * width + i] = topLabels[i]!;
        strengths[point * width + i] = topLabels[i]! < 0 ? 0 : top[i]!;
      }
    },
    membership,
    control,
  );
  return { count, width, labels, strengths };
}

/** The largest entries of `row`, descending: their labels into `labels`, their values into `values`. */
function keepStrongest(row: Float64Array, labels: Int32Array, values: Float64Array): void {
  const width = labels.length;
  values.fill(-Infinity);
  for (let label = 0; label < row.length; label++) {
    const value = row[label]!;
    if (value <= values[width - 1]!) continue;
    let at = width - 1;
    while (at > 0 && values[at - 1]! < value) {
      values[at] = values[at - 1]!;
      labels[at] = labels[at - 1]!;
      at--;
    }
    values[at] = value;
    labels[at] = label;
  }
}
