/**
 * Whole-run and whole-clustering tables that several views share: every input of a run (label,
 * prediction, path) and every input's membership in a clustering, each with its lookup from input index
 * to row (the results' own RowIndex). They arrive as Arrow columns from nap serve.
 */
import type { MembershipRows, RunSummary } from '../../../src/results/api-types.js';
import { indexInputs, RowIndex, type IndexedInputs } from '../../../src/results/input-index.js';
import { showsText } from '../../../src/results/input-content.js';
import { LIMITS } from '../../../src/results/routes.js';
import { query, useAsync, type Loaded } from '../api.js';

export interface InputTable extends IndexedInputs {
  runId: number;
}

export interface MembershipTable extends MembershipRows {
  rows: RowIndex;
}

/** Runs whose inputs are not images (RunSummary.inputContents): their tiles know the input table's contents. */
const contentRuns = new Set<number>();
/** Runs whose inputs are not drawn (RunSummary.inputPictures 'text', 'none'): their tiles show their contents as text. */
const textRuns = new Set<number>();
/** Clusterings of runs of texts: a pattern's words stand for its average image. */
const wordClusterings = new Set<number>();

/** Notes which runs show their inputs' contents, and how; called with the store's runs as they load. */
export function noteInputContents(runs: readonly RunSummary[]): void {
  contentRuns.clear();
  textRuns.clear();
  wordClusterings.clear();
  for (const run of runs) {
    if (run.inputContents) contentRuns.add(run.runId);
    if (showsText(run.inputPictures)) textRuns.add(run.runId);
    if (run.inputPictures !== 'text') continue;
    for (const layer of run.layers) for (const c of layer.clusterings) wordClusterings.add(c.clusteringId);
  }
}

/** True when the clustering's patterns show their words instead of an average image (a run of texts). */
export function showsPatternWords(clusteringId: number): boolean {
  return wordClusterings.has(clusteringId);
}

/** True when the run's inputs have contents (texts, numbers): tooltips show them. */
export function showsInputContents(runId: number): boolean {
  return contentRuns.has(runId);
}

/** True when the run's tiles show text rather than a picture (texts, activations computed elsewhere). */
export function showsInputText(runId: number): boolean {
  return textRuns.has(runId);
}

const inputTables = new Map<number, Promise<InputTable>>();
const inputTablesDone = new Map<number, InputTable>();
const membershipTables = new Map<number, Promise<MembershipTable>>();
const membershipTablesDone = new Map<number, MembershipTable>();

function concat<T extends Int32Array | Float64Array | Uint8Array>(parts: T[], make: (length: number) => T): T {
  if (parts.length === 1) return parts[0]!;
  const out = make(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function fetchInputTable(runId: number): Promise<InputTable> {
  const limit = LIMITS.inputPage.max;
  const first = await query('inputs', { runId, offset: 0, limit });
  const pages = [first];
  for (let offset = limit; offset < first.total; offset += limit)
    pages.push(await query('inputs', { runId, offset, limit }));
  return {
    runId,
    ...indexInputs({
      inputIndex: concat(
        pages.map((p) => p.inputIndex),
        (n) => new Int32Array(n),
      ),
      path: pages.flatMap((p) => [...p.path]),
      label: pages.flatMap((p) => [...p.label]),
      prediction: concat(
        pages.map((p) => p.prediction),
        (n) => new Int32Array(n),
      ),
      predictionLabel: pages.flatMap((p) => [...p.predictionLabel]),
      probability: concat(
        pages.map((p) => p.probability),
        (n) => new Float64Array(n),
      ),
      content: pages.flatMap((p) => [...p.content]),
    }),
  };
}

async function fetchMembershipTable(clusteringId: number): Promise<MembershipTable> {
  const rows = await query('memberships', { clusteringId });
  return { ...rows, rows: new RowIndex(rows.inputIndex) };
}

function cached<T>(
  key: number,
  promises: Map<number, Promise<T>>,
  done: Map<number, T>,
  load: () => Promise<T>,
): Promise<T> {
  let promise = promises.get(key);
  if (!promise) {
    promise = load().then(
      (value) => {
        done.set(key, value);
        return value;
      },
      (error: unknown) => {
        promises.delete(key);
        throw error;
      },
    );
    promises.set(key, promise);
  }
  return promise;
}

export function loadInputTable(runId: number): Promise<InputTable> {
  return cached(runId, inputTables, inputTablesDone, () => fetchInputTable(runId));
}

export function loadMembershipTable(clusteringId: number): Promise<MembershipTable> {
  return cached(clusteringId, membershipTables, membershipTablesDone, () => fetchMembershipTable(clusteringId));
}

export function useInputTable(runId: number | null): Loaded<InputTable> {
  return useAsync(
    runId === null ? null : `inputs:${runId}`,
    () => loadInputTable(runId!),
    () => (runId === null ? undefined : inputTablesDone.get(runId)),
  );
}

export function useMembershipTable(clusteringId: number | null): Loaded<MembershipTable> {
  return useAsync(
    clusteringId === null ? null : `memberships:${clusteringId}`,
    () => loadMembershipTable(clusteringId!),
    () => (clusteringId === null ? undefined : membershipTablesDone.get(clusteringId)),
  );
}

/** A finite number, or null: what the tables hold as NaN (a model that does not classify) shows as missing. */
export function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}
