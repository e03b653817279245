/**
 * The routes beyond the original Magnifying Glass: concept flow (alluvial graph, layer-to-layer tables,
 * pattern lineage), run comparison and triage. They read the flows that analyze stored and call the
 * engine; their contract is documented in api-types.ts.
 */
import { compareRuns, type LayerComparison } from '../engine/compare.js';
import {
  layerClusterings,
  readLayerFlow,
  readPatternLineage,
  readRunFlowGraph,
  type LayerClustering,
} from '../engine/flow.js';
import { triageRun, type TriageResult } from '../engine/triage.js';
import { InputError } from '../errors.js';
import type { PartitionAgreement } from '../compute/partition-agreement.js';
import {
  TRIAGE_REASONS,
  type AgreementSummary,
  type FlowGraphResponse,
  type FlowLayer,
  type LayerComparisonSummary,
  type LayerFlowResponse,
  type LineageResponse,
  type RunComparisonResponse,
  type TriageResponse,
} from './api-types.js';
import type { ApiContext } from './api-routes.js';
import { PromiseCache } from './lru.js';
import { parseChoice, parseId, parseInteger, parseIntegerIn, parseNumberIn } from './params.js';
import type { Route, RouteContext, RouteResult } from './router.js';

export const LINEAGE_LIMIT = { default: 5, max: 1000 } as const;
export const TRIAGE_LIMIT_MAX = 1_000_000;

const list = (values: ArrayLike<number>): number[] => Array.from(values);
const json = (body: unknown): RouteResult => ({ kind: 'json', body });
const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

function flowLayer(layer: LayerClustering): FlowLayer {
  return { layer: layer.layer, order: layer.order, clusteringId: layer.clusteringId, patternCount: layer.patternCount };
}

function agreementSummary(agreement: PartitionAgreement): AgreementSummary {
  return {
    inputs: agreement.inputs,
    adjustedRandIndex: finiteOrNull(agreement.adjustedRandIndex),
    normalizedMutualInformation: finiteOrNull(agreement.normalizedMutualInformation),
  };
}

function layerComparisonSummary(layer: LayerComparison): LayerComparisonSummary {
  const { pairs, unmatchedA, unmatchedB } = layer.matching;
  return {
    layerA: layer.layerA,
    layerB: layer.layerB,
    clusteringA: layer.clusteringA,
    clusteringB: layer.clusteringB,
    patternsA: layer.patternsA,
    patternsB: layer.patternsB,
    inputs: layer.inputs,
    withNoise: agreementSummary(layer.agreement.withNoise),
    withoutNoise: agreementSummary(layer.agreement.withoutNoise),
    pairs: {
      patternA: pairs.map((p) => p.patternA),
      patternB: pairs.map((p) => p.patternB),
      jaccard: pairs.map((p) => p.jaccard),
      shared: pairs.map((p) => p.shared),
    },
    unmatchedA: [...unmatchedA],
    unmatchedB: [...unmatchedB],
  };
}

/** The first `limit` rows of a triage result as the response's columns. */
export function triageResponse(result: TriageResult, reason: TriageResponse['reason'], limit: number): TriageResponse {
  const { rows } = result;
  const n = Math.min(limit, rows.layer.length);
  const head = <T>(values: ArrayLike<T>): T[] => Array.from({ length: n }, (_, k) => values[k]!);
  return {
    runId: result.runId,
    reason,
    layers: result.layers.map(flowLayer),
    total: rows.layer.length,
    layer: head(rows.layer),
    clusteringId: head(rows.clusteringId),
    patternId: head(rows.patternId),
    inputIndex: head(rows.inputIndex),
    path: head(rows.path),
    label: head(rows.label),
    prediction: head(rows.prediction),
    predictionLabel: head(rows.predictionLabel),
    probability: head(rows.predictionProbability).map(finiteOrNull),
    majorityLabel: head(rows.majorityLabel),
    majorityShare: head(rows.majorityShare),
    disagreesWithMajority: head(rows.disagreesWithMajority).map((flag) => flag === 1),
    disagreesWithPrediction: head(rows.disagreesWithPrediction).map((flag) => flag === 1),
    outlierScore: head(rows.outlierScore).map(finiteOrNull),
    membershipProbability: head(rows.membershipProbability),
  };
}

const runIdOf = ({ params }: RouteContext, name = 'runId') => parseId('run id', params[name]!);

