/**
 * Every app state fits in a short URL: when a state's query string would make the URL longer than
 * URL_LIMIT, its longest parameters (a lasso's polygon, a selection of thousands of inputs) move into a
 * saved state in the notes (src/results/notes.ts), kept under the hash of their text, and the URL carries
 * `s=<id>` instead. The id follows from the text, so the URL is known at once and the same state always
 * gets the same link; the state is saved in the background (data/notes.ts), and reading the URL puts the
 * parameters back.
 */
import { stateId } from '../../../src/results/notes.js';
import { changeNotes, notes } from './notes.js';

/** The longest URL path and query the app writes, in characters; the origin adds a few dozen more. */
export const URL_LIMIT = 1900;
export const STATE_PARAM = 's';

/** States made here that the notes may not hold yet: id -> parameters. */
const made = new Map<string, string>();
const saving = new Map<string, Promise<unknown>>();
/** The last few parameter texts hashed (links re-render often with the same long selection). */
const ids = new Map<string, string>();

function idOf(params: string): string {
  let id = ids.get(params);
  if (id === undefined) {
    id = stateId(params);
    ids.set(params, id);
    if (ids.size > 16) ids.delete(ids.keys().next().value!);
  }
  return id;
}

function remember(id: string, params: string): void {
  if (made.has(id) || notes().states.some((s) => s.id === id)) return;
  made.set(id, params);
  const save = changeNotes({ op: 'save-state', params }).finally(() => saving.delete(id));
  saving.set(id, save);
  // A failed save shows when the link is copied (savedStates) and when the URL is read elsewhere.
  save.catch(() => undefined);
}

/** Resolves once every saved state made so far is stored (a copied link then works elsewhere). */
export async function savedStates(): Promise<void> {
  await Promise.all(saving.values());
}

/** The query (without '?') for `params` under `pathname`, long parameters moved into a saved state. */
export function shortQuery(params: URLSearchParams, pathname: string): string {
  const text = params.toString();
  const fixed = pathname.length + 1 + STATE_PARAM.length + 2 + 16;
  if (pathname.length + 1 + text.length <= URL_LIMIT) return text;
  const entries = [...params.entries()];
  const order = entries.map((_, k) => k).sort((a, b) => entries[b]![1].length - entries[a]![1].length);
  const moved = new Set<number>();
  let length = text.length;
  for (const k of order) {
    if (fixed + length <= URL_LIMIT) break;
    moved.add(k);
    length -= entries[k]![0].length + entries[k]![1].length + 2;
  }
  const kept = new URLSearchParams(entries.filter((_, k) => !moved.has(k)));
  const state = new URLSearchParams(entries.filter((_, k) => moved.has(k))).toString();
  const id = idOf(state);
  remember(id, state);
  kept.set(STATE_PARAM, id);
  return kept.toString();
}

/** The query `search` with a saved state's parameters put back (an unknown state is left out). */
export function expandQuery(search: string): URLSearchParams {
  const params = new URLSearchParams(search);
  const id = params.get(STATE_PARAM);
  if (id === null) return params;
  params.delete(STATE_PARAM);
  const state = made.get(id) ?? notes().states.find((s) => s.id === id)?.params;
  if (state !== undefined) for (const [key, value] of new URLSearchParams(state)) params.set(key, value);
  return params;
}

/** True when the URL names a saved state that this copy of the notes does not hold. */
export function missingState(search: string): string | null {
  const id = new URLSearchParams(search).get(STATE_PARAM);
  return id !== null && !made.has(id) && !notes().states.some((s) => s.id === id) ? id : null;
}
