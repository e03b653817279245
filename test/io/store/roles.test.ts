/**
 * The store's narrow interfaces are checked by the compiler: `npm test` type-checks this file, so a reader
 * that could write, or a writer that could reach another stage's tables, fails the build here. The
 * runtime test opens a store through a StoreReader only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  ClusteringWriter,
  ExtractionWriter,
  NapStore,
  ProjectionWriter,
  StoreReader,
} from '../../../src/io/store/index.js';
import { sampleRun, tempStore } from './helpers.js';

/** Never called: its body only has to compile. */
export function compileTimeChecks(store: NapStore, reader: StoreReader, clustering: ClusteringWriter): void {
  const roles: [StoreReader, ExtractionWriter, ClusteringWriter, ProjectionWriter] = [store, store, store, store];
  void roles;
  // @ts-expect-error a reader cannot record a run
  void reader.createRun;
  // @ts-expect-error a reader cannot write a clustering
  void reader.saveClustering;
  // @ts-expect-error a reader cannot delete a run
  void reader.deleteRun;
  // @ts-expect-error the clustering stage cannot write another stage's tables
  void clustering.saveProjection;
}

test('a store read through a StoreReader gives its runs', async () => {
  const { store, done } = await tempStore();
  try {
    await store.createRun(sampleRun());
    const reader: StoreReader = store;
    assert.deepEqual(
      (await reader.listRuns()).map((run) => run.name),
      [sampleRun().name],
    );
  } finally {
    await done();
  }
});
