/**
 * What a results store holds, condensed to JSON: run records, and a SHA-256 of every stored column, read
 * through a NapStore's public methods. scripts/store-fixtures.ts runs it with the NapStore of the version
 * that wrote a fixture (an older commit's build) and commits the result beside the fixture; the migration
 * tests run it with today's NapStore on the migrated file and compare. Only methods every version had are
 * required; the others are read where the store has them.
 *
 * It also writes the interrupted run each fixture holds (a run killed during extraction), through the same
 * older NapStore, so that its staged rows come in that version's own format.
 */
import { createHash } from 'node:crypto';

type Columns = Record<string, unknown>;

/** The NapStore methods the summary reads, as every version since the first had them. */
export interface SummarizableStore {
  listRuns(): Promise<RunLike[]>;
  readInputs(runId: number): Promise<Columns>;
  listLayers(runId: number): Promise<LayerLike[]>;
  readActivations(
    runId: number,
    layer: string,
  ): Promise<{ matrix: { count: number; dim: number; data: Float32Array }; inputIndex: Int32Array }>;
  listClusterings(runId: number): Promise<ClusteringLike[]>;
  readPatterns(clusteringId: number): Promise<Columns>;
  readMemberships(clusteringId: number): Promise<Columns>;
  readCondensedTree(clusteringId: number): Promise<Columns>;
  readUnitStats(scope: { runId: number; layer: string } | { clusteringId: number }): Promise<Columns>;
  readMaxActivations(runId: number, layer: string): Promise<Columns>;
  readAverageImages(clusteringId: number): Promise<Columns>;
  close(): Promise<void>;
  // Later versions:
  stagedBatches?(runId: number): Promise<{ start: number; count: number }[]>;
  readStagedLayer?(runId: number, layer: string, dim: number, units: number): Promise<Columns>;
  listFlows?(runId: number): Promise<Columns[]>;
  readFlow?(a: number, b: number): Promise<Columns | null>;
  readLayerDivisors?(runId: number, layer: string): Promise<Float32Array>;
  readHeatmapIndex?(clusteringId: number, patternId: number): Promise<Columns>;
  readPatternHeatmaps?(clusteringId: number, patternId: number): Promise<Columns>;
  listProjections?(runId: number): Promise<Columns[]>;
  readProjection?(runId: number, layer: string): Promise<Columns | null>;
  readLinkageTree?(clusteringId: number): Promise<Columns | null>;
  readSoftMemberships?(clusteringId: number): Promise<Columns>;
  readShiftedProbabilities?(runId: number): Promise<Columns | null>;
}

export interface WritableFixtureStore extends SummarizableStore {
  createRun(run: Columns): Promise<number>;
  appendInputs(runId: number, inputs: Columns): Promise<void>;
  getRun(runId: number): Promise<RunLike>;
  appendStagedBatch?(runId: number, batch: Columns): Promise<void>;
}

interface RunLike {
  runId: number;
  name: string;
  status: string;
  modelPath: string;
  modelSha256: string;
  modelLayout: string;
  datasetSpec: string;
  datasetFingerprint: string;
  extractionConfigHash: string;
  config: unknown;
  predictionLabels: string[] | null;
  createdAt: Date;
}

interface LayerLike {
  layer: string;
  order: number;
  opType: string;
  rawDims: number[];
  aggregation: string;
  dim: number;
}

interface ClusteringLike {
  clusteringId: number;
  layer: string;
  unit: number | null;
  params: unknown;
  patternCount: number;
  noiseCount: number;
}

export interface StoreModule {
  NapStore: { open(path: string, options?: { readOnly?: boolean }): Promise<unknown> };
}

/** The layers staged by the interrupted run of every fixture: name, values per input (dim) and units. */
export const STAGED_LAYERS = [
  { layer: 'relu_out', dim: 2, units: 2 },
  { layer: 'logits', dim: 3, units: 3 },
] as const;

