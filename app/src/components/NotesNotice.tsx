/** What every view that edits the notes shares: where the edits go (said in a static export) and edit errors. */
import { useState } from 'preact/hooks';
import type { NotesChange } from '../../../src/results/notes.js';
import { changeNotes, notesAreLocal, notesLoadError } from '../data/notes.js';
import { ErrorMessage } from './Status.js';

/** In a static export: a line saying that edits stay in this browser; anywhere: why the notes did not load. */
export function LocalNotesNotice() {
  const failed = notesLoadError();
  if (failed) return <ErrorMessage error={failed} />;
  if (!notesAreLocal()) return null;
  return (
    <p class="muted local-notes-notice">
      This is a static copy of the results: your decisions, tags and saved views are kept in this browser (localStorage)
      only. Export them to keep them elsewhere.
    </p>
  );
}

/** Runs note edits, keeping the last failure to show. */
export function useNoteEdits() {
  const [error, setError] = useState<Error>();
  const run = (work: () => Promise<unknown>) => {
    setError(undefined);
    work().catch((failure: unknown) => setError(failure instanceof Error ? failure : new Error(String(failure))));
  };
  return { error, run, change: (change: NotesChange) => run(() => changeNotes(change)) };
}
