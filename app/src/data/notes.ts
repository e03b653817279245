/**
 * The app's notes (decisions, tags, saved views, saved states: src/results/notes.ts). Served, they live in
 * the sidecar beside the results file and every edit goes through /api/notes; in a static export they start
 * from the exported data/notes.json and edits stay in this browser (localStorage), which the app says.
 * Loaded once before the app renders, so that a short URL's saved state is there when the route is read.
 */
import { useEffect, useState } from 'preact/hooks';
import { ResultsRequestError } from '../../../src/results/http/client.js';
import {
  applyChange,
  emptyNotes,
  NOTES_PREFIX_PATH,
  NOTES_STATIC_FILE,
  parseNotes,
  type ChangeResult,
  type NotesChange,
  type NotesDocument,
  validateChange,
} from '../../../src/results/notes.js';
import { staticDataBase } from './source.js';

let doc: NotesDocument = emptyNotes();
/** Where static edits are kept; null when served. */
let localKey: string | null = null;
const listeners = new Set<() => void>();
let loadError: Error | undefined;

/** Why the notes could not be read at start (the app works without them), if they could not. */
export function notesLoadError(): Error | undefined {
  return loadError;
}

function publish(next: NotesDocument): void {
  doc = next;
  for (const listener of listeners) listener();
}

export function notes(): NotesDocument {
  return doc;
}

/** True in a static export: edits stay in this browser. */
export function notesAreLocal(): boolean {
  return localKey !== null;
}

async function fetchNotes(url: string): Promise<NotesDocument> {
  const response = await fetch(url, { cache: 'no-store' });
  if (response.status === 404) return emptyNotes();
  if (!response.ok) throw new ResultsRequestError(`notes: ${response.status} ${response.statusText}`, response.status);
  return parseNotes(await response.text(), url);
}

/** Reads the notes before the app renders; a failure leaves them empty (the results still show). */
export async function initNotes(): Promise<void> {
  const base = staticDataBase();
  try {
    if (base === null) {
      publish(await fetchNotes(NOTES_PREFIX_PATH));
      return;
    }
    localKey = `nap-notes:${base.href}`;
    const kept = localStorage.getItem(localKey);
    publish(kept ? parseNotes(kept, 'localStorage') : await fetchNotes(new URL(NOTES_STATIC_FILE, base).href));
  } catch (error) {
    loadError = error instanceof Error ? error : new Error(String(error));
  }
}

/** The request that makes `change` on the server. */
function requestOf(change: NotesChange): { method: string; path: string; body?: unknown } {
  const p = NOTES_PREFIX_PATH;
  switch (change.op) {
    case 'decide':
      return {
        method: 'PUT',
        path: `${p}/decisions/${change.runId}/${change.input}`,
        body: { decision: change.decision, label: change.label },
      };
    case 'undecide':
      return { method: 'DELETE', path: `${p}/decisions/${change.runId}/${change.input}` };
    case 'tag':
      return { method: 'POST', path: `${p}/tags`, body: { tag: change.tag, target: change.target } };
    case 'untag':
      return { method: 'DELETE', path: `${p}/tags/${change.id}` };
    case 'save-view':
      return { method: 'POST', path: `${p}/views`, body: { name: change.name, query: change.query } };
    case 'delete-view':
      return { method: 'DELETE', path: `${p}/views/${change.id}` };
    case 'save-state':
      return { method: 'POST', path: `${p}/states`, body: { params: change.params } };
  }
}

/** Makes `change` (on the server, or in this browser for a static export) and shows it at once. */
export async function changeNotes(edit: NotesChange): Promise<ChangeResult> {
  const change = validateChange(edit);
  const { doc: next, result } = applyChange(doc, change, new Date().toISOString());
  if (localKey !== null) {
    localStorage.setItem(localKey, JSON.stringify(next));
    publish(next);
    return result;
  }
  const request = requestOf(change);
  const response = await fetch(request.path, {
    method: request.method,
    headers: { 'Content-Type': 'application/json' },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; hint?: string };
    throw new ResultsRequestError(body.error ?? `notes: ${response.status}`, response.status, body.hint);
  }
  // The server's note carries its own time stamp; the rest of the document is as applied here.
  const written = response.status === 204 ? null : ((await response.json()) as ChangeResult);
  publish(written === null ? next : applyChange(doc, change, stampOf(written)).doc);
  return written;
}

function stampOf(note: NonNullable<ChangeResult>): string {
  return 'updatedAt' in note ? note.updatedAt : 'createdAt' in note ? note.createdAt : new Date().toISOString();
}

/** The notes, re-rendering the caller whenever they change. */
export function useNotes(): NotesDocument {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return doc;
}
