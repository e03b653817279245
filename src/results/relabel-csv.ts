/**
 * The relabelling file of a run's label-error decisions (src/results/notes.ts): one CSV row per decided
 * input, by input index: input, file, given label, decided label (the chosen label for a label error, the
 * given one for "fine", empty for "unsure"). Formula-safe through csv.ts; browser-safe (the app's export
 * and `nap decisions` write the same file).
 */
import { csvText } from './csv.js';
import type { DecisionNote } from './notes.js';

export const RELABEL_COLUMNS = ['input', 'file', 'given_label', 'decided_label', 'decision'] as const;

export interface KnownInput {
  path: string | null;
  label: string | null;
}

export function relabellingCsv(
  decisions: Iterable<DecisionNote>,
  inputOf: (input: number) => KnownInput | undefined,
): string {
  const rows = [...decisions]
    .sort((a, b) => a.input - b.input)
    .map((note) => {
      const known = inputOf(note.input);
      const given = known?.label ?? null;
      const decided = note.decision === 'error' ? note.label : note.decision === 'fine' ? given : null;
      return [note.input, known?.path ?? null, given, decided, note.decision];
    });
  return csvText(RELABEL_COLUMNS, rows);
}
