/**
 * Comparing the patterns of two runs (other models, checkpoints, aggregations or datasets) on the inputs
 * they share, matched by input path: per pair of layers, how well the partitions agree (ARI, NMI) and a
 * one-to-one matching of their patterns by shared members. Both runs may live in the same store.
 */
import { contingencyTable } from '../compute/contingency.js';
import { jaccardMatrix } from '../compute/flow.js';
import { matchPatterns, type PatternMatching } from '../compute/matching.js';
import { comparePartitions, type PartitionComparison } from '../compute/partition-agreement.js';
import { InputError } from '../errors.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import type { LayerClustering, ResultsTables } from './results-tables.js';
import type { InputsTable, MembershipsTable } from './tables.js';

/** A run of a store; two runs compared may come from two stores. */
export interface RunRef {
  tables: ResultsTables;
  runId: number;
}

export interface CompareOptions {
  /** Pairs [layer of A, layer of B] to compare; default every layer with patterns in both runs under the same name, in A's order. */
  layers?: [string, string][];
  /** Matched pattern pairs with a smaller Jaccard index are reported unmatched; default 0 (one shared member is enough). */
  minJaccard?: number;
}

export interface LayerComparison {
  layerA: string;
  layerB: string;
  clusteringA: number;
  clusteringB: number;
  patternsA: number;
  patternsB: number;
  /** Shared inputs that both clusterings hold. */
  inputs: number;
  agreement: PartitionComparison;
  matching: PatternMatching;
}

export interface RunComparison {
  runA: number;
  runB: number;
  /** Inputs whose path is in both runs (exactly once in each). */
  sharedInputs: number;
  /** Inputs of A (of B) left out: no path, a path not in the other run, or a path that a run holds twice. */
  unmatchedA: number;
  unmatchedB: number;
  layers: LayerComparison[];
}

/** Paths that occur exactly once, with their input index. */
function uniquePaths(inputs: InputsTable): Map<string, number> {
  const seen = new Map<string, number>();
  const repeated = new Set<string>();
  inputs.path.forEach((path, row) => {
    if (path === null) return;
    if (seen.has(path)) repeated.add(path);
    else seen.set(path, inputs.inputIndex[row]!);
  });
  for (const path of repeated) seen.delete(path);
  return seen;
}

/** Input indices of A and B with the same path, in A's input order. */
export function matchInputsByPath(a: InputsTable, b: InputsTable): { indexA: Int32Array; indexB: Int32Array } {
  const inA = uniquePaths(a);
  const inB = uniquePaths(b);
  const indexA: number[] = [];
  const indexB: number[] = [];
  for (const [path, index] of inA) {
    const other = inB.get(path);
    if (other === undefined) continue;
    indexA.push(index);
    indexB.push(other);
  }
  const order = indexA.map((_, k) => k).sort((x, y) => indexA[x]! - indexA[y]!);
  return { indexA: Int32Array.from(order, (k) => indexA[k]!), indexB: Int32Array.from(order, (k) => indexB[k]!) };
}

function labelLookup(memberships: MembershipsTable): Map<number, number> {
  return new Map(Array.from(memberships.inputIndex, (input, row) => [input, memberships.patternId[row]!]));
}

function resolveLayerPairs(
  a: readonly LayerClustering[],
  b: readonly LayerClustering[],
  requested: CompareOptions['layers'],
): [LayerClustering, LayerClustering][] {
  const find = (layers: readonly LayerClustering[], name: string, side: string) => {
    const found = layers.find((l) => l.layer === name);
    if (!found) {
      throw new InputError(`layer ${JSON.stringify(name)} has no patterns in run ${side}`, {
        hint: `layers with patterns there: ${layers.map((l) => l.layer).join(', ') || 'none'}`,
      });
    }
    return found;
  };
  if (requested !== undefined) {
    if (requested.length === 0)
      throw new InputError('no layer pairs to compare', { hint: 'pass at least one [layer of A, layer of B] pair' });
    return requested.map(([layerA, layerB]) => [find(a, layerA, 'A'), find(b, layerB, 'B')]);
  }
  const pairs = a.flatMap((layerA): [LayerClustering, LayerClustering][] => {
    const layerB = b.find((l) => l.layer === layerA.layer);
    return layerB ? [[layerA, layerB]] : [];
  });
  if (pairs.length === 0) {
    throw new InputError('the runs have no layer with patterns under the same name', {
      hint: `pair layers explicitly (layers of A: ${a.map((l) => l.layer).join(', ') || 'none'}; of B: ${b.map((l) => l.layer).join(', ') || 'none'})`,
    });
  }
  return pairs;
}

const COMPARE_STAGE = 'comparing layers';

/** Compares the patterns of run A with those of run B on their shared inputs, layer pair by layer pair. */
export async function compareRuns(
  a: RunRef,
  b: RunRef,
  options: CompareOptions = {},
  control: TaskControl = {},
): Promise<RunComparison> {
  const inputsA = await a.tables.inputs(a.runId);
  const inputsB = await b.tables.inputs(b.runId);
  const { indexA, indexB } = matchInputsByPath(inputsA, inputsB);
  if (indexA.length === 0) {
    throw new InputError(`runs ${a.runId} and ${b.runId} share no input paths`, {
      hint: 'compare runs over the same dataset (inputs are matched by their path)',
    });
  }
  const pairs = resolveLayerPairs(
    await a.tables.layerClusterings(a.runId),
    await b.tables.layerClusterings(b.runId),
    options.layers,
  );
  const layers: LayerComparison[] = [];
  for (const [done, [layerA, layerB]] of pairs.entries()) {
    throwIfCancelled(control.signal, COMPARE_STAGE);
    control.onProgress?.({ stage: COMPARE_STAGE, done, total: pairs.length });
    const labelOfA = labelLookup(await a.tables.memberships(layerA.clusteringId));
    const labelOfB = labelLookup(await b.tables.memberships(layerB.clusteringId));
    const labelsA: number[] = [];
    const labelsB: number[] = [];
    indexA.forEach((inputA, k) => {
      const labelA = labelOfA.get(inputA);
      const labelB = labelOfB.get(indexB[k]!);
      if (labelA === undefined || labelB === undefined) return;
      labelsA.push(labelA);
      labelsB.push(labelB);
    });
    const aligned = { a: Int32Array.from(labelsA), b: Int32Array.from(labelsB) };
    const table = contingencyTable(aligned.a, aligned.b, layerA.patternCount, layerB.patternCount);
    const matching = matchPatterns(table, jaccardMatrix(table), { minJaccard: options.minJaccard });
    layers.push({
      layerA: layerA.layer,
      layerB: layerB.layer,
      clusteringA: layerA.clusteringId,
      clusteringB: layerB.clusteringId,
      patternsA: layerA.patternCount,
      patternsB: layerB.patternCount,
      inputs: aligned.a.length,
      agreement: comparePartitions(aligned.a, aligned.b),
      matching,
    });
  }
  control.onProgress?.({ stage: COMPARE_STAGE, done: pairs.length, total: pairs.length });
  return {
    runA: a.runId,
    runB: b.runId,
    sharedInputs: indexA.length,
    unmatchedA: inputsA.inputIndex.length - indexA.length,
    unmatchedB: inputsB.inputIndex.length - indexB.length,
    layers,
  };
}
