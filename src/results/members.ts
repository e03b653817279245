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

/** Membership rows of pattern `patternId` (-1: noise) whose inputs pass, in membership order (`inputs` may be left out when not filtering). */
export function memberRows(
  memberships: MembershipsTable,
  inputs: IndexedInputs | undefined,
  patternId: number,
  filter: MemberFilter,
): Int32Array {
  const rows: number[] = [];
  const filtering = isFiltering(filter);
  if (filtering && inputs === undefined) throw new Error('filtering members needs the inputs table');
  memberships.patternId.forEach((id, row) => {
    if (id !== patternId) return;
    if (filtering && !passes(inputs!, inputs!.rows.rowOf(memberships.inputIndex[row]!), filter)) return;
    rows.push(row);
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
): Int32Array {
  return memberRows(memberships, inputs, patternId, filter).sort(comparator(order, memberships));
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
