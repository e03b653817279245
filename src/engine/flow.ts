/**
 * Concept flow across the layers of a run, write side: the contingency table and Jaccard matrix of every
 * pair of layers, stored in the run's store. Reading them (the alluvial graph, a layer pair, a pattern's
 * lineage) is src/results/flow.ts. A layer's patterns are those of its newest layer-wide clustering.
 */
import { alignLabellings, type Labelling } from '../compute/align.js';
import { contingencyTable, nonZeroCells, rowOfLabel } from '../compute/contingency.js';
import { jaccardMatrix } from '../compute/flow.js';
import { InputError } from '../errors.js';
import type { FlowCells, FlowRecord } from '../io/store/flow.js';
import type { FlowToPartner, FlowWriter, MembershipColumns, StoreReader } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { layerClusteringsOf, type LayerClustering } from '../results/layer-clusterings.js';

/** The layers of a run that have a layer-wide clustering, in model order, each with its newest one. */
export async function layerClusterings(store: StoreReader, runId: number): Promise<LayerClustering[]> {
  return layerClusteringsOf(await store.listLayers(runId), await store.listClusterings(runId));
}

export interface StoreFlowsOptions {
  /** Layer pairs to store: 'all' (default; a pattern's lineage needs them) or 'consecutive' (enough for the alluvial graph). */
  pairs?: 'all' | 'consecutive';
  /** Compute and store again the pairs already stored; default false. */
  recompute?: boolean;
}

const FLOW_STAGE = 'concept flow between layers';

/** A clustering's labelling and its pattern count. */
export interface PatternLabelling {
  memberships: Labelling;
  patternCount: number;
}

/** The non-zero cells of the contingency table of A (rows) by B (columns), with each cell's Jaccard index. */
export function flowCells(a: PatternLabelling, b: PatternLabelling): FlowCells {
  const aligned = alignLabellings(a.memberships, b.memberships);
  const table = contingencyTable(aligned.labelsA, aligned.labelsB, a.patternCount, b.patternCount);
  const cells = nonZeroCells(table);
  const jaccard = jaccardMatrix(table);
  const cols = table.patternsB + 1;
  return {
    patternA: cells.labelA,
    patternB: cells.labelB,
    count: cells.count,
    jaccard: Float64Array.from(
      cells.count,
      (_, k) =>
        jaccard[rowOfLabel(cells.labelA[k]!, table.patternsA) * cols + rowOfLabel(cells.labelB[k]!, table.patternsB)]!,
    ),
  };
}

/**
 * The flows a new layer clustering of `layer` brings (it becomes the layer's newest): to the newest
 * clustering of every other clustered layer of the run, the earlier layer in model order as A.
 */
export async function flowsOfNewClustering(
  store: StoreReader,
  runId: number,
  layer: string,
  clustering: PatternLabelling,
  control: TaskControl = {},
): Promise<FlowToPartner[]> {
  const layers = await layerClusterings(store, runId);
  const position = layers.findIndex((entry) => entry.layer === layer);
  const others = layers.filter((entry) => entry.layer !== layer);
  const flows: FlowToPartner[] = [];
  for (const [done, other] of others.entries()) {
    throwIfCancelled(control.signal, FLOW_STAGE);
    control.onProgress?.({ stage: FLOW_STAGE, done, total: others.length });
    const partner = { memberships: await store.readMemberships(other.clusteringId), patternCount: other.patternCount };
    const newFirst = position < layers.indexOf(other);
    const cells = newFirst ? flowCells(clustering, partner) : flowCells(partner, clustering);
    flows.push({ partner: other.clusteringId, newIs: newFirst ? 'A' : 'B', ...cells });
  }
  control.onProgress?.({ stage: FLOW_STAGE, done: others.length, total: others.length });
  return flows;
}

/**
 * Computes and stores the flow between the run's layers (each pair once, earlier layer as A). Pairs that
 * are already stored for the current clusterings are kept unless `recompute`. Returns every stored flow
 * between the current clusterings.
 */
export async function storeRunFlows(
  store: StoreReader & FlowWriter,
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
    const cells = flowCells(
      { memberships: await membershipsOf(a.clusteringId), patternCount: a.patternCount },
      { memberships: await membershipsOf(b.clusteringId), patternCount: b.patternCount },
    );
    await store.saveFlow({ clusteringA: a.clusteringId, clusteringB: b.clusteringId, ...cells });
  }
  control.onProgress?.({ stage: FLOW_STAGE, done: todo.length, total: todo.length });
  const current = new Set(pairs.map(([a, b]) => key(a.clusteringId, b.clusteringId)));
  return (await store.listFlows(runId)).filter((flow) => current.has(key(flow.clusteringA, flow.clusteringB)));
}
