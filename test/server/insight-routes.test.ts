/**
 * The flow, lineage and run-comparison routes over a small real store with two runs: their bodies
 * against the engine and against counts made here from the memberships, and their errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { compareRuns, type RunComparison } from '../../src/results/compare.js';
import { storeResults } from '../../src/results/node/duckdb-reader.js';
import type { FlowGraph } from '../../src/compute/flow.js';
import { NapStore, type MembershipColumns } from '../../src/io/store/index.js';
import {
  type ApiError,
  type FlowGraphResponse,
  type LayerFlowResponse,
  type LineageResponse,
  type RunComparisonResponse,
} from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { getJson } from './fixture.js';

let dir: string;
let server: RunningServer;
let runA: number;
let runB: number;
const clusterings = new Map<string, number>();
const memberships = new Map<number, MembershipColumns>();
let graph: FlowGraph;
let comparison: RunComparison;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-insight-routes-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const storePath = path.join(dir, 'nap.duckdb');
  const a = await analyze({
    model,
    data: 'mnist',
    out: storePath,
    limit: 200,
    layers: [TINY.relu, TINY.pool, TINY.logits],
    name: 'A',
  });
  const b = await analyze({
    model,
    data: 'mnist',
    out: storePath,
    limit: 120,
    seed: 7,
    layers: [TINY.pool, TINY.logits],
    name: 'B',
  });
  runA = a.runId;
  runB = b.runId;
  for (const layer of a.layers) clusterings.set(layer.layer, layer.clusteringId);
  // The server holds the store open, so the library's answers are read first.
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    for (const id of clusterings.values()) memberships.set(id, await store.readMemberships(id));
    const { flows, tables } = storeResults(store);
    graph = await flows.graph(runA);
    comparison = await compareRuns({ tables, runId: runA }, { tables, runId: runB });
  } finally {
    await store.close();
  }
  server = await startServer({ store: storePath, port: 0, appDir: dir, thumbnailCacheDir: false });
});

after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const get = <T>(route: string) => getJson<T>(server.url, route);

async function failure(route: string): Promise<ApiError> {
  const response = await fetch(server.url + route);
  const body = (await response.json()) as ApiError;
  assert.equal(body.status, response.status);
  return body;
}

/** Patterns of `from` x patterns of `to`, noise last, counted here from the memberships. */
function countPairs(from: string, to: string, patternsFrom: number, patternsTo: number): number[] {
  const a = memberships.get(clusterings.get(from)!)!;
  const b = memberships.get(clusterings.get(to)!)!;
  const patternOfB = new Map(Array.from(b.inputIndex, (input, row) => [input, b.patternId[row]!]));
  const counts = new Array<number>((patternsFrom + 1) * (patternsTo + 1)).fill(0);
  a.inputIndex.forEach((input, row) => {
    const pb = patternOfB.get(input);
    if (pb === undefined) return;
    const pa = a.patternId[row]!;
    counts[(pa < 0 ? patternsFrom : pa) * (patternsTo + 1) + (pb < 0 ? patternsTo : pb)]!++;
  });
  return counts;
}

test('the flow graph is the engine graph as columns, over the layers in model order', async () => {
  const body = await get<FlowGraphResponse>(apiPaths.flowGraph(runA));
  assert.deepEqual(
    body.layers.map((l) => l.layer),
    [TINY.relu, TINY.pool, TINY.logits],
  );
  assert.deepEqual(
    body.layers.map((l) => l.clusteringId),
    [TINY.relu, TINY.pool, TINY.logits].map((l) => clusterings.get(l)),
  );
  assert.deepEqual(
    body.nodes.patternId,
    graph.nodes.map((n) => n.patternId),
  );
  assert.deepEqual(
    body.nodes.size,
    graph.nodes.map((n) => n.size),
  );
  assert.deepEqual(
    body.links.count,
    graph.links.map((l) => l.count),
  );
  // Every layer's nodes hold all 200 inputs, and so do the links between two layers.
  for (let l = 0; l < 3; l++)
    assert.equal(
      body.nodes.size.filter((_, k) => body.nodes.layerIndex[k] === l).reduce((s, v) => s + v, 0),
      200,
    );
  for (let l = 0; l < 2; l++)
    assert.equal(
      body.links.count.filter((_, k) => body.nodes.layerIndex[body.links.source[k]!] === l).reduce((s, v) => s + v, 0),
      200,
    );
  for (let k = 0; k < body.links.source.length; k++) {
    assert.equal(
      body.nodes.layerIndex[body.links.target[k]!],
      body.nodes.layerIndex[body.links.source[k]!]! + 1,
      'links join consecutive layers',
    );
  }
});

test('a layer flow holds the counts of the memberships and their Jaccard indices', async () => {
  const body = await get<LayerFlowResponse>(apiPaths.layerFlow(runA, TINY.relu, TINY.logits));
  assert.equal(body.from.layer, TINY.relu);
  assert.equal(body.to.layer, TINY.logits);
  assert.equal(body.stored, true, 'analyze stores every pair');
  const rows = body.from.patternCount + 1;
  const cols = body.to.patternCount + 1;
  assert.deepEqual(body.counts, countPairs(TINY.relu, TINY.logits, body.from.patternCount, body.to.patternCount));
  assert.equal(body.total, 200);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const shared = body.counts[i * cols + j]!;
      const union = body.rowSums[i]! + body.colSums[j]! - shared;
      assert.ok(Math.abs(body.jaccard[i * cols + j]! - (union > 0 ? shared / union : 0)) < 1e-12, `cell ${i},${j}`);
    }
  }
  // Reversed, the table is the transpose; without layers, the first two layers.
  const reversed = await get<LayerFlowResponse>(apiPaths.layerFlow(runA, TINY.logits, TINY.relu));
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) assert.equal(reversed.counts[j * rows + i], body.counts[i * cols + j]);
  const first = await get<LayerFlowResponse>(apiPaths.layerFlow(runA));
  assert.deepEqual([first.from.layer, first.to.layer], [TINY.relu, TINY.pool]);
});

