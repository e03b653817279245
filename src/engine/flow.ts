/**
 * Concept flow across the layers of a run: contingency tables and Jaccard matrices between the layers'
 * patterns, stored in the run's store so the app reads them; the alluvial graph of the whole run; and
 * the lineage of one pattern through every other layer. A layer's patterns are those of its newest
 * layer-wide clustering (unit patterns take no part).
 */
import {
  contingencyFromCells,
  contingencyTable,
  nonZeroCells,
  rowOfLabel,
  type Contingency,
} from '../compute/contingency.js';
import {
  flowGraph,
  jaccardMatrix,
  patternLineage,
  type FlowGraph,
  type LineageOptions,
  type LineageStep,
} from '../compute/flow.js';
import { InputError, NotFoundError } from '../errors.js';
import type { FlowRecord } from '../io/store/flow.js';
import type { MembershipColumns, ResultsReader, FlowWriter } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';

/** A layer of a run and the clustering that stands for its patterns. */
export interface LayerClustering {
  layer: string;
  /** Position of the layer in the model. */
  order: number;
  clusteringId: number;
  patternCount: number;
}

/** The layers of a run that have a layer-wide clustering, in model order, each with its newest one. */
export async function layerClusterings(store: ResultsReader, runId: number): Promise<LayerClustering[]> {
  const layers = await store.listLayers(runId);
  const clusterings = (await store.listClusterings(runId)).filter((c) => c.unit === null);
  const out: LayerClustering[] = [];
  for (const info of layers) {
    const newest = clusterings.filter((c) => c.layer === info.layer).pop();
    if (newest)
      out.push({
        layer: info.layer,
        order: info.order,
        clusteringId: newest.clusteringId,
        patternCount: newest.patternCount,
      });
  }
  return out;
}

/** Labels of the inputs that both clusterings hold, aligned by input index. */
export function alignMemberships(
  a: MembershipColumns,
  b: MembershipColumns,
): { inputIndex: Int32Array; labelsA: Int32Array; labelsB: Int32Array } {
  // Both are sorted by input index (readMemberships' order): one merge pass.
  const shared: number[] = [];
  const labelsA: number[] = [];
  const labelsB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.inputIndex.length && j < b.inputIndex.length) {
    const x = a.inputIndex[i]!;
    const y = b.inputIndex[j]!;
    if (x < y) i++;
    else if (y < x) j++;
    else {
      shared.push(x);
      labelsA.push(a.patternId[i++]!);
      labelsB.push(b.patternId[j++]!);
    }
  }
  return { inputIndex: Int32Array.from(shared), labelsA: Int32Array.from(labelsA), labelsB: Int32Array.from(labelsB) };
}

export interface StoreFlowsOptions {
  /** Layer pairs to store: 'all' (default; a pattern's lineage needs them) or 'consecutive' (enough for the alluvial graph). */
  pairs?: 'all' | 'consecutive';
  /** Compute and store again the pairs already stored; default false. */
  recompute?: boolean;
}

const FLOW_STAGE = 'concept flow between layers';

/**
 * Computes and stores the flow between the run's layers (each pair once, earlier layer as A). Pairs that
 * are already stored for the current clusterings are kept unless `recompute`. Returns every stored flow
 * between the current clusterings.
 */
export async function storeRunFlows(
  store: ResultsReader & FlowWriter,
  runId: number,
  options: StoreFlowsOptions = {},
  control: TaskControl = {},
): Promise<FlowRecord[]> {
  const pairsOption = options.pairs ?? 'all';
  if (pairsOption !== 'all' && pairsOption !== 'consecutive') {
    throw new InputError(`flow pairs ${JSON.stringify(pairsOption)} is unknown`, {
      hint: "use 'all' or 'consecutive'",
    });
  }
  const layers = await layerClusterings(store, runId);
  const pairs: [LayerClustering, LayerClustering][] = [];
  layers.forEach((a, i) => {
    const partners = pairsOption === 'all' ? layers.slice(i + 1) : layers.slice(i + 1, i + 2);
    for (const b of partners) pairs.push([a, b]);
  });
  const key = (x: number, y: number) => `${Math.min(x, y)}:${Math.max(x, y)}`;
  const stored = new Set((await store.listFlows(runId)).map((flow) => key(flow.clusteringA, flow.clusteringB)));
  const todo = options.recompute ? pairs : pairs.filter(([a, b]) => !stored.has(key(a.clusteringId, b.clusteringId)));
  const memberships = new Map<number, MembershipColumns>();
  const membershipsOf = async (clusteringId: number) => {
    let columns = memberships.get(clusteringId);
    if (!columns) {
      columns = await store.readMemberships(clusteringId);
      memberships.set(clusteringId, columns);
    }
    return columns;
  };
  for (const [done, [a, b]] of todo.entries()) {
    throwIfCancelled(control.signal, FLOW_STAGE);
    control.onProgress?.({ stage: FLOW_STAGE, done, total: todo.length });
    const aligned = alignMemberships(await membershipsOf(a.clusteringId), await membershipsOf(b.clusteringId));
    const table = contingencyTable(aligned.labelsA, aligned.labelsB, a.patternCount, b.patternCount);
    const cells = nonZeroCells(table);
    const jaccard = jaccardMatrix(table);
    const cols = table.patternsB + 1;
    await store.saveFlow({
      clusteringA: a.clusteringId,
      clusteringB: b.clusteringId,
      patternA: cells.labelA,
      patternB: cells.labelB,
      count: cells.count,
      jaccard: Float64Array.from(
        cells.count,
        (_, k) =>
          jaccard[
            rowOfLabel(cells.labelA[k]!, table.patternsA) * cols + rowOfLabel(cells.labelB[k]!, table.patternsB)
          ]!,
      ),
    });
  }
  control.onProgress?.({ stage: FLOW_STAGE, done: todo.length, total: todo.length });
  const current = new Set(pairs.map(([a, b]) => key(a.clusteringId, b.clusteringId)));
  return (await store.listFlows(runId)).filter((flow) => current.has(key(flow.clusteringA, flow.clusteringB)));
}

