/**
 * What a clustering keeps beyond its patterns (schema version 7): the single-linkage tree its patterns were
 * selected from, each input's strongest soft memberships, and the coordinates of a non-raw cluster space.
 * Clusterings of older stores have none of them (readers answer null or empty).
 */
import { blobValue, type DuckDBConnection } from '@duckdb/node-api';
import { InputError, NotFoundError } from '../../errors.js';
import { appendRows, bytesOf, constantInt, constantText, floatColumn, intColumn } from './bulk.js';
import { requireClustering } from './clusterings.js';
import { storedInputs } from './inputs.js';
import { requireLayer } from './layers.js';
import { asJson, asNumber, ResultColumns, timestampOf } from './results.js';
import type { StoredInputs } from './types.js';
import { toJsonText } from './validate.js';

/** A clustering's single-linkage tree: merge k joins `left[k]` and `right[k]` at `distance[k]` into node N + k. */
export interface LinkageTreeColumns {
  /** Min samples of the core distances the tree was built from. */
  minSamples: number;
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
}

/**
 * Each input's `width` strongest patterns, row-major `inputs x width` in the clustering's row order,
 * strongest first; pattern -1 (strength 0) fills places beyond the pattern count and is not stored.
 */
export interface SoftMembershipsToSave {
  width: number;
  patternId: Int32Array;
  strength: Float32Array;
}

/** Stored soft memberships, one entry per (input, rank), by ascending input then rank. */
export interface SoftMembershipColumns {
  inputIndex: Int32Array;
  rank: Int32Array;
  patternId: Int32Array;
  strength: Float32Array;
}

/** Coordinates of a layer's inputs in a cluster space (pca:D, umap:D), row-major `inputIndex.length x dim`. */
export interface ClusterSpaceColumns {
  space: string;
  params: unknown;
  dim: number;
  /** Strictly ascending. */
  inputIndex: Int32Array;
  values: Float32Array;
}

function owner(runId: number, layer: string, clusteringId: number) {
  return { run_id: constantInt(runId), layer: constantText(layer), clustering_id: constantInt(clusteringId) };
}

