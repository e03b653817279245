/**
 * nap recluster: a re-selection from the stored tree equals nap analyze with the same parameters and the
 * tree's min samples (nap demo's run: the built-in MNIST model on all 10,000 digits, every default layer;
 * real activations, real ties), stored with everything a clustering has; bad parameters and a clustering without a tree are refused naming the flag.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyze } from '../../src/engine/analyze.js';
import { recluster } from '../../src/engine/recluster.js';
import { InputError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';

const MODEL = fileURLToPath(new URL('../../../models/mnist-cnn.onnx', import.meta.url));
/** A results file of schema version 4, written by that version's nap: its clusterings have no tree. */
const OLDER_STORE = fileURLToPath(new URL('../../../test/fixtures/stores/v4.duckdb.gz', import.meta.url));
const DEMO_LAYERS = ['conv1', 'pool1', 'conv2', 'pool2', 'logits'];
const TARGET = { minClusterSize: 20, clusterSelectionMethod: 'eom' as const, clusterSelectionEpsilon: 0.05 };

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-recluster-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** nap demo's analysis (its maps left out). */
const demo = (out: string) => ({ model: MODEL, data: 'mnist', out, projection: 'none' as const });

async function stored(store: NapStore, clusteringId: number) {
  const record = await store.getClustering(clusteringId);
  const images = await store.readAverageImages(clusteringId);
  return {
    params: record.params,
    patternCount: record.patternCount,
    noiseCount: record.noiseCount,
    patterns: await store.readPatterns(clusteringId),
    memberships: await store.readMemberships(clusteringId),
    condensedTree: await store.readCondensedTree(clusteringId),
    linkageTree: await store.readLinkageTree(clusteringId),
    soft: await store.readSoftMemberships(clusteringId),
    stats: await store.readUnitStats({ clusteringId }),
    images: { patternId: images.patternId, pixels: images.pixels },
  };
}

describe('nap recluster', () => {
  it('equals nap analyze with the same parameters and the tree min samples', async () => {
    const reselected = path.join(dir, 'reselected.duckdb');
    const fresh = path.join(dir, 'fresh.duckdb');
    await analyze(demo(reselected));
    await analyze({ ...demo(fresh), clustering: { ...TARGET, minSamples: 5 } });

    const a = await NapStore.open(reselected);
    const b = await NapStore.open(fresh, { readOnly: true });
    try {
      const [run] = await a.listRuns();
      const [freshRun] = await b.listRuns();
      assert.deepEqual(
        (await a.listLayers(run!.runId)).map((info) => info.layer),
        DEMO_LAYERS,
      );
      assert.equal((await a.readInputs(run!.runId)).index.length, 10000);
      for (const layer of DEMO_LAYERS) {
        const result = await recluster(a, {
          layer,
          minClusterSize: TARGET.minClusterSize,
          selection: TARGET.clusterSelectionMethod,
          epsilon: TARGET.clusterSelectionEpsilon,
        });
        assert.equal(result.existing, false);
        const expected = (await b.listClusterings(freshRun!.runId, layer)).find((c) => c.unit === null)!;
        const ours = await stored(a, result.clusteringId);
        const theirs = await stored(b, expected.clusteringId);
        assert.ok(ours.patternCount > 1, `${layer}: ${ours.patternCount} patterns`);
        assert.deepEqual(ours, theirs, `${layer}: the stored clustering`);
        assert.equal(result.runId, run!.runId);

        const again = await recluster(a, {
          layer,
          minClusterSize: TARGET.minClusterSize,
          selection: TARGET.clusterSelectionMethod,
          epsilon: TARGET.clusterSelectionEpsilon,
        });
        assert.equal(again.existing, true, 'the same parameters again find the stored clustering');
        assert.equal(again.clusteringId, result.clusteringId);
      }
      const flows = await a.listFlows(run!.runId);
      const newest = await a.listClusterings(run!.runId);
      const ids = new Set(flows.flatMap((flow) => [flow.clusteringA, flow.clusteringB]));
      assert.ok(ids.has(newest[newest.length - 1]!.clusteringId), 'flow of the new clustering stored');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses bad parameters naming the flag, and min samples', async () => {
    const out = path.join(dir, 'bad.duckdb');
    await analyze({ ...demo(out), layers: ['logits'], limit: 200 });
    const store = await NapStore.open(out);
    try {
      const refuse = async (options: Parameters<typeof recluster>[1], message: RegExp) =>
        assert.rejects(recluster(store, options), (error: unknown) => {
          assert.ok(error instanceof InputError, String(error));
          assert.match(error.message, message);
          return true;
        });
      await refuse({ layer: 'logits', minClusterSize: 1 }, /--min-cluster-size 1 is not a whole number from 2 to 200/);
      await refuse({ layer: 'logits', minClusterSize: 201 }, /--min-cluster-size 201/);
      await refuse({ layer: 'logits', minClusterSize: 10, epsilon: -0.5 }, /--epsilon -0.5 is not a finite distance/);
      await refuse({ layer: 'logits', minClusterSize: 10, epsilon: NaN }, /--epsilon NaN/);
      await assert.rejects(recluster(store, { layer: 'nope', minClusterSize: 10 }), /layer "nope" is not in run/);
    } finally {
      await store.close();
    }
  });

  it('a clustering of an older nap has no tree: the message says how to add it, --rebuild-tree adds it', async () => {
    const out = path.join(dir, 'older.duckdb');
    writeFileSync(out, gunzipSync(readFileSync(OLDER_STORE)));
    const store = await NapStore.open(out);
    try {
      const options = { runId: 1, layer: 'logits', minClusterSize: 8, selection: 'eom' as const };
      await assert.rejects(recluster(store, options), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        assert.match(error.message, /layer 'logits' of run 1 has no stored single-linkage tree/);
        assert.match(error.hint ?? '', /--rebuild-tree/);
        assert.match(error.hint ?? '', /nap analyze/);
        return true;
      });
      const before = (await store.listClusterings(1, 'logits'))[0]!;
      const result = await recluster(store, { ...options, rebuildTree: true });
      assert.equal(result.rebuiltTree, true);
      assert.equal(result.sourceClusteringId, before.clusteringId);
      const tree = await store.readLinkageTree(before.clusteringId);
      assert.equal(tree?.pointCount, 40, 'the tree is kept with the older clustering');
      assert.ok(
        (await store.readSoftMemberships(before.clusteringId)).inputIndex.length > 0,
        'and its soft memberships',
      );
      assert.equal(result.inputs, 40);
      assert.equal(result.averageImagesSkipped, undefined);
    } finally {
      await store.close();
    }
  });
});
