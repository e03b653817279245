/**
 * nap recluster (and the app's "keep this clustering", which runs it) stores a new clustering in one
 * transaction: its patterns, memberships, tree, soft memberships, statistics, average images and flows land
 * together or not at all. A failure injected after each part, and a process killed there, leave the file
 * as it was; the same command again then stores the clustering whole.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { analyze } from '../../src/engine/analyze.js';
import { recluster } from '../../src/engine/recluster.js';
import { NapStore, type ClusteringPart } from '../../src/io/store/index.js';
import { failingAfter } from './store-failure.js';

const MODEL = fileURLToPath(new URL('../../../models/mnist-cnn.onnx', import.meta.url));
const KILLER = fileURLToPath(new URL('./recluster-and-die.js', import.meta.url));
const PARTS: ClusteringPart[] = ['clustering', 'hierarchy', 'statistics', 'average images', 'flows'];
/** What recluster-and-die.js re-selects. */
const OPTIONS = { layer: 'logits', minClusterSize: 15, selection: 'eom' as const };

let dir: string;
let analyzed: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-recluster-atomic-'));
  analyzed = path.join(dir, 'run.duckdb');
  await analyze({
    model: MODEL,
    data: 'mnist',
    out: analyzed,
    limit: 300,
    layers: ['pool2', 'logits'],
    projection: 'none',
  });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Rows of every table of the file (read with DuckDB itself, the store closed). */
async function rowCounts(file: string): Promise<Record<string, number>> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const tables = (await connection.runAndReadAll('SELECT table_name FROM duckdb_tables() ORDER BY table_name'))
      .getRowObjects()
      .map((row) => String(row.table_name));
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const result = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM "${table}"`);
      counts[table] = Number(result.getRowObjects()[0]!.n);
    }
    return counts;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function copyOf(name: string): Promise<string> {
  const file = path.join(dir, `${name}.duckdb`);
  await copyFile(analyzed, file);
  return file;
}

/** Checks that the new clustering of `file` is whole: statistics, average images and flows to the other layer. */
async function assertWhole(store: NapStore, clusteringId: number): Promise<void> {
  const record = await store.getClustering(clusteringId);
  assert.ok(record.patternCount > 1, `${record.patternCount} patterns`);
  const stats = await store.readUnitStats({ clusteringId });
  assert.equal(new Set(stats.patternId).size, record.patternCount, 'statistics of every pattern');
  const images = await store.readAverageImages(clusteringId);
  assert.equal(images.patternId.length, record.patternCount, 'an average image of every pattern');
  const [pool2] = (await store.listClusterings(record.runId, 'pool2')).filter((c) => c.unit === null);
  const flow = await store.readFlow(pool2!.clusteringId, clusteringId);
  assert.ok(flow, 'the flow from pool2 to the new clustering');
  assert.ok((await store.readLinkageTree(clusteringId)) !== null, 'its tree');
  assert.ok((await store.readSoftMemberships(clusteringId)).inputIndex.length > 0, 'its soft memberships');
}

describe('a new clustering is stored in one transaction', () => {
  it('a failure after any part leaves the file as it was; the command again stores the clustering whole', async () => {
    const file = await copyOf('failing');
    const before = await rowCounts(file);
    for (const part of PARTS) {
      const store = await NapStore.open(file);
      try {
        const failing = failingAfter(store, part, () => {
          throw new Error(`injected failure after ${part}`);
        });
        await assert.rejects(recluster(failing, OPTIONS), new RegExp(`injected failure after ${part}`));
        assert.equal((await store.listClusterings(1, 'logits')).length, 1, `after ${part}: no new clustering`);
      } finally {
        await store.close();
      }
      assert.deepEqual(await rowCounts(file), before, `after ${part}: no row of the clustering in any table`);
    }
    const store = await NapStore.open(file);
    try {
      const result = await recluster(store, OPTIONS);
      assert.equal(result.existing, false, 'the failed attempts left nothing that passes for it');
      await assertWhole(store, result.clusteringId);
    } finally {
      await store.close();
    }
  });

  it('a process killed between the parts leaves the file as it was', async () => {
    const file = await copyOf('killed');
    const before = await rowCounts(file);
    const ended = await new Promise<{ signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [KILLER, file, 'average images'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (_code, signal) => resolve({ signal, stderr }));
    });
    assert.equal(ended.signal, 'SIGKILL', `the child killed itself while storing: ${ended.stderr}`);
    assert.match(ended.stderr, /killing myself after average images/);
    assert.deepEqual(await rowCounts(file), before, 'no row of the killed clustering in any table');
    const store = await NapStore.open(file);
    try {
      const result = await recluster(store, OPTIONS);
      assert.equal(result.existing, false);
      await assertWhole(store, result.clusteringId);
    } finally {
      await store.close();
    }
  });
});