/** Staged inputs of the interrupted run, by committed batch; input 2 was "unreadable" and is missing. */
const STAGED_BATCHES = [
  { start: 0, count: 4, rows: [0, 1, 3] },
  { start: 4, count: 4, rows: [4, 5, 6, 7] },
] as const;

function digest(value: unknown): string {
  const plain = JSON.stringify(value, (_, v: unknown) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
  return createHash('sha256').update(plain).digest('hex').slice(0, 24);
}

/** Every column of `columns` (typed arrays and arrays) digested, other fields as they are. */
function digestColumns(columns: Columns | null): Columns | null {
  if (columns === null) return null;
  const out: Columns = {};
  for (const key of Object.keys(columns).sort()) {
    const value = columns[key];
    out[key] = ArrayBuffer.isView(value) || Array.isArray(value) ? digest(value) : value;
  }
  return out;
}

async function optional<T>(read: (() => Promise<T>) | undefined): Promise<T | null> {
  if (read === undefined) return null;
  try {
    return await read();
  } catch (error) {
    if (error instanceof Error && /not ?found|no stored|does not exist|has no/i.test(error.message)) return null;
    throw error;
  }
}

/** A clustering's linkage tree and soft memberships, digested, where the store keeps them. */
async function hierarchyOf(store: SummarizableStore, clusteringId: number): Promise<Columns> {
  const tree = await optional(store.readLinkageTree && (() => store.readLinkageTree!(clusteringId)));
  const soft = await optional(store.readSoftMemberships && (() => store.readSoftMemberships!(clusteringId)));
  const out: Columns = {};
  if (tree !== null) out.linkageTree = digestColumns(tree);
  if (soft !== null && (soft.inputIndex as ArrayLike<number>).length > 0) out.softMemberships = digestColumns(soft);
  return out;
}

/** A run's probabilities over test-time shifts, digested, where the store keeps some (version 12 on). */
async function shiftedOf(store: SummarizableStore, runId: number): Promise<Columns> {
  const shifted = await optional(store.readShiftedProbabilities && (() => store.readShiftedProbabilities!(runId)));
  return shifted === null ? {} : { shiftedProbabilities: digestColumns(shifted) };
}

/** The condensed content of an open store. */
export async function summarizeStore(store: SummarizableStore): Promise<unknown> {
  const runs = [];
  for (const run of await store.listRuns()) {
    const { runId } = run;
    const layers = [];
    for (const layer of await store.listLayers(runId)) {
      const activations = await store.readActivations(runId, layer.layer);
      layers.push({
        ...layer,
        activations: {
          count: activations.matrix.count,
          dim: activations.matrix.dim,
          data: digest(activations.matrix.data),
          inputIndex: digest(activations.inputIndex),
        },
        unitStats: digestColumns(await store.readUnitStats({ runId, layer: layer.layer })),
        maxActivations: digestColumns(await store.readMaxActivations(runId, layer.layer)),
        divisors: await optional(
          store.readLayerDivisors && (async () => digest(await store.readLayerDivisors!(runId, layer.layer))),
        ),
        projection: digestColumns(
          await optional(store.readProjection && (() => store.readProjection!(runId, layer.layer))),
        ),
      });
    }
    const clusterings = [];
    for (const clustering of await store.listClusterings(runId)) {
      const id = clustering.clusteringId;
      const heatmaps = [];
      for (let patternId = 0; patternId < clustering.patternCount; patternId++) {
        const stored = await optional(store.readPatternHeatmaps && (() => store.readPatternHeatmaps!(id, patternId)));
        if (stored !== null && (stored.patternId as ArrayLike<number>).length > 0)
          heatmaps.push({ patternId, ...digestColumns(stored) });
      }
      clusterings.push({
        clusteringId: id,
        layer: clustering.layer,
        unit: clustering.unit,
        params: clustering.params,
        patternCount: clustering.patternCount,
        noiseCount: clustering.noiseCount,
        patterns: digestColumns(await store.readPatterns(id)),
        memberships: digestColumns(await store.readMemberships(id)),
        condensedTree: digestColumns(await store.readCondensedTree(id)),
        patternStats:
          clustering.patternCount > 0 ? digestColumns(await store.readUnitStats({ clusteringId: id })) : null,
        averageImages:
          clustering.patternCount > 0 ? digestColumns(await optional(() => store.readAverageImages(id))) : null,
        heatmaps,
        // Kept since version 7; absent (not null) before, so that older fixtures' summaries stay as written.
        ...(await hierarchyOf(store, id)),
      });
    }
    const flows = [];
    for (const flow of (await optional(store.listFlows && (() => store.listFlows!(runId)))) ?? []) {
      const cells = await store.readFlow!(Number(flow.clusteringA), Number(flow.clusteringB));
      flows.push({
        ...flow,
        cells: digestColumns(
          cells && { patternA: cells.patternA, patternB: cells.patternB, count: cells.count, jaccard: cells.jaccard },
        ),
      });
    }
    const staged = [];
    const batches = (await optional(store.stagedBatches && (() => store.stagedBatches!(runId)))) ?? [];
    if (batches.length > 0) {
      for (const { layer, dim, units } of STAGED_LAYERS)
        staged.push({ layer, ...digestColumns(await store.readStagedLayer!(runId, layer, dim, units)) });
    }
    runs.push({
      runId,
      name: run.name,
      status: run.status,
      createdAt: run.createdAt.toISOString(),
      modelPath: run.modelPath,
      modelSha256: run.modelSha256,
      modelLayout: run.modelLayout,
      datasetSpec: run.datasetSpec,
      datasetFingerprint: run.datasetFingerprint,
      extractionConfigHash: run.extractionConfigHash,
      config: run.config,
      predictionLabels: run.predictionLabels,
      inputs: digestColumns(await store.readInputs(runId)),
      layers,
      clusterings,
      flows,
      stagedBatches: batches,
      staged,
      // Absent (not null) without any, so that older fixtures' summaries stay as written.
      ...(await shiftedOf(store, runId)),
    });
  }
  // Dates as JSON writes them, so that a summary equals its committed JSON.
  return JSON.parse(JSON.stringify({ runs })) as unknown;
}

/** Adds a run killed during its extraction: inputs and activations of two committed batches, nothing final. */
export async function addInterruptedRun(store: WritableFixtureStore, completeRunId: number): Promise<number> {
  const complete = await store.getRun(completeRunId);
  const runId = await store.createRun({
    modelPath: complete.modelPath,
    modelSha256: complete.modelSha256,
    modelLayout: complete.modelLayout,
    datasetSpec: complete.datasetSpec,
    datasetFingerprint: complete.datasetFingerprint,
    config: complete.config,
    predictionLabels: complete.predictionLabels,
    name: `${complete.name} (killed)`,
    extractionConfigHash: `${complete.extractionConfigHash}-killed`,
  });
  const inputsOf = (rows: readonly number[]) => ({
    index: Int32Array.from(rows),
    path: rows.map((row) => `digits/${row}.png`),
    label: rows.map((row) => String(row % 10)),
    prediction: Int32Array.from(rows, (row) => row % 3),
    predictionLabel: rows.map((row) => String(row % 3)),
    probability: Float32Array.from(rows, (row) => 0.5 + row / 100),
  });
  if (store.appendStagedBatch === undefined) {
    await store.appendInputs(runId, inputsOf(STAGED_BATCHES.flatMap((batch) => [...batch.rows])));
    return runId;
  }
  for (const batch of STAGED_BATCHES) {
    await store.appendStagedBatch(runId, {
      start: batch.start,
      count: batch.count,
      inputs: inputsOf(batch.rows),
      layers: STAGED_LAYERS.map(({ layer, dim, units }) => ({
        layer,
        dim,
        units,
        values: Float32Array.from({ length: batch.rows.length * dim }, (_, i) => batch.start + i / 8 - 0.25),
        unitMax: Float32Array.from({ length: batch.rows.length * units }, (_, i) => batch.start + i / 4),
      })),
    });
  }
  return runId;
}