/** Stores (or replaces) a clustering's linkage tree of `pointCount` points. Call inside a transaction. */
export async function saveLinkageTree(
  connection: DuckDBConnection,
  clusteringId: number,
  pointCount: number,
  tree: LinkageTreeColumns,
): Promise<void> {
  const clustering = await requireClustering(connection, clusteringId);
  const merges = tree.distance.length;
  if (merges !== pointCount - 1 || tree.left.length !== merges || tree.right.length !== merges) {
    throw new InputError(
      `linkage tree of clustering ${clusteringId} has ${tree.left.length}, ${tree.right.length} and ${merges} merge entries for ${pointCount} inputs`,
      { hint: 'a tree of N inputs has N - 1 merges, each with left, right and distance' },
    );
  }
  if (!Number.isInteger(tree.minSamples) || tree.minSamples < 1) {
    throw new InputError(`linkage tree min samples ${tree.minSamples} is not a whole number >= 1`, {
      hint: 'pass the min samples the tree was built with',
    });
  }
  await connection.run('DELETE FROM linkage_trees WHERE clustering_id = $1', [clusteringId]);
  await connection.run(
    `INSERT INTO linkage_trees (run_id, layer, clustering_id, point_count, min_samples, "left", "right", distance)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      clustering.runId,
      clustering.layer,
      clusteringId,
      pointCount,
      tree.minSamples,
      blobValue(bytesOf(tree.left)),
      blobValue(bytesOf(tree.right)),
      blobValue(bytesOf(tree.distance)),
    ],
  );
}

/** A clustering's linkage tree, or null when it has none (a clustering of an older nap). */
export async function readLinkageTree(
  connection: DuckDBConnection,
  clusteringId: number,
): Promise<(LinkageTreeColumns & { pointCount: number }) | null> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    `SELECT point_count, min_samples, "left", "right", distance FROM linkage_trees WHERE clustering_id = $1`,
    [clusteringId],
  );
  const [row] = result.rows();
  if (row === undefined) return null;
  const pointCount = asNumber(row.point_count!);
  const merges = Math.max(0, pointCount - 1);
  const left = result.concatenatedBlobs('left');
  const right = result.concatenatedBlobs('right');
  const distance = result.concatenatedBlobs('distance');
  if (left.length !== merges * 4 || right.length !== merges * 4 || distance.length !== merges * 8) {
    throw new Error(
      `linkage tree of clustering ${clusteringId} holds the wrong number of bytes for ${pointCount} inputs`,
    );
  }
  return {
    pointCount,
    minSamples: asNumber(row.min_samples!),
    left: new Int32Array(left.buffer, 0, merges),
    right: new Int32Array(right.buffer, 0, merges),
    distance: new Float64Array(distance.buffer, 0, merges),
  };
}

/** Stores (or replaces) a clustering's soft memberships; rows follow `inputIndex`. Call inside a transaction. */
export async function saveSoftMemberships(
  connection: DuckDBConnection,
  clusteringId: number,
  inputIndex: Int32Array,
  soft: SoftMembershipsToSave,
): Promise<void> {
  const clustering = await requireClustering(connection, clusteringId);
  const { width, patternId, strength } = soft;
  if (!Number.isInteger(width) || width < 1 || patternId.length !== inputIndex.length * width) {
    throw new InputError(
      `soft memberships of clustering ${clusteringId} have ${patternId.length} entries for ${inputIndex.length} inputs x width ${width}`,
      { hint: 'pass width >= 1 and inputs x width pattern ids and strengths' },
    );
  }
  if (strength.length !== patternId.length) {
    throw new InputError(`soft memberships have ${patternId.length} pattern ids but ${strength.length} strengths`, {
      hint: 'pass one strength per pattern id',
    });
  }
  const kept: number[] = [];
  for (let i = 0; i < patternId.length; i++) {
    const pattern = patternId[i]!;
    if (pattern < 0) continue;
    if (pattern >= clustering.patternCount || !(strength[i]! >= 0 && strength[i]! <= 1)) {
      throw new InputError(
        `soft membership of input ${inputIndex[Math.floor(i / width)]} names pattern ${pattern} at strength ${strength[i]}`,
        { hint: `patterns are 0..${clustering.patternCount - 1} and strengths in [0, 1]` },
      );
    }
    kept.push(i);
  }
  await connection.run('DELETE FROM soft_memberships WHERE clustering_id = $1', [clusteringId]);
  const at = Int32Array.from(kept);
  await appendRows(
    connection,
    'soft_memberships',
    {
      ...owner(clustering.runId, clustering.layer, clusteringId),
      input_index: intColumn(Int32Array.from(at, (i) => inputIndex[Math.floor(i / width)]!)),
      rank: intColumn(Int32Array.from(at, (i) => i % width)),
      pattern_id: intColumn(Int32Array.from(at, (i) => patternId[i]!)),
      strength: floatColumn(Float32Array.from(at, (i) => strength[i]!)),
    },
    at.length,
  );
}

/** A clustering's soft memberships (empty for a clustering of an older nap), by input then rank. */
export async function readSoftMemberships(
  connection: DuckDBConnection,
  clusteringId: number,
): Promise<SoftMembershipColumns> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    `SELECT input_index, rank, pattern_id, strength FROM soft_memberships WHERE clustering_id = $1
     ORDER BY input_index, rank`,
    [clusteringId],
  );
  return {
    inputIndex: result.int32('input_index'),
    rank: result.int32('rank'),
    patternId: result.int32('pattern_id'),
    strength: Float32Array.from(result.float64('strength')),
  };
}

/** Stores (or replaces) a layer's coordinates in a cluster space. Call inside a transaction. */
export async function saveClusterSpace(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  space: ClusterSpaceColumns,
): Promise<void> {
  await requireLayer(connection, runId, layer);
  const { dim, inputIndex, values } = space;
  if (!Number.isInteger(dim) || dim < 1 || values.length !== inputIndex.length * dim) {
    throw new InputError(
      `cluster space ${space.space} of layer '${layer}' has ${values.length} values for ${inputIndex.length} inputs x ${dim}`,
      { hint: 'pass inputs x dim values, row-major' },
    );
  }
  await connection.run('DELETE FROM cluster_spaces WHERE run_id = $1 AND layer = $2 AND space = $3', [
    runId,
    layer,
    space.space,
  ]);
  await connection.run(
    `INSERT INTO cluster_spaces (run_id, layer, space, params, point_count, dim, input_index, "values", created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      runId,
      layer,
      space.space,
      toJsonText('cluster space params', space.params),
      inputIndex.length,
      dim,
      blobValue(bytesOf(inputIndex)),
      blobValue(bytesOf(values)),
      timestampOf(new Date()),
    ],
  );
}

