/**
 * The map's data as flat typed arrays, one entry per point (= per row of the projection, by ascending input
 * index): positions, and each point's pattern, membership probability and outlier score joined from the
 * clustering's memberships by input index.
 */
import type { ProjectionPoints } from '../../../../src/results/api-types.js';
import type { MembershipTable } from '../../data/tables.js';

/** patternId of a point that the clustering does not hold. */
export const NOT_CLUSTERED = -2;

export interface MapPoints {
  count: number;
  inputIndex: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

export interface PointMemberships {
  /** -1 = noise, NOT_CLUSTERED = not in the clustering. */
  patternId: Int32Array;
  /** NaN where unknown. */
  membership: Float32Array;
  outlierScore: Float32Array;
}

/** The projection's points; a non-finite coordinate (NaN) is neither drawn nor selectable. */
export function toMapPoints(projection: ProjectionPoints): MapPoints {
  const count = projection.inputIndex.length;
  if (projection.x.length !== count || projection.y.length !== count) {
    throw new Error(
      `the projection of ${projection.layer} has ${count} inputs but ${projection.x.length} x and ${projection.y.length} y values; make it again with nap project`,
    );
  }
  return { count, inputIndex: projection.inputIndex, x: projection.x, y: projection.y };
}

export function joinMemberships(points: MapPoints, table: MembershipTable | undefined): PointMemberships {
  const patternId = new Int32Array(points.count).fill(NOT_CLUSTERED);
  const membership = new Float32Array(points.count).fill(Number.NaN);
  const outlierScore = new Float32Array(points.count).fill(Number.NaN);
  if (table) {
    for (let i = 0; i < points.count; i++) {
      const row = table.rows.rowOf(points.inputIndex[i]!);
      if (row < 0) continue;
      patternId[i] = table.patternId[row]!;
      membership[i] = table.probability[row]!;
      outlierScore[i] = table.outlierScore[row]!;
    }
  }
  return { patternId, membership, outlierScore };
}

/** Points per pattern among `rows` (all points when null); index p + 1 holds pattern p, index 0 the noise. */
export function countByPattern(
  memberships: PointMemberships,
  patternCount: number,
  rows: Int32Array | null,
): Int32Array {
  const counts = new Int32Array(patternCount + 1);
  const add = (i: number) => {
    const p = memberships.patternId[i]!;
    if (p >= -1 && p < patternCount) counts[p + 1]!++;
  };
  if (rows) rows.forEach(add);
  else for (let i = 0; i < memberships.patternId.length; i++) add(i);
  return counts;
}
