/**
 * Whole-run and whole-clustering columns that several views share: every input of a run (label,
 * prediction, path) and every input's membership in a clustering, with a lookup from input index to row.
 */
import { apiPaths, type InputsResponse, type MembershipsResponse } from '../../../src/server/api-types.js';
import { fetchJson, useAsync, type Loaded } from '../api.js';

/** Largest page the inputs route serves. */
const INPUT_PAGE = 100_000;

/** Maps input indices to row positions; dense indices (the usual 0..N-1) use an array, others a Map. */
export class RowLookup {
  private readonly dense: Int32Array | null;
  private readonly sparse: Map<number, number> | null;

  constructor(inputIndex: readonly number[]) {
    const max = inputIndex.reduce((m, v) => Math.max(m, v), -1);
    if (max < inputIndex.length * 4 + 1024) {
      this.dense = new Int32Array(max + 1).fill(-1);
      inputIndex.forEach((index, row) => (this.dense![index] = row));
      this.sparse = null;
    } else {
      this.dense = null;
      this.sparse = new Map(inputIndex.map((index, row) => [index, row]));
    }
  }

  /** Row of the input, -1 when absent. */
  rowOf(inputIndex: number): number {
    if (this.dense) return this.dense[inputIndex] ?? -1;
    return this.sparse!.get(inputIndex) ?? -1;
  }
}

export interface InputTable {
  runId: number;
  inputIndex: number[];
  path: (string | null)[];
  label: (string | null)[];
  predictionLabel: (string | null)[];
  probability: (number | null)[];
  misclassified: boolean[];
  rows: RowLookup;
}

export interface MembershipTable {
  clusteringId: number;
  inputIndex: number[];
  patternId: Int32Array;
  probability: Float64Array;
  outlierScore: Float64Array;
  rows: RowLookup;
}

const inputTables = new Map<number, Promise<InputTable>>();
const inputTablesDone = new Map<number, InputTable>();
const membershipTables = new Map<number, Promise<MembershipTable>>();
const membershipTablesDone = new Map<number, MembershipTable>();

async function fetchInputTable(runId: number): Promise<InputTable> {
  const first = await fetchJson<InputsResponse>(apiPaths.inputs(runId, { offset: 0, limit: INPUT_PAGE }));
  const pages = [first];
  for (let offset = INPUT_PAGE; offset < first.total; offset += INPUT_PAGE) {
    pages.push(await fetchJson<InputsResponse>(apiPaths.inputs(runId, { offset, limit: INPUT_PAGE })));
  }
  const column = <K extends keyof InputsResponse>(key: K) =>
    pages.flatMap((page) => page[key] as unknown[]) as InputsResponse[K];
  const inputIndex = column('inputIndex');
  return {
    runId,
    inputIndex,
    path: column('path'),
    label: column('label'),
    predictionLabel: column('predictionLabel'),
    probability: column('probability'),
    misclassified: column('misclassified'),
    rows: new RowLookup(inputIndex),
  };
}

async function fetchMembershipTable(clusteringId: number): Promise<MembershipTable> {
  const response = await fetchJson<MembershipsResponse>(apiPaths.memberships(clusteringId));
  return {
    clusteringId,
    inputIndex: response.inputIndex,
    patternId: Int32Array.from(response.patternId),
    probability: Float64Array.from(response.probability),
    outlierScore: Float64Array.from(response.outlierScore, (v) => v ?? Number.NaN),
    rows: new RowLookup(response.inputIndex),
  };
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
