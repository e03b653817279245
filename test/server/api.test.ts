/** Every JSON route's content against the store it serves. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  NapStore,
  type CondensedTreeColumns,
  type MemberPage,
  type MembershipColumns,
  type PatternColumns,
  type PatternLabelCounts,
  type RunRecord,
  type StoredInputs,
  type StoredMaxActivations,
  type StoredUnitStats,
} from '../../src/io/store/index.js';
import type {
  ClusteringSummary,
  CondensedTreeResponse,
  InfoResponse,
  InputPatternsResponse,
  InputsResponse,
  LabelCountsResponse,
  MaxActivationsResponse,
  MembersResponse,
  MembershipsResponse,
  PatternsResponse,
  RunDetail,
  RunsResponse,
  UnitStatsResponse,
} from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { buildFixture, close, getJson, INPUT_COUNT, LAYERS, type Fixture } from './fixture.js';

interface Reference {
  run: RunRecord;
  inputs: StoredInputs;
  memberships: MembershipColumns[];
  patterns: PatternColumns[];
  labelCounts: PatternLabelCounts[];
  predictionCounts: PatternLabelCounts[];
  trees: CondensedTreeColumns[];
  layerStats: StoredUnitStats[];
  patternStats: StoredUnitStats;
  maxActivations: StoredMaxActivations[];
  /** Members of pattern 0 of the first clustering in each store order, all of them. */
  membersByOrder: Record<'most-stable' | 'least-stable' | 'input', MemberPage>;
}

let fixture: Fixture;
let reference: Reference;
let server: RunningServer;
let url: string;

before(async () => {
  fixture = await buildFixture('nap-server-api-');
  const store = await NapStore.open(fixture.storePath, { readOnly: true });
  try {
    const ids = fixture.clusteringIds;
    const first = ids[0]!;
    const members = async (order: 'most-stable' | 'least-stable' | 'input') =>
      store.readPatternMembers(first, 0, { order, limit: INPUT_COUNT });
    reference = {
      run: await store.getRun(fixture.runId),
      inputs: await store.readInputs(fixture.runId),
      memberships: await Promise.all(ids.map((id) => store.readMemberships(id))),
      patterns: await Promise.all(ids.map((id) => store.readPatterns(id))),
      labelCounts: await Promise.all(ids.map((id) => store.readPatternLabelCounts(id, 'label'))),
      predictionCounts: await Promise.all(ids.map((id) => store.readPatternLabelCounts(id, 'prediction'))),
      trees: await Promise.all(ids.map((id) => store.readCondensedTree(id))),
      layerStats: await Promise.all(LAYERS.map((layer) => store.readUnitStats({ runId: fixture.runId, layer }))),
      patternStats: await store.readUnitStats({ clusteringId: first }, 1),
      maxActivations: await Promise.all(LAYERS.map((layer) => store.readMaxActivations(fixture.runId, layer))),
      membersByOrder: {
        'most-stable': await members('most-stable'),
        'least-stable': await members('least-stable'),
        input: await members('input'),
      },
    };
  } finally {
    await store.close();
  }
  server = await startServer({
    store: fixture.storePath,
    port: 0,
    appDir: fixture.appDir,
    thumbnailCacheDir: fixture.thumbnailDir,
  });
  url = server.url;
});

after(async () => {
  await server?.close();
  await fixture?.cleanup();
});

test('info names the store file and its version', async () => {
  const info = await getJson<InfoResponse>(url, apiPaths.info());
  assert.equal(info.store, 'results.duckdb');
  assert.match(info.storeVersion, /^[0-9a-f]{16}$/);
  assert.equal(info.runCount, 1);
  assert.deepEqual(info.imageSize, { min: 16, max: 512, default: 64 });
});

