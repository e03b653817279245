/** The members of one pattern, filtered by label, prediction and correctness, ordered and paged. */
import type { MembershipColumns } from '../io/store/index.js';
import type { MemberOrder } from './api-types.js';
import type { InputTable } from './input-table.js';

export interface MemberFilter {
  label?: string;
  prediction?: string;
  misclassified?: boolean;
}

export interface MemberSelection {
  /** Membership rows of the page, in order. */
  rows: Int32Array;
  /** Members that pass the filter, over all pages. */
  total: number;
}

/** Comparators on membership rows; ties always fall back to the input index so that paging is stable. */
function comparator(order: MemberOrder, memberships: MembershipColumns): (a: number, b: number) => number {
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

export function selectMembers(
  memberships: MembershipColumns,
  inputs: InputTable,
  patternId: number,
  filter: MemberFilter,
  order: MemberOrder,
  page: { offset: number; limit: number },
): MemberSelection {
  const passing: number[] = [];
  memberships.patternId.forEach((id, row) => {
    if (id !== patternId) return;
    const inputRow = inputs.rowOf(memberships.inputIndex[row]!);
    if (filter.label !== undefined && (inputRow < 0 || inputs.label[inputRow] !== filter.label)) return;
    if (filter.prediction !== undefined && (inputRow < 0 || inputs.predictionLabel[inputRow] !== filter.prediction))
      return;
    if (
      filter.misclassified !== undefined &&
      (inputRow < 0 || (inputs.misclassified[inputRow] === 1) !== filter.misclassified)
    )
      return;
    passing.push(row);
  });
  passing.sort(comparator(order, memberships));
  return { rows: Int32Array.from(passing.slice(page.offset, page.offset + page.limit)), total: passing.length };
}
