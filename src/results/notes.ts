/**
 * Notes: the user's own state kept beside a results file (never in it; the results file stays read-only
 * while served): decisions on label-error leads, tags on patterns and inputs, saved views (a named app
 * state) and saved states (the long part of an app URL, kept under a content hash so any link stays short).
 *
 * One JSON document, the sidecar `<results file>.nap-notes.json` (src/results/node/notes-file.ts writes it
 * atomically; `nap serve` edits it through /api/notes; `nap export --static` copies it as data/notes.json).
 * Every edit is a NotesChange, validated here and applied by `applyChange`, so the server, the static site
 * (which keeps edits in the browser's localStorage) and the tests edit it the same way. Browser-safe.
 */
import { InputError, NotFoundError } from '../errors.js';

export const NOTES_FORMAT = 'nap-notes';
export const NOTES_VERSION = 1;
/** The sidecar of results file F is F + this suffix. */
export const NOTES_SUFFIX = '.nap-notes.json';
/** Where nap serve answers the notes (src/server/notes-routes.ts). */
export const NOTES_PREFIX_PATH = '/api/notes';
/** The notes of a static export, relative to its data folder. */
export const NOTES_STATIC_FILE = 'notes.json';
/** Largest request body the notes routes accept: a saved state of 100,000 selected inputs fits. */
export const NOTES_BODY_LIMIT = 2 * 1024 * 1024;

export type Decision = 'error' | 'fine' | 'unsure';
export const DECISIONS: readonly Decision[] = ['error', 'fine', 'unsure'];

export interface DecisionNote {
  runId: number;
  input: number;
  decision: Decision;
  /** The label to use instead; only for 'error' (null: not chosen). */
  label: string | null;
  /** ISO 8601, UTC. */
  updatedAt: string;
}

export type TagTarget =
  { kind: 'pattern'; clusteringId: number; patternId: number } | { kind: 'input'; runId: number; input: number };

export interface TagNote {
  /** Derived from tag and target: tagging the same thing twice keeps one note. */
  id: string;
  tag: string;
  target: TagTarget;
  createdAt: string;
}

export interface SavedView {
  /** Derived from the name: saving under an existing name replaces that view. */
  id: string;
  name: string;
  /** The app URL's query string (with its leading '?'), short form. */
  query: string;
  createdAt: string;
}

/** The long parameters of an app URL, kept under the hash of their text (see app/src/data/short-url.ts). */
export interface SavedState {
  id: string;
  params: string;
}

export interface NotesDocument {
  format: typeof NOTES_FORMAT;
  version: number;
  decisions: DecisionNote[];
  tags: TagNote[];
  views: SavedView[];
  states: SavedState[];
}

export type NotesChange =
  | { op: 'decide'; runId: number; input: number; decision: Decision; label: string | null }
  | { op: 'undecide'; runId: number; input: number }
  | { op: 'tag'; tag: string; target: TagTarget }
  | { op: 'untag'; id: string }
  | { op: 'save-view'; name: string; query: string }
  | { op: 'delete-view'; id: string }
  | { op: 'save-state'; params: string };

export function emptyNotes(): NotesDocument {
  return { format: NOTES_FORMAT, version: NOTES_VERSION, decisions: [], tags: [], views: [], states: [] };
}

const MAX_TAG = 64;
const MAX_NAME = 200;
const MAX_LABEL = 200;
const MAX_QUERY = 8 * 1024;

/**
 * A 64-bit hash of a text as 16 hex digits (two 32-bit FNV-1a variants): ids that the browser and the
 * server compute alike, synchronously.
 */