/** A layer's coordinates in a cluster space, or null when they are not stored. */
export async function readClusterSpace(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  space: string,
): Promise<ClusterSpaceColumns | null> {
  await requireLayer(connection, runId, layer);
  const result = await ResultColumns.query(
    connection,
    `SELECT CAST(params AS VARCHAR) AS params, point_count, dim, input_index, "values" FROM cluster_spaces
     WHERE run_id = $1 AND layer = $2 AND space = $3`,
    [runId, layer, space],
  );
  const [row] = result.rows();
  if (row === undefined) return null;
  const count = asNumber(row.point_count!);
  const dim = asNumber(row.dim!);
  const index = result.concatenatedBlobs('input_index');
  const values = result.concatenatedBlobs('values');
  if (index.length !== count * 4 || values.length !== count * dim * 4) {
    throw new Error(`cluster space ${space} of layer '${layer}' holds the wrong number of bytes`);
  }
  return {
    space,
    params: asJson(row.params!),
    dim,
    inputIndex: new Int32Array(index.buffer, 0, count),
    values: new Float32Array(values.buffer, 0, count * dim),
  };
}

/** How many of a clustering's inputs a pattern covers: in one, or (noise) strongest in one at each strength. */
export interface CoverageCounts {
  inputs: number;
  /** Inputs in a pattern (not noise). */
  inPattern: number;
  /** Per requested strength s: inputs in a pattern, or noise whose strongest soft membership is >= s. */
  atStrength: number[];
  /** Whether the clustering has soft memberships (false: atStrength equals inPattern). */
  soft: boolean;
}

export async function readCoverage(
  connection: DuckDBConnection,
  clusteringId: number,
  strengths: readonly number[],
): Promise<CoverageCounts> {
  await requireClustering(connection, clusteringId);
  for (const strength of strengths) requireStrength(strength);
  const filters = strengths.map(
    (_, k) => `CAST(count(*) FILTER (WHERE m.pattern_id >= 0 OR s.strength >= $${k + 2}) AS INTEGER) AS at_${k}`,
  );
  const result = await ResultColumns.query(
    connection,
    `SELECT CAST(count(*) AS INTEGER) AS inputs, CAST(count(*) FILTER (WHERE m.pattern_id >= 0) AS INTEGER) AS in_pattern,
       CAST(count(s.strength) AS INTEGER) AS soft${filters.map((filter) => `, ${filter}`).join('')}
     FROM memberships m LEFT JOIN soft_memberships s
       ON s.clustering_id = m.clustering_id AND s.input_index = m.input_index AND s.rank = 0
     WHERE m.clustering_id = $1`,
    [clusteringId, ...strengths],
  );
  return {
    inputs: result.int32('inputs')[0]!,
    inPattern: result.int32('in_pattern')[0]!,
    atStrength: strengths.map((_, k) => result.int32(`at_${k}`)[0]!),
    soft: result.int32('soft')[0]! > 0,
  };
}

function requireStrength(strength: number): void {
  if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) {
    throw new InputError(`membership strength ${String(strength)} is not in [0, 1]`, {
      hint: 'pass a strength from 0 to 1, e.g. 0.1',
    });
  }
}

/** Options of a page of noise inputs: the first `limit` after `offset`, strongest soft membership first. */
export interface NoisePageOptions {
  /** Only noise inputs whose strongest membership is at least this strength; default 0 (all). */
  minStrength?: number;
  offset?: number;
  limit?: number;
}

/** One page of noise inputs with their strongest pattern (-1 and NaN where no soft membership is stored). */
export interface NoisePage extends StoredInputs {
  /** Inputs of the page's selection in all pages. */
  total: number;
  nearestPattern: Int32Array;
  strength: Float32Array;
  outlierScore: Float64Array;
}

/**
 * A page of a pattern's near members (noise inputs whose strongest soft membership is `patternId`), or
 * with `patternId` null a page of all noise inputs; strongest first, then by input index.
 */
