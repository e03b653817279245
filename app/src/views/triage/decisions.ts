/**
 * Decisions on label-error leads ("label error", "fine", "unsure"), kept in the notes beside the results
 * (data/notes.ts: the sidecar through nap serve, this browser in a static export), and exported as the
 * relabelling CSV (src/results/relabel-csv.ts, as `nap decisions` writes it).
 */
import { LIMITS } from '../../../../src/results/routes.js';
import type { Decision, DecisionNote } from '../../../../src/results/notes.js';
import { relabellingCsv, type KnownInput } from '../../../../src/results/relabel-csv.js';
import { query } from '../../api.js';

export const DECISION_NAMES: Record<Decision, string> = { error: 'label error', fine: 'fine', unsure: 'unsure' };

/** The relabelling CSV of `decisions`, with the file and given label of each decided input. */
export async function decisionsCsv(runId: number, decisions: readonly DecisionNote[]): Promise<string> {
  const known = new Map<number, KnownInput>();
  const index = decisions.map((d) => d.input);
  for (let start = 0; start < index.length; start += LIMITS.indexList) {
    const page = await query('inputs', { runId, index: index.slice(start, start + LIMITS.indexList) });
    page.inputIndex.forEach((input, k) => known.set(input, { path: page.path[k]!, label: page.label[k]! }));
  }
  return relabellingCsv(decisions, (input) => known.get(input));
}