export function contentId(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function tagId(tag: string, target: TagTarget): string {
  const where =
    target.kind === 'pattern' ? `p${target.clusteringId}.${target.patternId}` : `i${target.runId}.${target.input}`;
  return contentId(`${where} ${tag}`);
}

export const viewId = (name: string): string => contentId(`view ${name}`);
export const stateId = (params: string): string => contentId(params);

// ---- validation: each error names the field and what it must be ----

type Body = Record<string, unknown>;

function objectOf(value: unknown, what: string): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${what} is not a JSON object`, { hint: 'send a JSON object, e.g. {"decision": "fine"}' });
  }
  return value as Body;
}

function wholeNumber(body: Body, field: string, min: number): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InputError(`field "${field}" is ${JSON.stringify(value) ?? 'missing'}, not a whole number >= ${min}`, {
      hint: `send "${field}" as a JSON number, e.g. ${Math.max(min, 1)}`,
    });
  }
  return value;
}

function text(body: Body, field: string, max: number, options: { nullable?: boolean; pattern?: RegExp } = {}) {
  const value = body[field];
  if (value === null && options.nullable) return null;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new InputError(
      `field "${field}" is ${value === undefined ? 'missing' : JSON.stringify(value).slice(0, 80)}, not a text of 1 to ${max} characters`,
      { hint: `send "${field}" as a non-empty JSON string${options.nullable ? ' (or null)' : ''}` },
    );
  }
  if (options.pattern && !options.pattern.test(value)) {
    throw new InputError(`field "${field}" ${JSON.stringify(value).slice(0, 80)} has characters it may not hold`, {
      hint: `"${field}" must match ${String(options.pattern)}`,
    });
  }
  return value;
}

const requiredText = (body: Body, field: string, max: number, pattern?: RegExp): string =>
  text(body, field, max, { pattern })!;

function oneOf<T extends string>(body: Body, field: string, allowed: readonly T[]): T {
  const value = body[field];
  if (!allowed.includes(value as T)) {
    throw new InputError(
      `field "${field}" is ${JSON.stringify(value) ?? 'missing'}, not one of ${allowed.join(', ')}`,
      {
        hint: `send "${field}": "${allowed[0]}"`,
      },
    );
  }
  return value as T;
}

/** A tag: letters, digits, spaces and - _ . : / (no commas, so a list of tags reads unambiguously). */
const TAG_PATTERN = /^[\p{L}\p{N} _.:/-]+$/u;
const QUERY_PATTERN = /^\?[^\s#]*$/;
const ID_PATTERN = /^[0-9a-f]{16}$/;

function parseTarget(value: unknown): TagTarget {
  const body = objectOf(value, 'field "target"');
  const kind = oneOf(body, 'kind', ['pattern', 'input'] as const);
  return kind === 'pattern'
    ? { kind, clusteringId: wholeNumber(body, 'clusteringId', 0), patternId: wholeNumber(body, 'patternId', -1) }
    : { kind, runId: wholeNumber(body, 'runId', 0), input: wholeNumber(body, 'input', 0) };
}

/** A decision body ({decision, label}) for run `runId`, input `input`. */
export function parseDecision(runId: number, input: number, value: unknown): NotesChange {
  const body = objectOf(value, 'the request body');
  const decision = oneOf(body, 'decision', DECISIONS);
  const label =
    decision === 'error' && body.label !== undefined ? text(body, 'label', MAX_LABEL, { nullable: true }) : null;
  return { op: 'decide', runId, input, decision, label };
}

/** A tag body ({tag, target}). */
export function parseTag(value: unknown): NotesChange {
  const body = objectOf(value, 'the request body');
  return { op: 'tag', tag: requiredText(body, 'tag', MAX_TAG, TAG_PATTERN).trim(), target: parseTarget(body.target) };
}

/** A saved-view body ({name, query}). */
export function parseView(value: unknown): NotesChange {
  const body = objectOf(value, 'the request body');
  return {
    op: 'save-view',
    name: requiredText(body, 'name', MAX_NAME).trim(),
    query: requiredText(body, 'query', MAX_QUERY, QUERY_PATTERN),
  };
}

/** A saved-state body ({params}): URL query parameters, any length up to the body limit. */
export function parseState(value: unknown): NotesChange {
  const body = objectOf(value, 'the request body');
  return { op: 'save-state', params: requiredText(body, 'params', NOTES_BODY_LIMIT, /^[^\s#]*$/) };
}

/** An id of a tag, view or state from a URL path. */
export function parseId(text: string, what: string): string {
  if (!ID_PATTERN.test(text)) {
    throw new InputError(`${what} id ${JSON.stringify(text).slice(0, 40)} is not 16 hex digits`, {
      hint: `take the id from GET /api/notes`,
    });
  }
  return text;
}

/** Checks a change made in code (the app's edits) as the server checks a request body; returns it. */
export function validateChange(change: NotesChange): NotesChange {
  switch (change.op) {
    case 'decide':
      return parseDecision(change.runId, change.input, { decision: change.decision, label: change.label });
    case 'tag':
      return parseTag({ tag: change.tag, target: change.target });
    case 'save-view':
      return parseView({ name: change.name, query: change.query });
    case 'save-state':
      return parseState({ params: change.params });
    case 'untag':
      return { op: 'untag', id: parseId(change.id, 'tag') };
    case 'delete-view':
      return { op: 'delete-view', id: parseId(change.id, 'saved view') };
    case 'undecide':
      return change;
  }
}

// ---- reading and applying ----

function isArrayField(doc: Body, field: string): boolean {
  return Array.isArray(doc[field]);
}

/** A notes document read from JSON text; `source` names the file in errors. */
export function parseNotes(json: string, source: string): NotesDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InputError(`notes file ${source} is not valid JSON`, {
      hint: 'fix or remove the file; it holds only decisions, tags and saved views',
      cause: error,
    });
  }
  const doc = objectOf(value, `notes file ${source}`);
  if (doc.format !== NOTES_FORMAT || !['decisions', 'tags', 'views', 'states'].every((f) => isArrayField(doc, f))) {
    throw new InputError(`${source} is not a nap notes file`, { hint: `move it away: nap keeps its notes there` });
  }
  if (typeof doc.version !== 'number' || doc.version > NOTES_VERSION) {
    throw new InputError(`notes file ${source} has version ${String(doc.version)}, newer than this nap reads`, {
      hint: 'update nap',
    });
  }
  return value as NotesDocument;
}

const sameInput = (note: DecisionNote, runId: number, input: number) => note.runId === runId && note.input === input;

/** What a change made: the note written (null for a removal). */
export type ChangeResult = DecisionNote | TagNote | SavedView | SavedState | null;

/**
 * The document after `change` (a new object; `doc` is left as it was) and the note written. Removing
 * what is not there is a NotFoundError; writing what is there already replaces it (ids follow content).
 */
export function applyChange(
  doc: NotesDocument,
  change: NotesChange,
  now: string,
): { doc: NotesDocument; result: ChangeResult } {
  switch (change.op) {
    case 'decide': {
      const note: DecisionNote = {
        runId: change.runId,
        input: change.input,
        decision: change.decision,
        label: change.label,
        updatedAt: now,
      };
      const decisions = doc.decisions.filter((d) => !sameInput(d, change.runId, change.input));
      decisions.push(note);
      return { doc: { ...doc, decisions }, result: note };
    }
    case 'undecide': {
      const decisions = doc.decisions.filter((d) => !sameInput(d, change.runId, change.input));
      if (decisions.length === doc.decisions.length) {
        throw new NotFoundError(`input ${change.input} of run ${change.runId} has no decision`, {
          hint: 'GET /api/notes lists the decisions',
        });
      }
      return { doc: { ...doc, decisions }, result: null };
    }
    case 'tag': {
      const id = tagId(change.tag, change.target);
      const old = doc.tags.find((t) => t.id === id);
      if (old) return { doc, result: old };
      const note: TagNote = { id, tag: change.tag, target: change.target, createdAt: now };
      return { doc: { ...doc, tags: [...doc.tags, note] }, result: note };
    }
    case 'save-view': {
      const id = viewId(change.name);
      const note: SavedView = { id, name: change.name, query: change.query, createdAt: now };
      return { doc: { ...doc, views: [...doc.views.filter((v) => v.id !== id), note] }, result: note };
    }
    case 'save-state': {
      const id = stateId(change.params);
      const old = doc.states.find((s) => s.id === id);
      if (old) return { doc, result: old };
      const note: SavedState = { id, params: change.params };
      return { doc: { ...doc, states: [...doc.states, note] }, result: note };
    }
    case 'untag':
    case 'delete-view': {
      const field = change.op === 'untag' ? 'tags' : 'views';
      const kept = (doc[field] as { id: string }[]).filter((n) => n.id !== change.id);
      if (kept.length === doc[field].length) {
        throw new NotFoundError(`no ${change.op === 'untag' ? 'tag' : 'saved view'} has id ${change.id}`, {
          hint: 'GET /api/notes lists the ids',
        });
      }
      return { doc: { ...doc, [field]: kept }, result: null };
    }
  }
}

/** The decisions of one run, by input index. */
export function decisionsOf(doc: NotesDocument, runId: number): Map<number, DecisionNote> {
  return new Map(doc.decisions.filter((d) => d.runId === runId).map((d) => [d.input, d]));
}

/** The tags on pattern `patternId` of clustering `clusteringId`, or on input `input` of run `runId`. */
export function tagsOn(doc: NotesDocument, target: TagTarget): TagNote[] {
  return doc.tags.filter((t) =>
    t.target.kind === 'pattern' && target.kind === 'pattern'
      ? t.target.clusteringId === target.clusteringId && t.target.patternId === target.patternId
      : t.target.kind === 'input' && target.kind === 'input'
        ? t.target.runId === target.runId && t.target.input === target.input
        : false,
  );
}

/** The notes that concern run `runId` (whose clusterings are `clusteringIds`), for a static export of it. */
export function notesOfRun(doc: NotesDocument, runId: number, clusteringIds: ReadonlySet<number>): NotesDocument {
  return {
    ...doc,
    decisions: doc.decisions.filter((d) => d.runId === runId),
    tags: doc.tags.filter((t) =>
      t.target.kind === 'pattern' ? clusteringIds.has(t.target.clusteringId) : t.target.runId === runId,
    ),
  };
}
