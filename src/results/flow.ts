/**
 * Concept flow across the layers of a run, read side: the contingency table of two layers (from the
 * flow analyze stored, else from the memberships), the alluvial graph of the run and the lineage of one
 * pattern. A layer's patterns are those of its newest layer-wide clustering (unit patterns take no part).
 * Tables are kept per layer pair: a lineage asks for every pair of its layer, many times under load.
 */
import { alignLabellings } from '../compute/align.js';
import { contingencyFromCells, contingencyTable, type Contingency } from '../compute/contingency.js';
import { flowGraph, jaccardMatrix, patternLineage, type FlowGraph, type LineageStep } from '../compute/flow.js';
import type { LineageOptions } from '../compute/flow.js';
import { InputError, NotFoundError } from '../errors.js';
import { PromiseCache } from './cache.js';
import type { LayerClustering, ResultsTables } from './results-tables.js';

/** The flow between two layers of a run. */
export interface LayerFlow {
  runId: number;
  from: LayerClustering;
  to: LayerClustering;
  /** Patterns of `from` (rows) by patterns of `to` (columns), noise last, over the inputs both hold. */
  table: Contingency;
  /** Jaccard index of every row and column of the table, same shape. */
  jaccard: Float64Array;
  /** True when read from the stored flow, false when computed from the memberships. */
  stored: boolean;
}

export interface LayerFlowOptions {
  /** Layer of the rows; default the layer before `to`, or the first layer. */
  from?: string;
  /** Layer of the columns; default the layer after `from`. */
  to?: string;
}

export interface PatternLineage {
  layer: string;
  clusteringId: number;
  /** -1: the layer's noise. */
  patternId: number;
  size: number;
  /** Every other layer with patterns, in model order. */
  steps: (LineageStep & { clusteringId: number })[];
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

/** The flow queries over a run's tables, with each layer pair's table computed once. */
export class FlowQueries {
  private readonly flows = new PromiseCache<string, LayerFlow>(512);

  constructor(private readonly tables: ResultsTables) {}

  /** The flow from clustering `from` to clustering `to` of run `runId`. */
  between(runId: number, from: LayerClustering, to: LayerClustering): Promise<LayerFlow> {
    return this.flows.get(`${from.clusteringId}:${to.clusteringId}`, async () => {
      const stored = await this.tables.flow(from.clusteringId, to.clusteringId);
      let table: Contingency;
      if (stored) {
        table = contingencyFromCells(
          from.patternCount,
          to.patternCount,
          stored.patternA,
          stored.patternB,
          stored.count,
        );
      } else {
        const aligned = alignLabellings(
          await this.tables.memberships(from.clusteringId),
          await this.tables.memberships(to.clusteringId),
        );
        table = contingencyTable(aligned.labelsA, aligned.labelsB, from.patternCount, to.patternCount);
      }
      return { runId, from, to, table, jaccard: jaccardMatrix(table), stored: stored !== null };
    });
  }

  /** The flow from one layer of a run to another (consecutive by default). */
  async layerFlow(runId: number, options: LayerFlowOptions = {}): Promise<LayerFlow> {
    const [from, to] = resolvePair(await this.tables.layerClusterings(runId), runId, options);
    return this.between(runId, from, to);
  }

  /** The alluvial graph of every layer with patterns, in model order. */
  async graph(runId: number): Promise<FlowGraph> {
    const layers = await this.tables.layerClusterings(runId);
    const tables: Contingency[] = [];
    for (let l = 0; l + 1 < layers.length; l++)
      tables.push((await this.between(runId, layers[l]!, layers[l + 1]!)).table);
    return flowGraph(
      layers.map((l) => l.layer),
      tables,
    );
  }

  /** Where the members of pattern `patternId` (-1: noise) of `layer` are in every other layer. */
  async lineage(
    runId: number,
    layer: string,
    patternId: number,
    options: LineageOptions = {},
  ): Promise<PatternLineage> {
    const layers = await this.tables.layerClusterings(runId);
    const own = layers[findLayer(layers, layer, runId)]!;
    if (!(patternId === -1 || (Number.isInteger(patternId) && patternId >= 0 && patternId < own.patternCount))) {
      throw new NotFoundError(`pattern ${patternId} does not exist in layer ${JSON.stringify(layer)} of run ${runId}`, {
        hint:
          own.patternCount > 0
            ? `its patterns are 0..${own.patternCount - 1}, or -1 for noise`
            : 'the layer has only noise (-1)',
      });
    }
    const others = layers.filter((other) => other !== own);
    const tables = await Promise.all(
      others.map(async (other) => ({ layer: other.layer, table: (await this.between(runId, own, other)).table })),
    );
    const patterns = await this.tables.patterns(own.clusteringId);
    const size =
      patternId === -1
        ? (await this.tables.clustering(own.clusteringId)).noiseCount
        : patterns.size[patterns.patternId.indexOf(patternId)]!;
    const steps = patternLineage(patternId, tables, options).map((step, k) => ({
      ...step,
      clusteringId: others[k]!.clusteringId,
    }));
    return { layer, clusteringId: own.clusteringId, patternId, size, steps };
  }
}
