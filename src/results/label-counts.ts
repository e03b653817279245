/** Members of each pattern per input label (or predicted label): the label x pattern chart. */
import type { LabelCountsResponse } from './api-types.js';
import type { IndexedInputs } from './input-index.js';
import type { MembershipsTable } from './tables.js';

/** Labels in byte order, null last (the order of SQL's ORDER BY label). */
function compareLabels(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Counts by pattern id (noise -1 first), then count descending, then label; an input the run lacks counts as null. */
export function labelCounts(
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  by: 'label' | 'prediction',
): Pick<LabelCountsResponse, 'patternId' | 'label' | 'count'> {
  const labels = by === 'label' ? inputs.label : inputs.predictionLabel;
  const byPattern = new Map<number, Map<string | null, number>>();
  memberships.patternId.forEach((patternId, row) => {
    const inputRow = inputs.rows.rowOf(memberships.inputIndex[row]!);
    const label = inputRow < 0 ? null : (labels[inputRow] ?? null);
    let counts = byPattern.get(patternId);
    if (counts === undefined) byPattern.set(patternId, (counts = new Map<string | null, number>()));
    counts.set(label, (counts.get(label) ?? 0) + 1);
  });
  const out: Pick<LabelCountsResponse, 'patternId' | 'label' | 'count'> = { patternId: [], label: [], count: [] };
  for (const patternId of [...byPattern.keys()].sort((a, b) => a - b)) {
    const entries = [...byPattern.get(patternId)!].sort((a, b) => b[1] - a[1] || compareLabels(a[0], b[0]));
    for (const [label, count] of entries) {
      out.patternId.push(patternId);
      out.label.push(label);
      out.count.push(count);
    }
  }
  return out;
}
