/**
 * Member selection: which members of a pattern pass the label, prediction and correctness filters, in
 * which order, and how many per pattern. The one implementation behind the members route, the pattern
 * card sizes, the histogram of a filtered pattern and "select all" in the app.
 */
import type { MemberOrder } from './api-types.js';
import type { IndexedInputs } from './input-index.js';
import type { MembershipsTable } from './tables.js';

/** Filters combine with AND; an absent field does not filter. */
export interface MemberFilter {
  /** The input's label. */
  label?: string;
  /** The predicted label. */
  prediction?: string;
  /** Misclassified (true) or correctly classified (false); see isMisclassified. */
  misclassified?: boolean;
}

export function isFiltering(filter: MemberFilter): boolean {
  return filter.label !== undefined || filter.prediction !== undefined || filter.misclassified !== undefined;
}

/** Whether the input at table row `row` passes (row -1, an input the table lacks, never does when filtering). */
export function passes(inputs: IndexedInputs, row: number, filter: MemberFilter): boolean {
  if (!isFiltering(filter)) return true;
  if (row < 0) return false;
  if (filter.label !== undefined && inputs.label[row] !== filter.label) return false;
  if (filter.prediction !== undefined && inputs.predictionLabel[row] !== filter.prediction) return false;
  return filter.misclassified === undefined || (inputs.misclassified[row] === 1) === filter.misclassified;
}

/**
 * A clustering's membership rows grouped by pattern, each group in membership order: one pass over the
 * table, after which a pattern's members cost its own size instead of a scan of every input (at a million
 * inputs, a scan per member page was most of the server's time). The pattern summaries group by it too.
 */
export interface PatternGroups {
  /** Rows of pattern p are rows[start[p + 1]] .. rows[start[p + 2] - 1]; the noise (-1) comes first. */
  start: Int32Array;
  rows: Int32Array;
}

export function groupByPattern(memberships: MembershipsTable): PatternGroups {
  const { patternId } = memberships;
  let top = -1;
  for (let row = 0; row < patternId.length; row++) if (patternId[row]! > top) top = patternId[row]!;
  const start = new Int32Array(top + 3);
  for (let row = 0; row < patternId.length; row++) start[patternId[row]! + 2]!++;
  for (let k = 1; k < start.length; k++) start[k]! += start[k - 1]!;
  const next = start.slice(0, -1);
  const rows = new Int32Array(patternId.length);
  for (let row = 0; row < patternId.length; row++) rows[next[patternId[row]! + 1]!++] = row;
  return { start, rows };
}

/** The membership rows of pattern `patternId` (-1: noise), in membership order: a view into `groups`. */
export function rowsOfPattern(groups: PatternGroups, patternId: number): Int32Array {
  const k = patternId + 1;
  if (k < 0 || k + 1 >= groups.start.length) return new Int32Array(0);
  return groups.rows.subarray(groups.start[k], groups.start[k + 1]);
}

/**
 * Membership rows of pattern `patternId` (-1: noise) whose inputs pass, in membership order (`inputs` may be
 * left out when not filtering); `groups` (groupByPattern of the same table) spares the scan of every row.
 */
export function memberRows(
  memberships: MembershipsTable,
  inputs: IndexedInputs | undefined,
  patternId: number,
  filter: MemberFilter,
  groups?: PatternGroups,
): Int32Array {
  const filtering = isFiltering(filter);
  if (filtering && inputs === undefined) throw new Error('filtering members needs the inputs table');
  const keep = (row: number) => !filtering || passes(inputs!, inputs!.rows.rowOf(memberships.inputIndex[row]!), filter);
  if (groups !== undefined) return rowsOfPattern(groups, patternId).filter(keep);
  const rows: number[] = [];
  memberships.patternId.forEach((id, row) => {
    if (id === patternId && keep(row)) rows.push(row);
  });
  return Int32Array.from(rows);
}

/** Input indices of pattern `patternId`'s members that pass, in membership order. */
export function memberIndices(
  memberships: MembershipsTable,
  inputs: IndexedInputs | undefined,
  patternId: number,
  filter: MemberFilter = {},
): number[] {
  return Array.from(memberRows(memberships, inputs, patternId, filter), (row) => memberships.inputIndex[row]!);
}

/** Members per pattern that pass; index p + 1 holds pattern p, index 0 the noise. */
export function filteredSizes(
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  filter: MemberFilter,
  patternCount: number,
): Int32Array {
  const sizes = new Int32Array(patternCount + 1);
  memberships.inputIndex.forEach((inputIndex, row) => {
    if (passes(inputs, inputs.rows.rowOf(inputIndex), filter)) sizes[memberships.patternId[row]! + 1]!++;
  });
  return sizes;
}

/** Comparators on membership rows; ties fall back to the input index so that paging is stable. */
function comparator(order: MemberOrder, memberships: MembershipsTable): (a: number, b: number) => number {
  const { inputIndex, probability, outlierScore } = memberships;
  const byIndex = (a: number, b: number) => inputIndex[a]! - inputIndex[b]!;
  switch (order) {
    case 'most-stable':
      return (a, b) => probability[b]! - probability[a]! || byIndex(a, b);
    case 'least-stable':
      return (a, b) => probability[a]! - probability[b]! || byIndex(a, b);
    case 'outlier':
      return (a, b) => outlierScore[b]! - outlierScore[a]! || byIndex(a, b);
    case 'input':
      return byIndex;
  }
}

export interface MemberSelection {
  /** Membership rows of the page, in order. */
  rows: Int32Array;
  /** Members that pass, over all pages. */
  total: number;
}

/** Membership rows of pattern `patternId`'s passing members in `order` (every page). */
export function orderedMembers(
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  patternId: number,
  filter: MemberFilter,
  order: MemberOrder,
  groups?: PatternGroups,
): Int32Array {
  return memberRows(memberships, inputs, patternId, filter, groups).sort(comparator(order, memberships));
}

/** The page of pattern `patternId`'s passing members in `order`. */
export function selectMembers(
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  patternId: number,
  filter: MemberFilter,
  order: MemberOrder,
  page: { offset: number; limit: number },
): MemberSelection {
  const ordered = orderedMembers(memberships, inputs, patternId, filter, order);
  return { rows: ordered.slice(page.offset, page.offset + page.limit), total: ordered.length };
}
