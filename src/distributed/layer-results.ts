/**
 * A layer's patterns and map computed from the shard files, by any process that sees the shared folder: the
 * rows are read from every shard in input order and unit-normalized exactly as the single-process run
 * normalizes its staged rows, so the matrix, and what is computed from it, is the same. The result goes to
 * a file of the shared folder named by the run, the layer and a hash of the parameters.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import type { Matrix } from '../compute/matrix.js';
import { clusterRows, clusteringDetails, type ComputedClustering } from '../engine/cluster-layer.js';
import { normalizeLayer } from '../engine/normalize-layer.js';
import { projectMatrix } from '../engine/project-layer.js';
import type { ProjectionPlan } from '../engine/projection-options.js';
import type { TaskControl } from '../progress.js';
import type { RunManifest, ShardedLayer } from './manifest.js';
import { readPayloadFile, writePayloadFile } from './payload.js';
import { readShardedLayer } from './shard-files.js';

export type ClusteringOptions = Omit<HdbscanOptions, 'mst'>;

export function shardedLayer(run: RunManifest, name: string): ShardedLayer {
  const layer = run.layers.find((l) => l.name === name);
  if (!layer) throw new RangeError(`run ${run.key} has no layer '${name}'`);
  return layer;
}

function parameterHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

export function patternsFile(folder: string, run: RunManifest, layer: string, options: ClusteringOptions): string {
  return path.join(folder, 'results', `patterns-${shardedLayer(run, layer).file}-${parameterHash(options)}.bin`);
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

interface PatternsPayload extends ComputedClustering {
  key: string;
  layer: string;
  inputIndex: Int32Array;
}

interface MapPayload {
  key: string;
  layer: string;
  inputIndex: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

export async function computePatterns(
  folder: string,
  run: RunManifest,
  layer: string,
  options: ClusteringOptions,
  control: TaskControl = {},
): Promise<{ patterns: number; inputs: number }> {
  const { matrix, inputIndex } = await normalizedLayer(folder, run, layer);
  // In the raw space, as analyze clusters a layer; the coordinator stores the params it records.
  const fit = await clusterRows(matrix, options, (resolved) => resolved, control);
  const details = await clusteringDetails({ activations: matrix, space: matrix }, fit.selection, fit.metric, control);
  // The selection is hdbscan's whole result: its linkage tree and params travel once, beside it.
  const { labels, probabilities, outlierScores, persistence, clusterCount, condensedTree } = fit.selection;
  const selection = { labels, probabilities, outlierScores, persistence, clusterCount, condensedTree };
  const payload: PatternsPayload = { key: run.key, layer, inputIndex, clustering: { ...fit, selection }, ...details };
  const file = patternsFile(folder, run, layer, options);
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
  await writePayloadFile(file, { key: run.key, layer, inputIndex, x, y } satisfies MapPayload);
  return { inputs: matrix.count };
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** The stored patterns of the layer when computed for exactly these rows, else undefined. */
export async function readPatterns(
  file: string,
  run: RunManifest,
  layer: string,
  inputIndex: Int32Array,
): Promise<ComputedClustering | undefined> {
  const payload = await readPayloadFile<PatternsPayload>(file);
  if (!payload || payload.key !== run.key || payload.layer !== layer || !sameRows(payload.inputIndex, inputIndex))
    return undefined;
  const { clustering, soft, statistics } = payload;
  return { clustering, soft, statistics };
}

export async function readMap(
  file: string,
  run: RunManifest,
  layer: string,
  inputIndex: Int32Array,
): Promise<{ x: Float32Array; y: Float32Array } | undefined> {
  const payload = await readPayloadFile<MapPayload>(file);
  if (!payload || payload.key !== run.key || payload.layer !== layer || !sameRows(payload.inputIndex, inputIndex))
    return undefined;
  return { x: payload.x, y: payload.y };
}
