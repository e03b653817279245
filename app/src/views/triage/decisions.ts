/**
 * Decisions on label-error leads ("label error", "fine", "unsure"), kept in the browser's localStorage per
 * results source and run, and exported as a relabelling CSV (input, file, given label, decided label).
 */
import { csvText } from '../../../../src/results/csv.js';

export type Decision = 'error' | 'fine' | 'unsure';
export const DECISIONS: readonly Decision[] = ['error', 'fine', 'unsure'];
export const DECISION_NAMES: Record<Decision, string> = { error: 'label error', fine: 'fine', unsure: 'unsure' };

export interface DecisionRecord {
  decision: Decision;
  /** The label to use instead (the suggested one by default); only for 'error'. */
  label: string | null;
}

export type Decisions = Record<string, DecisionRecord>;

const keyOf = (source: string, runId: number) => `nap-decisions:${source}:${runId}`;

export function loadDecisions(source: string, runId: number): Decisions {
  try {
    const text = localStorage.getItem(keyOf(source, runId));
    return text ? (JSON.parse(text) as Decisions) : {};
  } catch {
    return {};
  }
}

export function saveDecisions(source: string, runId: number, decisions: Decisions): void {
  localStorage.setItem(keyOf(source, runId), JSON.stringify(decisions));
}

/** input, file, given label, decided label: one row per decided input, by input index; formula-safe. */
export function relabellingCsv(
  decisions: Decisions,
  inputs: ReadonlyMap<number, { path: string | null; label: string | null }>,
): string {
  const rows = Object.entries(decisions)
    .map(([input, record]) => ({ input: Number(input), record }))
    .sort((a, b) => a.input - b.input)
    .map(({ input, record }) => {
      const known = inputs.get(input);
      const given = known?.label ?? null;
      const decided = record.decision === 'error' ? record.label : record.decision === 'fine' ? given : null;
      return [input, known?.path ?? null, given, decided];
    });
  return csvText(['input', 'file', 'given_label', 'decided_label'], rows);
}