test('runs list the run with its layers in model order and their clusterings', async () => {
  const { runs } = await getJson<RunsResponse>(url, apiPaths.runs());
  assert.equal(runs.length, 1);
  const run = runs[0]!;
  assert.equal(run.runId, fixture.runId);
  assert.equal(run.status, 'complete');
  assert.equal(run.datasetSpec, 'mnist');
  assert.equal(run.inputCount, INPUT_COUNT);
  assert.equal(run.createdAt, reference.run.createdAt.toISOString());
  assert.deepEqual(
    run.labels,
    [...new Set(reference.inputs.label)].sort((a, b) => Number(a) - Number(b)),
  );
  assert.deepEqual(run.predictionLabels, reference.run.predictionLabels);
  assert.deepEqual(
    run.layers.map((layer) => layer.layer),
    LAYERS,
  );
  assert.deepEqual(
    run.layers.map((layer) => layer.dim),
    [2, 2, 3],
  );
  run.layers.forEach((layer, i) => {
    assert.equal(layer.clusterings.length, 1);
    const clustering = layer.clusterings[0]!;
    assert.equal(clustering.clusteringId, fixture.clusteringIds[i]);
    assert.equal(clustering.unit, null);
    assert.equal(clustering.patternCount, reference.patterns[i]!.patternId.length);
    const noise = reference.memberships[i]!.patternId.filter((p) => p === -1).length;
    assert.equal(clustering.noiseCount, noise);
  });
});

test('run detail adds the stored config', async () => {
  const detail = await getJson<RunDetail>(url, apiPaths.run(fixture.runId));
  assert.deepEqual(detail.config, reference.run.config);
  assert.equal(detail.modelSha256, reference.run.modelSha256);
  assert.equal(detail.layers.length, 3);
});

test('input pages concatenate to every stored input in index order', async () => {
  const pages: InputsResponse[] = [];
  for (let offset = 0; offset < INPUT_COUNT; offset += 128)
    pages.push(await getJson<InputsResponse>(url, apiPaths.inputs(fixture.runId, { offset, limit: 128 })));
  assert.deepEqual(
    pages.map((page) => page.inputIndex.length),
    [128, 128, 44],
  );
  assert.ok(pages.every((page) => page.total === INPUT_COUNT));
  const all = pages.flatMap((page) => page.inputIndex.map((_, i) => ({ page, i })));
  const ref = reference.inputs;
  all.forEach(({ page, i }, row) => {
    assert.equal(page.inputIndex[i], ref.index[row]);
    assert.equal(page.path[i], ref.path[row]);
    assert.equal(page.label[i], ref.label[row]);
    assert.equal(page.prediction[i], ref.prediction[row]);
    assert.equal(page.predictionLabel[i], ref.predictionLabel[row]);
    assert.ok(close(page.probability[i]!, ref.probability[row]!));
    assert.equal(page.misclassified[i], ref.label[row] !== ref.predictionLabel[row]);
  });
  const beyond = await getJson<InputsResponse>(url, apiPaths.inputs(fixture.runId, { offset: 1000, limit: 10 }));
  assert.equal(beyond.inputIndex.length, 0);
});

test('inputs by index keep the requested order', async () => {
  const body = await getJson<InputsResponse>(url, apiPaths.inputsByIndex(fixture.runId, [7, 0, 299, 7]));
  assert.deepEqual(body.inputIndex, [7, 0, 299, 7]);
  assert.equal(body.offset, null);
  assert.deepEqual(
    body.path,
    [7, 0, 299, 7].map((i) => reference.inputs.path[i]),
  );
});

test('memberships are every input of the clustering, by input index', async () => {
  for (const [i, clusteringId] of fixture.clusteringIds.entries()) {
    const body = await getJson<MembershipsResponse>(url, apiPaths.memberships(clusteringId));
    const ref = reference.memberships[i]!;
    assert.equal(body.inputIndex.length, INPUT_COUNT);
    assert.deepEqual(body.inputIndex, Array.from(ref.inputIndex));
    assert.deepEqual(body.patternId, Array.from(ref.patternId));
    body.probability.forEach((p, row) => assert.ok(close(p, ref.probability[row]!)));
    body.outlierScore.forEach((s, row) => assert.ok(close(s, ref.outlierScore[row]!)));
  }
});

