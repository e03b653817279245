/**
 * Near members: noise inputs of a clustering with their strongest soft membership (the pattern they are
 * nearest to, and how strongly). Coverage at a strength counts the inputs in a pattern plus the near
 * members at least that strong; a pattern page lists its own near members.
 */
import type { MembershipsTable, SoftMembershipsTable } from './tables.js';

/** Noise inputs that have a strongest soft membership, strongest first, then by input index. */
export interface NearMembers {
  inputIndex: Int32Array;
  patternId: Int32Array;
  strength: Float32Array;
}

/** Both tables are by ascending input index (soft: then by rank, 0 strongest). */
export function nearMembersOf(memberships: MembershipsTable, soft: SoftMembershipsTable): NearMembers {
  const found: number[] = [];
  let row = 0;
  for (let k = 0; k < soft.inputIndex.length; k++) {
    if (soft.rank[k] !== 0) continue;
    const input = soft.inputIndex[k]!;
    while (row < memberships.inputIndex.length && memberships.inputIndex[row]! < input) row++;
    if (memberships.inputIndex[row] === input && memberships.patternId[row] === -1) found.push(k);
  }
  found.sort((a, b) => soft.strength[b]! - soft.strength[a]! || soft.inputIndex[a]! - soft.inputIndex[b]!);
  return {
    inputIndex: Int32Array.from(found, (k) => soft.inputIndex[k]!),
    patternId: Int32Array.from(found, (k) => soft.patternId[k]!),
    strength: Float32Array.from(found, (k) => soft.strength[k]!),
  };
}

/** How many of `strengths` (descending) are at least `threshold`. */
export function countAtLeast(strengths: ArrayLike<number>, threshold: number): number {
  let low = 0;
  let high = strengths.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (strengths[mid]! >= threshold) low = mid + 1;
    else high = mid;
  }
  return low;
}