export async function readNoisePage(
  connection: DuckDBConnection,
  clusteringId: number,
  patternId: number | null,
  options: NoisePageOptions = {},
): Promise<NoisePage> {
  const { minStrength = 0, offset = 0, limit = 100 } = options;
  requireStrength(minStrength);
  for (const [name, value] of [
    ['offset', offset],
    ['limit', limit],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new InputError(`${name} ${value} is not a non-negative integer`, { hint: `pass ${name} >= 0` });
    }
  }
  const clustering = await requireClustering(connection, clusteringId);
  if (patternId !== null && (!Number.isInteger(patternId) || patternId < 0 || patternId >= clustering.patternCount)) {
    throw new NotFoundError(`pattern ${patternId} does not exist in clustering ${clusteringId}`, {
      hint: `pass a pattern id in 0..${clustering.patternCount - 1}`,
    });
  }
  const noise = `memberships m LEFT JOIN soft_memberships s
      ON s.clustering_id = m.clustering_id AND s.input_index = m.input_index AND s.rank = 0`;
  const where = `m.clustering_id = $1 AND m.pattern_id = -1 AND ${
    patternId === null ? '($2 = 0 OR s.strength >= $2)' : 's.pattern_id = $3 AND s.strength >= $2'
  }`;
  const params = patternId === null ? [clusteringId, minStrength] : [clusteringId, minStrength, patternId];
  const counted = await ResultColumns.query(
    connection,
    `SELECT CAST(count(*) AS INTEGER) AS total FROM ${noise} WHERE ${where}`,
    params,
  );
  const at = params.length;
  const result = await ResultColumns.query(
    connection,
    `SELECT m.input_index, coalesce(s.pattern_id, -1) AS nearest_pattern, coalesce(s.strength, 'NaN'::FLOAT) AS strength,
       m.outlier_score, i.path, i.label, coalesce(i.prediction, -1) AS prediction, i.prediction_label,
       coalesce(i.probability, 'NaN'::DOUBLE) AS probability
     FROM ${noise} LEFT JOIN inputs i ON i.run_id = m.run_id AND i.input_index = m.input_index
     WHERE ${where} ORDER BY s.strength DESC NULLS LAST, m.input_index LIMIT $${at + 1} OFFSET $${at + 2}`,
    [...params, limit, offset],
  );
  return {
    ...storedInputs(result),
    total: counted.int32('total')[0]!,
    nearestPattern: result.int32('nearest_pattern'),
    strength: Float32Array.from(result.float64('strength')),
    outlierScore: result.float64('outlier_score'),
  };
}

/** The noise of a clustering in numbers: its size, label mix and how many lean to each pattern. */
export interface NoiseSummary {
  inputs: number;
  noise: number;
  /** Noise inputs per input label, most first (null: unlabelled). */
  labels: { label: string | null; count: number }[];
  /** Noise inputs per strongest pattern, most first; -1: no soft membership stored. */
  nearestPatterns: { patternId: number; count: number; meanStrength: number }[];
}

export async function readNoiseSummary(connection: DuckDBConnection, clusteringId: number): Promise<NoiseSummary> {
  const clustering = await requireClustering(connection, clusteringId);
  const labels = await ResultColumns.query(
    connection,
    `SELECT i.label, CAST(count(*) AS INTEGER) AS count
     FROM memberships m LEFT JOIN inputs i ON i.run_id = m.run_id AND i.input_index = m.input_index
     WHERE m.clustering_id = $1 AND m.pattern_id = -1 GROUP BY i.label ORDER BY count DESC, i.label`,
    [clusteringId],
  );
  const nearest = await ResultColumns.query(
    connection,
    `SELECT coalesce(s.pattern_id, -1) AS pattern_id, CAST(count(*) AS INTEGER) AS count,
       coalesce(avg(s.strength), 'NaN'::DOUBLE) AS mean_strength
     FROM memberships m LEFT JOIN soft_memberships s
       ON s.clustering_id = m.clustering_id AND s.input_index = m.input_index AND s.rank = 0
     WHERE m.clustering_id = $1 AND m.pattern_id = -1 GROUP BY 1 ORDER BY count DESC, pattern_id`,
    [clusteringId],
  );
  const labelNames = labels.text('label');
  const labelCounts = labels.int32('count');
  const patternIds = nearest.int32('pattern_id');
  const patternCounts = nearest.int32('count');
  const strengths = nearest.float64('mean_strength');
  const memberships = await ResultColumns.query(
    connection,
    'SELECT CAST(count(*) AS INTEGER) AS inputs FROM memberships WHERE clustering_id = $1',
    [clusteringId],
  );
  return {
    inputs: memberships.int32('inputs')[0]!,
    noise: clustering.noiseCount,
    labels: labelNames.map((label, i) => ({ label, count: labelCounts[i]! })),
    nearestPatterns: Array.from(patternIds, (patternId, i) => ({
      patternId,
      count: patternCounts[i]!,
      meanStrength: strengths[i]!,
    })),
  };
}