/** numpy-style linear-interpolation quantile, written independently of the server's. */
function referenceQuantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo]! * (1 - (h - lo)) + sorted[lo + 1]! * (h - lo) : sorted[lo]!;
}

test('pattern summaries match the memberships and inputs they summarize', async () => {
  const ref = reference.memberships[0]!;
  const refPatterns = reference.patterns[0]!;
  const body = await getJson<PatternsResponse>(url, apiPaths.patterns(fixture.clusteringIds[0]!, 4));
  assert.equal(body.outlierQuantile, 0.9);
  assert.ok(close(body.outlierThreshold, referenceQuantile(ref.outlierScore, 0.9), 1e-12));
  assert.equal(body.patterns.length, refPatterns.patternId.length);
  assert.equal(body.patterns.reduce((n, p) => n + p.size, 0) + body.noise.size, INPUT_COUNT);
  for (const summary of [...body.patterns, body.noise]) {
    const rows = [...ref.patternId.keys()].filter((row) => ref.patternId[row] === summary.patternId);
    assert.equal(summary.size, rows.length);
    if (summary.patternId >= 0) {
      assert.equal(summary.size, refPatterns.size[summary.patternId]);
      assert.ok(close(summary.persistence, refPatterns.persistence[summary.patternId]!));
    }
    assert.equal(
      summary.labels.count.reduce((a, b) => a + b, 0),
      summary.size,
    );
    assert.equal(
      summary.predictions.count.reduce((a, b) => a + b, 0),
      summary.size,
    );
    const labelCounts = new Map<string, number>();
    for (const row of rows)
      labelCounts.set(
        reference.inputs.label[ref.inputIndex[row]!]!,
        (labelCounts.get(reference.inputs.label[ref.inputIndex[row]!]!) ?? 0) + 1,
      );
    summary.labels.label.forEach((label, i) => assert.equal(summary.labels.count[i], labelCounts.get(label!)));
    assert.ok(
      summary.labels.count.every((count, i) => i === 0 || count <= summary.labels.count[i - 1]!),
      'label mix is largest first',
    );
    assert.equal(summary.dominantLabel, summary.labels.label[0]);
    assert.ok(close(summary.labelPurity, Math.max(...labelCounts.values()) / summary.size, 1e-12));
    const outliers = rows.filter((row) => ref.outlierScore[row]! > body.outlierThreshold).length;
    assert.equal(summary.outlierCount, outliers);
    assert.ok(close(summary.outlierShare, outliers / summary.size, 1e-12));
    const wrong = rows.filter(
      (row) => reference.inputs.label[ref.inputIndex[row]!] !== reference.inputs.predictionLabel[ref.inputIndex[row]!],
    ).length;
    assert.equal(summary.misclassifiedCount, wrong);
    assert.equal(summary.mostStable.length, Math.min(4, summary.size));
    const byProbability = [...rows].sort(
      (a, b) => ref.probability[b]! - ref.probability[a]! || ref.inputIndex[a]! - ref.inputIndex[b]!,
    );
    assert.deepEqual(
      summary.mostStable,
      byProbability.slice(0, 4).map((row) => ref.inputIndex[row]),
    );
    assert.deepEqual(
      summary.leastStable,
      byProbability
        .reverse()
        .sort((a, b) => ref.probability[a]! - ref.probability[b]! || ref.inputIndex[a]! - ref.inputIndex[b]!)
        .slice(0, 4)
        .map((row) => ref.inputIndex[row]),
    );
    const topScore = Math.max(...rows.map((row) => ref.outlierScore[row]!));
    if (summary.size > 0)
      assert.ok(close(ref.outlierScore[summary.topOutliers[0]!]!, topScore), 'first outlier has the top score');
  }
  const mostStable = reference.membersByOrder['most-stable'];
  assert.deepEqual(body.patterns[0]!.mostStable, Array.from(mostStable.index.slice(0, 4)), 'same order as the store');
});

