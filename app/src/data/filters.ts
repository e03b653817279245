/** The route's label, prediction and misclassified filters, as the results' member filter (src/results/members.ts). */
import type { MembersQuery } from '../../../src/results/api-types.js';
import type { MemberFilter } from '../../../src/results/members.js';
import type { Route } from '../route.js';

export function filtersOf(route: Route): MemberFilter {
  return {
    ...(route.label !== null ? { label: route.label } : {}),
    ...(route.prediction !== null ? { prediction: route.prediction } : {}),
    ...(route.misclassified ? { misclassified: true } : {}),
  };
}

/** The members route's filter parameters. */
export function membersQueryOf(filter: MemberFilter): MembersQuery {
  return { ...filter };
}

export { isFiltering } from '../../../src/results/members.js';