/** The flow between two layers of a run. */
export interface LayerFlow {
  runId: number;
  from: LayerClustering;
  to: LayerClustering;
  /** Patterns of `from` (rows) by patterns of `to` (columns), noise last, over the inputs both hold. */
  table: Contingency;
  /** Jaccard index of every row and column of the table, same shape. */
  jaccard: Float64Array;
  /** True when read from the store, false when computed from the memberships (nothing is written). */
  stored: boolean;
}

export interface LayerFlowOptions {
  /** Layer of the rows; default the layer before `to`, or the first layer. */
  from?: string;
  /** Layer of the columns; default the layer after `from`. */
  to?: string;
}

function findLayer(layers: readonly LayerClustering[], name: string, runId: number): number {
  const index = layers.findIndex((l) => l.layer === name);
  if (index < 0) {
    throw new NotFoundError(`layer ${JSON.stringify(name)} has no patterns in run ${runId}`, {
      hint:
        layers.length > 0 ? `layers with patterns: ${layers.map((l) => l.layer).join(', ')}` : 'analyze the run first',
    });
  }
  return index;
}

function resolvePair(
  layers: readonly LayerClustering[],
  runId: number,
  options: LayerFlowOptions,
): [LayerClustering, LayerClustering] {
  if (layers.length < 2) {
    throw new InputError(`run ${runId} has ${layers.length} layer(s) with patterns; a flow needs two`, {
      hint: 'analyze at least two layers',
    });
  }
  let from = options.from === undefined ? undefined : findLayer(layers, options.from, runId);
  let to = options.to === undefined ? undefined : findLayer(layers, options.to, runId);
  if (from === undefined) from = to === undefined ? 0 : to > 0 ? to - 1 : 1;
  if (to === undefined) to = from + 1 < layers.length ? from + 1 : from - 1;
  if (from === to) {
    throw new InputError(`flow from layer ${JSON.stringify(layers[from]!.layer)} to itself`, {
      hint: 'pass two different layers',
    });
  }
  return [layers[from]!, layers[to]!];
}

async function flowBetween(
  store: ResultsReader,
  runId: number,
  from: LayerClustering,
  to: LayerClustering,
): Promise<LayerFlow> {
  const stored = await store.readFlow(from.clusteringId, to.clusteringId);
  let table: Contingency;
  if (stored) {
    table = contingencyFromCells(from.patternCount, to.patternCount, stored.patternA, stored.patternB, stored.count);
  } else {
    const aligned = alignMemberships(
      await store.readMemberships(from.clusteringId),
      await store.readMemberships(to.clusteringId),
    );
    table = contingencyTable(aligned.labelsA, aligned.labelsB, from.patternCount, to.patternCount);
  }
  return { runId, from, to, table, jaccard: jaccardMatrix(table), stored: stored !== null };
}

/** The flow from one layer of a run to another (consecutive by default); read from the store when stored. */
export async function readLayerFlow(
  store: ResultsReader,
  runId: number,
  options: LayerFlowOptions = {},
): Promise<LayerFlow> {
  const [from, to] = resolvePair(await layerClusterings(store, runId), runId, options);
  return flowBetween(store, runId, from, to);
}

/** The alluvial graph of every layer with patterns, in model order. */
export async function readRunFlowGraph(store: ResultsReader, runId: number): Promise<FlowGraph> {
  const layers = await layerClusterings(store, runId);
  const tables: Contingency[] = [];
  for (let l = 0; l + 1 < layers.length; l++)
    tables.push((await flowBetween(store, runId, layers[l]!, layers[l + 1]!)).table);
  return flowGraph(
    layers.map((l) => l.layer),
    tables,
  );
}

export interface PatternLineage {
  layer: string;
  clusteringId: number;
  /** -1: the layer's noise. */
  patternId: number;
  size: number;
  /** Every other layer with patterns, in model order. */
  steps: LineageStep[];
}

/** Where the members of pattern `patternId` (-1: noise) of `layer` are in every other layer. */
export async function readPatternLineage(
  store: ResultsReader,
  runId: number,
  layer: string,
  patternId: number,
  options: LineageOptions = {},
): Promise<PatternLineage> {
  const layers = await layerClusterings(store, runId);
  const own = layers[findLayer(layers, layer, runId)]!;
  if (!(patternId === -1 || (Number.isInteger(patternId) && patternId >= 0 && patternId < own.patternCount))) {
    throw new NotFoundError(`pattern ${patternId} does not exist in layer ${JSON.stringify(layer)} of run ${runId}`, {
      hint:
        own.patternCount > 0
          ? `its patterns are 0..${own.patternCount - 1}, or -1 for noise`
          : 'the layer has only noise (-1)',
    });
  }
  const tables: { layer: string; table: Contingency }[] = [];
  for (const other of layers) {
    if (other === own) continue;
    tables.push({ layer: other.layer, table: (await flowBetween(store, runId, own, other)).table });
  }
  const memberships = await store.readMemberships(own.clusteringId);
  const size = memberships.patternId.reduce((n, p) => n + (p === patternId ? 1 : 0), 0);
  return { layer, clusteringId: own.clusteringId, patternId, size, steps: patternLineage(patternId, tables, options) };
}
