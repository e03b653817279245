/**
 * A layer's patterns and map computed from the shard files, by any process that sees the shared folder: the
 * rows are read from every shard in input order and unit-normalized exactly as the single-process run
 * normalizes its staged rows, so the matrix, and what is computed from it, is the same. Patterns are
 * clustered in the run's cluster space (raw, or a PCA or UMAP space computed here from those rows with the
 * single-process run's settings). The result goes to a file of the shared folder named by the run, the
 * layer and a hash of the parameters, and carries the shared folder's format.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import type { Matrix } from '../compute/matrix.js';
import { clusterRows, clusteringDetails, type ComputedLayerClustering } from '../engine/cluster-layer.js';
import { rowsInSpace, type ClusterSpace } from '../engine/cluster-space.js';
import { normalizeLayer } from '../engine/normalize-layer.js';
import { projectMatrix } from '../engine/project-layer.js';
import type { ProjectionPlan } from '../engine/projection-options.js';
import type { TaskControl } from '../progress.js';
import { napVersion } from '../version.js';
import { formatMismatch, isCurrentFormat, SHARD_FORMAT } from './format.js';
import type { RunManifest, ShardedLayer } from './manifest.js';
import { readPayloadFile, writePayloadFile } from './payload.js';
import { readShardedLayer } from './shard-files.js';

export type ClusteringOptions = Omit<HdbscanOptions, 'mst'>;

/** A layer clustering asked of a worker: the HDBSCAN* options and the space its rows are clustered in. */
export interface LayerClusteringJob {
  options: ClusteringOptions;
  space: ClusterSpace;
}

export function shardedLayer(run: RunManifest, name: string): ShardedLayer {
  const layer = run.layers.find((l) => l.name === name);
  if (!layer) throw new RangeError(`run ${run.key} has no layer '${name}'`);
  return layer;
}

function parameterHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

export function patternsFile(folder: string, run: RunManifest, layer: string, clustering: LayerClusteringJob): string {
  return path.join(folder, 'results', `patterns-${shardedLayer(run, layer).file}-${parameterHash(clustering)}.bin`);
}

/** The map's file; worker threads do not change a map, so they are left out of its name. */
export function mapFile(folder: string, run: RunManifest, layer: string, plan: ProjectionPlan): string {
  return path.join(
    folder,
    'results',
    `map-${shardedLayer(run, layer).file}-${parameterHash({ ...plan, threads: 0 })}.bin`,
  );
}

/** The layer's unit-normalized activations from every shard, rows by ascending input index. */
export async function normalizedLayer(
  folder: string,
  run: RunManifest,
  name: string,
): Promise<{ matrix: Matrix; inputIndex: Int32Array }> {
  const layer = shardedLayer(run, name);
  const { inputIndex, values } = await readShardedLayer(folder, run, layer);
  const { matrix } = normalizeLayer(values, inputIndex.length, layer.dim, layer.geometry, run.aggregation);
  return { matrix, inputIndex };
}

/** What every result file holds beside its result: the format, the nap that wrote it, the run, the layer and its rows. */
interface PayloadHeader {
  format: typeof SHARD_FORMAT;
  nap: string;
  key: string;
  layer: string;
  inputIndex: Int32Array;
}

type PatternsPayload = PayloadHeader & ComputedLayerClustering;

interface MapPayload extends PayloadHeader {
  x: Float32Array;
  y: Float32Array;
}

function payloadHeader(run: RunManifest, layer: string, inputIndex: Int32Array): PayloadHeader {
  return { format: SHARD_FORMAT, nap: napVersion(), key: run.key, layer, inputIndex };
}

export async function computePatterns(
  folder: string,
  run: RunManifest,
  layer: string,
  clustering: LayerClusteringJob,
  threads: number | undefined,
  control: TaskControl = {},
): Promise<{ patterns: number; inputs: number }> {
  const { matrix, inputIndex } = await normalizedLayer(folder, run, layer);
  const spaceThreads = threads ?? (run.options.threads || undefined);
  const space = await rowsInSpace(matrix, clustering.space, spaceThreads ? { threads: spaceThreads } : {}, control);
  // The coordinator stores the params it records, as analyze does.
  const fit = await clusterRows(space.rows, clustering.options, (resolved) => resolved, control);
  const details = await clusteringDetails(
    { activations: matrix, space: space.rows },
    fit.selection,
    fit.metric,
    control,
  );
  // The selection is hdbscan's whole result: its linkage tree and params travel once, beside it.
  const { labels, probabilities, outlierScores, persistence, clusterCount, condensedTree } = fit.selection;
  const selection = { labels, probabilities, outlierScores, persistence, clusterCount, condensedTree };
  const payload: PatternsPayload = {
    ...payloadHeader(run, layer, inputIndex),
    clustering: { ...fit, selection },
    ...details,
    ...(clustering.space === 'raw'
      ? {}
      : {
          space: {
            space: clustering.space,
            params: space.params,
            dim: space.rows.dim,
            inputIndex,
            values: space.rows.data,
          },
        }),
  };
  const file = patternsFile(folder, run, layer, clustering);
  await mkdir(path.dirname(file), { recursive: true });
  await writePayloadFile(file, payload);
  return { patterns: selection.clusterCount, inputs: matrix.count };
}

export async function computeMap(
  folder: string,
  run: RunManifest,
  layer: string,
  plan: ProjectionPlan,
  threads: number | undefined,
  control: TaskControl = {},
): Promise<{ inputs: number }> {
  const { matrix, inputIndex } = await normalizedLayer(folder, run, layer);
  const { x, y } = await projectMatrix(
    matrix,
    plan.method === 'umap' ? { ...plan, threads: threads ?? plan.threads } : plan,
    control,
  );
  const file = mapFile(folder, run, layer, plan);
  await mkdir(path.dirname(file), { recursive: true });
  await writePayloadFile(file, { ...payloadHeader(run, layer, inputIndex), x, y } satisfies MapPayload);
  return { inputs: matrix.count };
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * The result in `file` when it was computed for exactly these rows of the run's layer, else undefined;
 * a result file of another format is refused, naming it.
 */
async function readResult<T extends PayloadHeader>(
  file: string,
  run: RunManifest,
  layer: string,
  inputIndex: Int32Array,
): Promise<T | undefined> {
  const payload = await readPayloadFile<T>(file);
  if (!payload) return undefined;
  // Read as unknown: a file of another version holds any value there.
  const format: unknown = payload.format;
  if (!isCurrentFormat(format)) {
    throw formatMismatch(
      file,
      format,
      payload.nap,
      'delete it and run the same command again: a worker computes it anew',
    );
  }
  if (payload.key !== run.key || payload.layer !== layer || !sameRows(payload.inputIndex, inputIndex)) return undefined;
  return payload;
}

/** The stored patterns of the layer when computed for exactly these rows, else undefined. */
export async function readPatterns(
  file: string,
  run: RunManifest,
  layer: string,
  inputIndex: Int32Array,
): Promise<ComputedLayerClustering | undefined> {
  const payload = await readResult<PatternsPayload>(file, run, layer, inputIndex);
  if (!payload) return undefined;
  const { clustering, soft, statistics, space } = payload;
  return { clustering, soft, statistics, ...(space ? { space } : {}) };
}

export async function readMap(
  file: string,
  run: RunManifest,
  layer: string,
  inputIndex: Int32Array,
): Promise<{ x: Float32Array; y: Float32Array } | undefined> {
  const payload = await readResult<MapPayload>(file, run, layer, inputIndex);
  return payload && { x: payload.x, y: payload.y };
}
