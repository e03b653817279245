/** The label, prediction and misclassified filters that narrow patterns and members everywhere. */
import type { MembersQuery } from '../../../src/server/api-types.js';
import type { Route } from '../route.js';
import type { InputTable, MembershipTable } from './tables.js';

export interface Filters {
  label: string | null;
  prediction: string | null;
  misclassified: boolean;
}

export function filtersOf(route: Route): Filters {
  return { label: route.label, prediction: route.prediction, misclassified: route.misclassified };
}

export function isFiltering(filters: Filters): boolean {
  return filters.label !== null || filters.prediction !== null || filters.misclassified;
}

/** The members route's filter parameters. */
export function membersQueryOf(filters: Filters): MembersQuery {
  return {
    ...(filters.label !== null ? { label: filters.label } : {}),
    ...(filters.prediction !== null ? { prediction: filters.prediction } : {}),
    ...(filters.misclassified ? { misclassified: true } : {}),
  };
}

/** Whether the input at `row` of the table passes the filters. */
export function passes(inputs: InputTable, row: number, filters: Filters): boolean {
  if (row < 0) return false;
  if (filters.label !== null && inputs.label[row] !== filters.label) return false;
  if (filters.prediction !== null && inputs.predictionLabel[row] !== filters.prediction) return false;
  return !filters.misclassified || inputs.misclassified[row] === true;
}

/** Members per pattern that pass the filters; index p + 1 holds pattern p, index 0 the noise. */
export function filteredSizes(
  memberships: MembershipTable,
  inputs: InputTable,
  filters: Filters,
  patternCount: number,
): Int32Array {
  const sizes = new Int32Array(patternCount + 1);
  memberships.inputIndex.forEach((inputIndex, row) => {
    if (passes(inputs, inputs.rows.rowOf(inputIndex), filters)) sizes[memberships.patternId[row]! + 1]!++;
  });
  return sizes;
}

/** Input indices of a pattern's members that pass the filters, with their membership rows. */
export function membersOf(
  memberships: MembershipTable,
  patternId: number,
  inputs: InputTable | undefined,
  filters: Filters,
): number[] {
  const rows: number[] = [];
  memberships.patternId.forEach((id, row) => {
    if (id !== patternId) return;
    if (inputs && isFiltering(filters) && !passes(inputs, inputs.rows.rowOf(memberships.inputIndex[row]!), filters))
      return;
    rows.push(row);
  });
  return rows;
}
