import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../src/engine/analyze.js';
import { alignLabellings } from '../../src/compute/align.js';
import type { LineageOptions } from '../../src/compute/flow.js';
import { layerClusterings, storeRunFlows } from '../../src/engine/flow.js';
import { CancelledError, InputError, NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import type { LayerFlowOptions } from '../../src/results/flow.js';
import { storeResults } from '../../src/results/node/duckdb-reader.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { countRows } from '../io/store/helpers.js';

const LIMIT = 160;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];

let dir: string;
let out: string;
let runId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-flow-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  out = path.join(dir, 'results.duckdb');
  ({ runId } = await analyze({ model, data: 'mnist', out, limit: LIMIT, layers: LAYERS }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withStore<T>(work: (store: NapStore) => Promise<T>, readOnly = false): Promise<T> {
  const store = await NapStore.open(out, { readOnly });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The read side (src/results/flow.ts) over a store as it is now. */
const readLayerFlow = (store: NapStore, run: number, options: LayerFlowOptions) =>
  storeResults(store).flows.layerFlow(run, options);
const readRunFlowGraph = (store: NapStore, run: number) => storeResults(store).flows.graph(run);
const readPatternLineage = (store: NapStore, run: number, layer: string, patternId: number, options?: LineageOptions) =>
  storeResults(store).flows.lineage(run, layer, patternId, options);

/** Each input's pattern per layer, from the stored memberships, by input index. */
async function labelsByLayer(store: NapStore): Promise<Map<string, { labels: Int32Array; patterns: number }>> {
  const out = new Map<string, { labels: Int32Array; patterns: number }>();
  for (const layer of await layerClusterings(store, runId)) {
    const memberships = await store.readMemberships(layer.clusteringId);
    const labels = new Int32Array(LIMIT);
    memberships.inputIndex.forEach((input, row) => (labels[input] = memberships.patternId[row]!));
    out.set(layer.layer, { labels, patterns: layer.patternCount });
  }
  return out;
}

describe('concept flow of a real run', () => {
  it('stores every layer pair once, with cells that count each input once', async () => {
    await withStore(async (store) => {
      assert.equal((await store.listFlows(runId)).length, 3, 'analyze stores the flows of every layer pair');
      const progress: string[] = [];
      const flows = await storeRunFlows(
        store,
        runId,
        { recompute: true },
        { onProgress: (p) => progress.push(`${p.done}/${p.total}`) },
      );
      assert.deepEqual(
        flows.map((f) => [f.layerA, f.layerB]),
        [
          [TINY.relu, TINY.pool],
          [TINY.relu, TINY.logits],
          [TINY.pool, TINY.logits],
        ],
      );
      assert.deepEqual(progress, ['0/3', '1/3', '2/3', '3/3']);
      assert.ok(flows.every((f) => f.inputs === LIMIT && f.runId === runId));

      const labels = await labelsByLayer(store);
      for (const flow of flows) {
        const stored = (await store.readFlow(flow.clusteringA, flow.clusteringB))!;
        assert.equal(
          stored.count.reduce((s, n) => s + n, 0),
          LIMIT,
          'total = N',
        );
        assert.ok(
          stored.count.every((n) => n > 0),
          'only non-zero cells',
        );
        const a = labels.get(flow.layerA)!.labels;
        const b = labels.get(flow.layerB)!.labels;
        stored.count.forEach((count, k) => {
          const [pa, pb] = [stored.patternA[k]!, stored.patternB[k]!];
          let expected = 0;
          let union = 0;
          for (let i = 0; i < LIMIT; i++) {
            if (a[i] === pa && b[i] === pb) expected++;
            if (a[i] === pa || b[i] === pb) union++;
          }
          assert.equal(count, expected, `cell ${pa} x ${pb}`);
          assert.ok(Math.abs(stored.jaccard[k]! - expected / union) < 1e-12, `Jaccard of ${pa} x ${pb}`);
        });
      }

      const again = await storeRunFlows(store, runId);
      assert.deepEqual(
        again.map((f) => f.createdAt.getTime()),
        flows.map((f) => f.createdAt.getTime()),
        'stored pairs are not recomputed',
      );
      const redone = await storeRunFlows(store, runId, { recompute: true });
      assert.equal(redone.length, 3);
      assert.equal((await store.listFlows(runId)).length, 3, 'recomputing replaces, never duplicates');
    });
  });

  it('gives the flow between two layers with row sums equal to pattern sizes, either way round', async () => {
    await withStore(async (store) => {
      const forward = await readLayerFlow(store, runId, { from: TINY.relu, to: TINY.pool });
      assert.equal(forward.stored, true);
      const patterns = await store.readPatterns(forward.from.clusteringId);
      assert.deepEqual(
        Array.from(forward.table.rowSums.subarray(0, forward.from.patternCount)),
        Array.from(patterns.size),
      );
      const noise = (await store.getClustering(forward.from.clusteringId)).noiseCount;
      assert.equal(forward.table.rowSums[forward.from.patternCount], noise);
      assert.equal(forward.table.total, LIMIT);

      const backward = await readLayerFlow(store, runId, { from: TINY.pool, to: TINY.relu });
      const [rows, cols] = [forward.table.patternsA + 1, forward.table.patternsB + 1];
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          assert.equal(backward.table.counts[j * rows + i], forward.table.counts[i * cols + j]);
          assert.equal(backward.jaccard[j * rows + i], forward.jaccard[i * cols + j]);
          assert.ok(forward.jaccard[i * cols + j]! >= 0 && forward.jaccard[i * cols + j]! <= 1);
        }
      }
      const consecutive = await readLayerFlow(store, runId, {});
      assert.deepEqual(
        [consecutive.from.layer, consecutive.to.layer],
        [TINY.relu, TINY.pool],
        'default: first layer to the next',
      );
      const before = await readLayerFlow(store, runId, { to: TINY.logits });
      assert.equal(before.from.layer, TINY.pool, 'to alone: from the layer before');
    });
  });

  it('computes the same flow from the memberships of a read-only store when none is stored', async () => {
    const storedFlow = await withStore((store) => readLayerFlow(store, runId, { from: TINY.relu, to: TINY.logits }));
    const fresh = path.join(dir, 'copy.duckdb');
    // A second run in a new store without flows: copy the run's clusterings.
    const copyRun = await withStore(async (source) => {
      const target = await NapStore.open(fresh);
      try {
        const run = await source.getRun(runId);
        const id = await target.createRun(run);
        await target.appendInputs(id, await source.readInputs(runId));
        for (const layer of await source.listLayers(runId)) await target.appendLayer(id, layer);
        for (const layer of await layerClusterings(source, runId)) {
          const m = await source.readMemberships(layer.clusteringId);
          const patterns = await source.readPatterns(layer.clusteringId);
          await target.saveClustering(id, layer.layer, {
            unit: null,
            params: {},
            inputIndex: m.inputIndex,
            labels: m.patternId,
            probabilities: m.probability,
            outlierScores: m.outlierScore,
            persistence: patterns.persistence,
            condensedTree: {
              parent: new Int32Array(0),
              child: new Int32Array(0),
              lambda: new Float64Array(0),
              childSize: new Int32Array(0),
            },
          });
        }
        return id;
      } finally {
        await target.close();
      }
    }, true);
    const target = await NapStore.open(fresh, { readOnly: true });
    try {
      const computed = await readLayerFlow(target, copyRun, { from: TINY.relu, to: TINY.logits });
      assert.equal(computed.stored, false);
      assert.deepEqual(computed.table, storedFlow.table);
      assert.deepEqual(computed.jaccard, storedFlow.jaccard);
    } finally {
      await target.close();
    }
  });

  it('builds the alluvial graph: node sizes are pattern sizes, links carry every input once per layer pair', async () => {
    await withStore(async (store) => {
      const graph = await readRunFlowGraph(store, runId);
      assert.deepEqual(graph.layers, LAYERS);
      const labels = await labelsByLayer(store);
      graph.layers.forEach((layer, l) => {
        const nodes = graph.nodes.filter((n) => n.layerIndex === l);
        assert.equal(
          nodes.reduce((s, n) => s + n.size, 0),
          LIMIT,
          `${layer}: node sizes add up to N`,
        );
        const layerLabels = labels.get(layer)!.labels;
        for (const node of nodes) assert.equal(node.size, layerLabels.filter((p) => p === node.patternId).length);
      });
      for (let l = 0; l + 1 < LAYERS.length; l++) {
        const links = graph.links.filter((link) => graph.nodes[link.source]!.layerIndex === l);
        assert.equal(
          links.reduce((s, link) => s + link.count, 0),
          LIMIT,
        );
      }
    }, true);
  });

  it('traces the lineage of a pattern through every other layer', async () => {
    await withStore(async (store) => {
      const labels = await labelsByLayer(store);
      const pool = labels.get(TINY.pool)!;
      assert.ok(pool.patterns > 0, 'the fixture run has patterns in pool_out');
      const lineage = await readPatternLineage(store, runId, TINY.pool, 0, { minShare: 0, limit: 100 });
      const members = pool.labels.reduce((n, p) => n + (p === 0 ? 1 : 0), 0);
      assert.equal(lineage.size, members);
      assert.deepEqual(
        lineage.steps.map((s) => s.layer),
        [TINY.relu, TINY.logits],
      );
      for (const step of lineage.steps) {
        assert.equal(step.members, members);
        assert.equal(
          step.shares.reduce((s, e) => s + e.count, 0),
          members,
          'with no cut-off every member is listed once',
        );
        assert.ok(Math.abs(step.otherShare) < 1e-12);
        const other = labels.get(step.layer)!.labels;
        for (const share of step.shares) {
          const count = pool.labels.reduce((n, p, i) => n + (p === 0 && other[i] === share.patternId ? 1 : 0), 0);
          assert.equal(share.count, count);
          assert.ok(Math.abs(share.share - count / members) < 1e-12);
        }
        for (let k = 1; k < step.shares.length; k++)
          assert.ok(step.shares[k - 1]!.count >= step.shares[k]!.count, 'largest first');
      }
    }, true);
  });

  it('refuses unknown layers and patterns, and stops when cancelled', async () => {
    await withStore(async (store) => {
      await assert.rejects(
        readLayerFlow(store, runId, { from: 'relu_ou' }),
        (e: unknown) => e instanceof NotFoundError && /relu_ou/.test(e.message) && /relu_out/.test(e.message),
      );
      await assert.rejects(readLayerFlow(store, runId, { from: TINY.pool, to: TINY.pool }), InputError);
      await assert.rejects(
        readPatternLineage(store, runId, TINY.pool, 999),
        (e: unknown) => e instanceof NotFoundError && /pattern 999/.test(e.message),
      );
      await assert.rejects(storeRunFlows(store, runId, { pairs: 'some' as never }), /'some'|"some"/);
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        storeRunFlows(store, runId, { recompute: true }, { signal: controller.signal }),
        CancelledError,
      );
    });
  });

  it('aligns memberships on the inputs both clusterings hold', () => {
    const a = {
      inputIndex: Int32Array.from([0, 2, 3, 5]),
      patternId: Int32Array.from([1, 0, -1, 2]),
      probability: new Float64Array(4),
      outlierScore: new Float64Array(4),
    };
    const b = {
      inputIndex: Int32Array.from([1, 2, 5, 6]),
      patternId: Int32Array.from([4, 3, -1, 0]),
      probability: new Float64Array(4),
      outlierScore: new Float64Array(4),
    };
    const aligned = alignLabellings(a, b);
    assert.deepEqual(Array.from(aligned.inputIndex), [2, 5]);
    assert.deepEqual(Array.from(aligned.labelsA), [0, 2]);
    assert.deepEqual(Array.from(aligned.labelsB), [3, -1]);
  });

  it('deletes a run together with its flows', async () => {
    await withStore(async (store) => {
      await storeRunFlows(store, runId, { pairs: 'consecutive', recompute: true });
      await store.deleteRun(runId);
    });
    assert.equal(await countRows(out, 'flow_pairs'), 0);
    assert.equal(await countRows(out, 'flow_cells'), 0);
  });
});
