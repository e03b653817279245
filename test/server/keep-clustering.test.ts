/**
 * POST /api/clusterings/C/keep, the app's "Keep this clustering": on a writable server it stores what
 * `nap recluster` stores with the same parameters (compared on a copy of the file reclustered directly)
 * and the read API answers with it at once; bad parameters get a 400 naming the field and write nothing;
 * a page of another origin, a server started read-only and a file held by another process are refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keepRecut } from '../../src/engine/keep-recut.js';
import { recluster } from '../../src/engine/recluster.js';
import { NapStore } from '../../src/io/store/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { buildFixture, LAYERS, type Fixture } from './fixture.js';

const LAYER = LAYERS[1]!;
const CUT = { minClusterSize: 12, selection: 'eom', epsilon: 0 } as const;

let fixture: Fixture;
let sourceId: number;

before(async () => {
  fixture = await buildFixture('nap-keep-');
  sourceId = fixture.clusteringIds[1]!;
});

after(async () => {
  await fixture?.cleanup();
});

async function copyOf(name: string): Promise<string> {
  const file = path.join(fixture.dir, name);
  await copyFile(fixture.storePath, file);
  return file;
}

function keep(server: RunningServer, body: unknown, origin: string | null = server.url, clusteringId = sourceId) {
  return fetch(`${server.url}/api/clusterings/${clusteringId}/keep`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(origin === null ? {} : { Origin: origin }) },
    body: JSON.stringify(body),
  });
}

async function clusteringCount(file: string): Promise<number> {
  const store = await NapStore.open(file, { readOnly: true });
  try {
    return (await store.listClusterings(fixture.runId, LAYER)).length;
  } finally {
    await store.close();
  }
}

async function patternsAndMemberships(file: string, clusteringId: number) {
  const store = await NapStore.open(file, { readOnly: true });
  try {
    const [patterns, memberships, record] = await Promise.all([
      store.readPatterns(clusteringId),
      store.readMemberships(clusteringId),
      store.getClustering(clusteringId),
    ]);
    return {
      params: record.params,
      sizes: [...patterns.size],
      persistence: [...patterns.persistence],
      labels: [...memberships.patternId],
      probability: [...memberships.probability],
    };
  } finally {
    await store.close();
  }
}

describe('keep this clustering (POST /api/clusterings/C/keep)', () => {
  it('stores what nap recluster stores, and the read API shows it at once', async () => {
    const served = await copyOf('served.duckdb');
    const direct = await copyOf('direct.duckdb');
    const before = await clusteringCount(served);
    const server = await startServer({ store: served, port: 0, appDir: fixture.appDir, keep: keepRecut });
    let kept: { clusteringId: number; patterns: number; noise: number; layer: string };
    try {
      const response = await keep(server, CUT);
      assert.equal(response.status, 201, await response.clone().text());
      kept = (await response.json()) as typeof kept;
      assert.equal(kept.layer, LAYER);
      const runs = (await (await fetch(`${server.url}/api/runs`)).json()) as {
        runs: { layers: { layer: string; clusterings: { clusteringId: number }[] }[] }[];
      };
      const layer = runs.runs[0]!.layers.find((l) => l.layer === LAYER)!;
      assert.ok(
        layer.clusterings.some((c) => c.clusteringId === kept.clusteringId),
        'the new clustering is listed without a restart',
      );
      const again = await keep(server, CUT);
      assert.equal(again.status, 200, 'the same re-cut again adds nothing');
    } finally {
      await server.close();
    }
    assert.equal(await clusteringCount(served), before + 1);

    const store = await NapStore.open(direct);
    let expectedId: number;
    try {
      const result = await recluster(store, {
        runId: fixture.runId,
        layer: LAYER,
        clusteringId: sourceId,
        minClusterSize: CUT.minClusterSize,
        selection: CUT.selection,
        epsilon: CUT.epsilon,
      });
      expectedId = result.clusteringId;
      assert.equal(kept.patterns, result.patterns);
      assert.equal(kept.noise, result.noise);
    } finally {
      await store.close();
    }
    assert.deepEqual(
      await patternsAndMemberships(served, kept.clusteringId),
      await patternsAndMemberships(direct, expectedId),
    );
  });

  it('answers bad parameters with a 400 naming the field, writing nothing', async () => {
    const file = await copyOf('bad.duckdb');
    const before = await clusteringCount(file);
    const server = await startServer({ store: file, port: 0, appDir: fixture.appDir, keep: keepRecut });
    try {
      for (const [body, field] of [
        [{ minClusterSize: 1, selection: 'eom' }, 'minClusterSize'],
        [{ minClusterSize: 100000 }, 'minClusterSize'],
        [{ minClusterSize: 'ten' }, 'minClusterSize'],
        [{ minClusterSize: 10, epsilon: -1 }, 'epsilon'],
        [{ minClusterSize: 10, selection: 'best' }, 'selection'],
        [{ minClusterSize: 10, minSamples: 3 }, 'minSamples'],
      ] as const) {
        const response = await keep(server, body);
        const answer = (await response.json()) as { error: string };
        assert.equal(response.status, 400, JSON.stringify(answer));
        assert.match(answer.error, new RegExp(`^(field )?${field}\\b`), `${JSON.stringify(body)}: ${answer.error}`);
      }
      const notJson = await fetch(`${server.url}/api/clusterings/${sourceId}/keep`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Origin: server.url },
        body: 'minClusterSize=10',
      });
      assert.equal(notJson.status, 415);
    } finally {
      await server.close();
    }
    assert.equal(await clusteringCount(file), before);
  });

  it('refuses other origins, a read-only server and a file another process holds', async () => {
    const file = await copyOf('guarded.duckdb');
    const before = await clusteringCount(file);
    const writable = await startServer({ store: file, port: 0, appDir: fixture.appDir, keep: keepRecut });
    try {
      for (const origin of ['http://evil.example', null, 'http://127.0.0.1:1']) {
        const response = await keep(writable, CUT, origin);
        assert.equal(response.status, 403, `origin ${origin}`);
        assert.match(((await response.json()) as { error: string }).error, /only pages of this server may write/);
      }
    } finally {
      await writable.close();
    }
    const readOnly = await startServer({ store: file, port: 0, appDir: fixture.appDir });
    try {
      const response = await keep(readOnly, CUT);
      assert.equal(response.status, 403);
      assert.match(((await response.json()) as { error: string }).error, /started read-only/);
    } finally {
      await readOnly.close();
    }

    // Another process holds the file (read-only, as a second nap serve does): this server reads it but does not write.
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { DuckDBInstance } = await import('@duckdb/node-api');
         await DuckDBInstance.create(${JSON.stringify(file)}, { access_mode: 'READ_ONLY' });
         console.log('holding');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve());
        holder.on('exit', (code) => reject(new Error(`the holding process ended with ${code}`)));
      });
      const shared = await startServer({ store: file, port: 0, appDir: fixture.appDir, keep: keepRecut });
      try {
        assert.equal((await fetch(`${shared.url}/api/runs`)).status, 200, 'it still serves the file');
        const response = await keep(shared, CUT);
        assert.equal(response.status, 409);
        assert.match(((await response.json()) as { error: string }).error, /open in another process/);
      } finally {
        await shared.close();
      }
    } finally {
      holder.kill();
    }
    assert.equal(await clusteringCount(file), before);
  });
});