test('members follow the store order, page without gaps and filter exactly', async () => {
  const clusteringId = fixture.clusteringIds[0]!;
  for (const order of ['most-stable', 'least-stable', 'input'] as const) {
    const ref = reference.membersByOrder[order];
    const body = await getJson<MembersResponse>(url, apiPaths.members(clusteringId, 0, { order, limit: 1000 }));
    assert.equal(body.total, ref.total);
    assert.deepEqual(body.inputIndex, Array.from(ref.index), `order ${order}`);
    body.membershipProbability.forEach((p, i) => assert.ok(close(p, ref.membershipProbability[i]!)));
    assert.deepEqual(body.path, ref.path);
  }
  const full = await getJson<MembersResponse>(
    url,
    apiPaths.members(clusteringId, -1, { order: 'outlier', limit: 10000 }),
  );
  assert.equal(full.total, reference.memberships[0]!.patternId.filter((p) => p === -1).length);
  assert.ok(
    full.outlierScore.every((score, i) => i === 0 || score <= full.outlierScore[i - 1]!),
    'outlier order is descending',
  );
  const pages: number[] = [];
  for (let offset = 0; offset < full.total; offset += 7) {
    pages.push(
      ...(
        await getJson<MembersResponse>(url, apiPaths.members(clusteringId, -1, { order: 'outlier', offset, limit: 7 }))
      ).inputIndex,
    );
  }
  assert.deepEqual(pages, full.inputIndex);

  const label = full.label[0]!;
  const labelled = await getJson<MembersResponse>(url, apiPaths.members(clusteringId, -1, { label, limit: 10000 }));
  assert.ok(labelled.total > 0);
  assert.equal(labelled.total, full.label.filter((l) => l === label).length);
  assert.ok(labelled.label.every((l) => l === label));
  const wrong = await getJson<MembersResponse>(
    url,
    apiPaths.members(clusteringId, -1, { misclassified: true, limit: 10000 }),
  );
  const right = await getJson<MembersResponse>(
    url,
    apiPaths.members(clusteringId, -1, { misclassified: false, limit: 10000 }),
  );
  assert.equal(wrong.total + right.total, full.total);
  assert.ok(wrong.misclassified.every(Boolean) && right.misclassified.every((m) => !m));
  const prediction = full.predictionLabel[0]!;
  const both = await getJson<MembersResponse>(
    url,
    apiPaths.members(clusteringId, -1, { label, prediction, limit: 10000 }),
  );
  assert.equal(both.total, full.label.filter((l, i) => l === label && full.predictionLabel[i] === prediction).length);
});

test('label counts match the store, for labels and predictions', async () => {
  for (const [i, clusteringId] of fixture.clusteringIds.entries()) {
    for (const by of ['label', 'prediction'] as const) {
      const body = await getJson<LabelCountsResponse>(url, apiPaths.labelCounts(clusteringId, by));
      const ref = by === 'label' ? reference.labelCounts[i]! : reference.predictionCounts[i]!;
      assert.equal(body.by, by);
      assert.deepEqual(body.patternId, Array.from(ref.patternId));
      assert.deepEqual(body.label, ref.label);
      assert.deepEqual(body.count, Array.from(ref.count));
      assert.equal(
        body.count.reduce((a, b) => a + b, 0),
        INPUT_COUNT,
      );
    }
  }
});

test('condensed tree matches the store; infinite lambdas are null', async () => {
  const body = await getJson<CondensedTreeResponse>(url, apiPaths.tree(fixture.clusteringIds[1]!));
  const ref = reference.trees[1]!;
  assert.equal(body.pointCount, INPUT_COUNT);
  assert.deepEqual(body.parent, Array.from(ref.parent));
  assert.deepEqual(body.child, Array.from(ref.child));
  assert.deepEqual(body.childSize, Array.from(ref.childSize));
  body.lambda.forEach((lambda, i) => {
    const expected = ref.lambda[i]!;
    if (Number.isFinite(expected)) assert.ok(close(lambda, expected));
    else assert.equal(lambda, null);
  });
  assert.ok(
    body.parent.every((p) => p >= INPUT_COUNT),
    'parents are clusters',
  );
});