test('a lineage lists, per other layer, the patterns holding the largest shares of the members', async () => {
  const pool = clusterings.get(TINY.pool)!;
  const own = memberships.get(pool)!;
  const patternId = own.patternId.find((p) => p >= 0)!;
  const body = await get<LineageResponse>(apiPaths.lineage(runA, TINY.pool, patternId, { minShare: 0, limit: 1000 }));
  const members = new Set(Array.from(own.inputIndex).filter((_, row) => own.patternId[row] === patternId));
  assert.equal(body.size, members.size);
  assert.deepEqual(
    body.steps.map((s) => s.layer),
    [TINY.relu, TINY.logits],
  );
  for (const step of body.steps) {
    const other = memberships.get(step.clusteringId)!;
    assert.equal(step.clusteringId, clusterings.get(step.layer));
    const counts = new Map<number, number>();
    other.inputIndex.forEach((input, row) => {
      if (members.has(input)) counts.set(other.patternId[row]!, (counts.get(other.patternId[row]!) ?? 0) + 1);
    });
    assert.equal(step.members, members.size);
    assert.deepEqual(
      new Map(step.shares.map((s) => [s.patternId, s.count])),
      counts,
      `${step.layer}: every destination with minShare 0`,
    );
    for (const share of step.shares) assert.ok(Math.abs(share.share - share.count / members.size) < 1e-12);
    assert.ok(step.otherShare < 1e-12);
  }
  const top = await get<LineageResponse>(apiPaths.lineage(runA, TINY.pool, patternId, { limit: 1 }));
  for (const [k, step] of top.steps.entries()) {
    assert.equal(step.shares.length, 1);
    assert.equal(step.shares[0]!.count, Math.max(...body.steps[k]!.shares.map((s) => s.count)));
  }
});

test('comparing two runs gives the engine comparison per shared layer; the same run agrees with itself', async () => {
  const body = await get<RunComparisonResponse>(apiPaths.compareRuns(runA, runB));
  assert.equal(body.sharedInputs, comparison.sharedInputs);
  assert.ok(body.sharedInputs > 0);
  assert.deepEqual(
    body.layers.map((l) => l.layerA),
    [TINY.pool, TINY.logits],
  );
  body.layers.forEach((layer, i) => {
    const expected = comparison.layers[i]!;
    assert.equal(
      layer.withNoise.adjustedRandIndex,
      Number.isNaN(expected.agreement.withNoise.adjustedRandIndex)
        ? null
        : expected.agreement.withNoise.adjustedRandIndex,
    );
    assert.equal(
      layer.withNoise.normalizedMutualInformation,
      Number.isNaN(expected.agreement.withNoise.normalizedMutualInformation)
        ? null
        : expected.agreement.withNoise.normalizedMutualInformation,
    );
    assert.deepEqual(
      layer.pairs.patternA,
      expected.matching.pairs.map((p) => p.patternA),
    );
    assert.deepEqual(
      layer.pairs.patternB,
      expected.matching.pairs.map((p) => p.patternB),
    );
    assert.deepEqual(layer.unmatchedB, expected.matching.unmatchedB);
  });
  const self = await get<RunComparisonResponse>(apiPaths.compareRuns(runA, runA));
  for (const layer of self.layers) {
    assert.ok(Math.abs(layer.withNoise.adjustedRandIndex! - 1) < 1e-12, `${layer.layerA} agrees with itself`);
    assert.deepEqual(layer.pairs.patternA, layer.pairs.patternB);
    assert.ok(layer.pairs.jaccard.every((j) => Math.abs(j - 1) < 1e-12));
  }
});

test('bad parameters are 400 and missing runs, layers and patterns 404, each naming the value', async () => {
  const cases: [string, number, RegExp][] = [
    [apiPaths.flowGraph(999), 404, /run 999/],
    [apiPaths.layerFlow(runA, TINY.pool, TINY.pool), 400, /to itself/],
    [apiPaths.layerFlow(runA, 'nope'), 404, /"nope"/],
    [apiPaths.layerFlow(runB, TINY.relu), 404, /relu_out/],
    [apiPaths.lineage(runA, TINY.pool, 9999), 404, /pattern 9999/],
    [apiPaths.lineage(runA, 'nope', 0), 404, /"nope"/],
    [`/api/runs/${runA}/layers/${TINY.pool}/patterns/0/lineage?minShare=2`, 400, /minShare "2"/],
    [`/api/runs/${runA}/layers/${TINY.pool}/patterns/0/lineage?minShare=1e-3`, 400, /minShare "1e-3"/],
    [apiPaths.compareRuns(runA, 999), 404, /run 999/],
    [`/api/runs/${runA}/compare/${runB}?minJaccard=x`, 400, /minJaccard "x"/],
  ];
  for (const [route, status, message] of cases) {
    const body = await failure(route);
    assert.equal(body.status, status, route);
    assert.match(body.error, message, route);
    assert.ok(body.hint, `${route} says what to do`);
  }
});