export function insightRoutes(context: ApiContext): Route[] {
  const { views } = context;
  const { store } = views;
  // The store is read-only while served, so results can be kept; comparisons and triage are the costly ones.
  const graphs = new PromiseCache<number, FlowGraphResponse>(16);
  const comparisons = new PromiseCache<string, RunComparisonResponse>(16);
  const triages = new PromiseCache<string, TriageResult>(16);

  return [
    {
      path: '/api/runs/:runId/flow',
      query: [],
      handle: async (request) => {
        const runId = runIdOf(request);
        await views.run(runId);
        const body = await graphs.get(runId, async () => {
          const layers = await layerClusterings(store, runId);
          const graph = await readRunFlowGraph(store, runId);
          return {
            runId,
            layers: layers.map(flowLayer),
            nodes: {
              layerIndex: graph.nodes.map((n) => n.layerIndex),
              patternId: graph.nodes.map((n) => n.patternId),
              size: graph.nodes.map((n) => n.size),
            },
            links: {
              source: graph.links.map((l) => l.source),
              target: graph.links.map((l) => l.target),
              count: graph.links.map((l) => l.count),
            },
          };
        });
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId/layer-flow',
      query: ['from', 'to'],
      handle: async (request) => {
        const runId = runIdOf(request);
        await views.run(runId);
        const flow = await readLayerFlow(store, runId, {
          from: request.query.get('from'),
          to: request.query.get('to'),
        });
        const { table } = flow;
        const body: LayerFlowResponse = {
          runId,
          from: flowLayer(flow.from),
          to: flowLayer(flow.to),
          stored: flow.stored,
          counts: list(table.counts),
          rowSums: list(table.rowSums),
          colSums: list(table.colSums),
          total: table.total,
          jaccard: list(flow.jaccard),
        };
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId/layers/:layer/patterns/:patternId/lineage',
      query: ['minShare', 'limit'],
      handle: async (request) => {
        const runId = runIdOf(request);
        const patternId = parseInteger('pattern id', request.params.patternId!);
        const minShareText = request.query.get('minShare');
        const minShare = minShareText === undefined ? undefined : parseNumberIn('minShare', minShareText, 0, 1);
        const limit = parseIntegerIn(
          'limit',
          request.query.get('limit') ?? String(LINEAGE_LIMIT.default),
          1,
          LINEAGE_LIMIT.max,
        );
        const layer = await views.layer(runId, request.params.layer!);
        const lineage = await readPatternLineage(store, runId, layer.layer, patternId, { minShare, limit });
        const clusteringOf = new Map((await layerClusterings(store, runId)).map((l) => [l.layer, l.clusteringId]));
        const body: LineageResponse = {
          runId,
          layer: lineage.layer,
          clusteringId: lineage.clusteringId,
          patternId: lineage.patternId,
          size: lineage.size,
          steps: lineage.steps.map((step) => ({
            layer: step.layer,
            clusteringId: clusteringOf.get(step.layer)!,
            members: step.members,
            shares: step.shares.map((share) => ({ ...share })),
            otherShare: step.otherShare,
          })),
        };
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId/triage',
      query: ['layer', 'pattern', 'reason', 'limit'],
      handle: async (request) => {
        const runId = runIdOf(request);
        const { query } = request;
        const layer = query.get('layer');
        const patternText = query.get('pattern');
        const pattern = patternText === undefined ? undefined : parseInteger('pattern', patternText);
        if (pattern !== undefined && layer === undefined) {
          throw new InputError(`pattern ${pattern} needs a layer: pattern ids are per layer`, {
            hint: 'pass layer=<layer name> too',
          });
        }
        const reason = parseChoice('reason', query.get('reason') ?? 'any', TRIAGE_REASONS);
        const limitText = query.get('limit');
        const limit =
          limitText === undefined ? TRIAGE_LIMIT_MAX : parseIntegerIn('limit', limitText, 1, TRIAGE_LIMIT_MAX);
        if (layer !== undefined) await views.layer(runId, layer);
        else await views.run(runId);
        const result = await triages.get(JSON.stringify([runId, layer ?? null, pattern ?? null, reason]), () =>
          triageRun(store, runId, { layer, pattern, reason }),
        );
        return json(triageResponse(result, reason, limit));
      },
    },
    {
      path: '/api/runs/:runA/compare/:runB',
      query: ['minJaccard'],
      handle: async (request) => {
        const runA = runIdOf(request, 'runA');
        const runB = runIdOf(request, 'runB');
        const minJaccardText = request.query.get('minJaccard');
        const minJaccard = minJaccardText === undefined ? 0 : parseNumberIn('minJaccard', minJaccardText, 0, 1);
        await Promise.all([views.run(runA), views.run(runB)]);
        const body = await comparisons.get(`${runA}:${runB}:${minJaccard}`, async () => {
          const comparison = await compareRuns({ store, runId: runA }, { store, runId: runB }, { minJaccard });
          return {
            runA,
            runB,
            sharedInputs: comparison.sharedInputs,
            unmatchedA: comparison.unmatchedA,
            unmatchedB: comparison.unmatchedB,
            layers: comparison.layers.map(layerComparisonSummary),
          };
        });
        return json(body);
      },
    },
  ];
}