function assertStats(body: UnitStatsResponse, ref: StoredUnitStats): void {
  assert.deepEqual(body.unit, Array.from(ref.unit));
  for (const key of ['min', 'max', 'mean', 'q1', 'q3', 'iqr', 'lower', 'upper'] as const) {
    body[key].forEach((value, i) => assert.ok(close(value, ref[key][i]!), `${key}[${i}]`));
  }
  body.unit.forEach((_, i) =>
    assert.ok(body.min[i]! <= body.q1[i]! && body.q1[i]! <= body.q3[i]! && body.q3[i]! <= body.max[i]!),
  );
}

test('layer-wide and pattern unit statistics match the store', async () => {
  for (const [i, layer] of LAYERS.entries()) {
    const body = await getJson<UnitStatsResponse>(url, apiPaths.layerStats(fixture.runId, layer));
    assert.equal(body.unit.length, [2, 2, 3][i]);
    assertStats(body, reference.layerStats[i]!);
  }
  const pattern = await getJson<UnitStatsResponse>(url, apiPaths.patternStats(fixture.clusteringIds[0]!, 1));
  assert.equal(pattern.unit.length, 2);
  assertStats(pattern, reference.patternStats);
});

test('a percent-encoded layer name is decoded', async () => {
  const body = await getJson<UnitStatsResponse>(url, `/api/runs/${fixture.runId}/layers/relu%5Fout/stats`);
  assertStats(body, reference.layerStats[0]!);
});

test('max activations: all units, one unit and the whole layer', async () => {
  for (const [i, layer] of LAYERS.entries()) {
    const ref = reference.maxActivations[i]!;
    const all = await getJson<MaxActivationsResponse>(url, apiPaths.maxActivations(fixture.runId, layer));
    assert.deepEqual(all.unit, Array.from(ref.unit));
    assert.deepEqual(all.inputIndex, Array.from(ref.inputIndex));
    all.value.forEach((v, k) => assert.ok(close(v, ref.value[k]!)));
    for (const unit of [-1, 1]) {
      const one = await getJson<MaxActivationsResponse>(url, apiPaths.maxActivations(fixture.runId, layer, unit));
      const rows = [...ref.unit.keys()].filter((row) => ref.unit[row] === unit);
      assert.ok(rows.length > 0);
      assert.deepEqual(
        one.inputIndex,
        rows.map((row) => ref.inputIndex[row]),
      );
      assert.deepEqual(
        one.rank,
        rows.map((_, r) => r),
      );
      assert.ok(
        one.value.every((v, r) => r === 0 || v <= one.value[r - 1]!),
        'strongest first',
      );
    }
  }
});

test('input patterns follow each input through every layer', async () => {
  const inputs = [5, 0, 17];
  const body = await getJson<InputPatternsResponse>(url, apiPaths.inputPatterns(fixture.runId, inputs));
  assert.deepEqual(body.inputIndex, inputs);
  assert.deepEqual(
    body.clusterings.map((c) => c.layer),
    LAYERS,
  );
  assert.deepEqual(
    body.clusterings.map((c) => c.clusteringId),
    fixture.clusteringIds,
  );
  assert.equal(body.rows.patternId.length, 9);
  body.rows.patternId.forEach((patternId, row) => {
    const step = Math.floor(row / 3);
    const input = inputs[row % 3]!;
    assert.equal(body.rows.clusteringId[row], fixture.clusteringIds[step]);
    assert.equal(body.rows.inputIndex[row], input);
    assert.equal(patternId, reference.memberships[step]!.patternId[input]);
    assert.ok(close(body.rows.probability[row]!, reference.memberships[step]!.probability[input]!));
  });
});

test('clustering detail', async () => {
  const body = await getJson<ClusteringSummary>(url, apiPaths.clustering(fixture.clusteringIds[2]!));
  assert.equal(body.layer, LAYERS[2]);
  assert.equal(body.runId, fixture.runId);
  assert.equal(body.patternCount, reference.patterns[2]!.patternId.length);
});
