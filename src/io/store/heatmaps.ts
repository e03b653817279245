/**
 * Layer normalization divisors and pattern heatmaps (where a pattern lives in the image). Divisors are
 * written when a layer is normalized; heatmaps by `nap heatmaps` (src/engine/heatmaps.ts).
 */
import { INTEGER, LIST, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { InputError, NotFoundError } from '../../errors.js';
import { appendRows, constantInt, constantText, intColumn } from './bulk.js';
import { floatListColumn } from './vectors.js';
import { requireClustering } from './clusterings.js';
import { ResultColumns } from './results.js';
import { requireRun } from './runs.js';
import { requireName } from './validate.js';

/** The input index under which a pattern's mean heatmap is stored. */
export const MEAN_HEATMAP = -1;

/** Heatmaps of one grid: row i (height x width values, row-major) belongs to patternId[i], inputIndex[i]. */
export interface PatternHeatmaps {
  patternId: Int32Array;
  /** The member's input index, or MEAN_HEATMAP for the pattern's mean. */
  inputIndex: Int32Array;
  height: number;
  width: number;
  values: Float32Array;
}

/** Which heatmaps of a pattern are stored. */
export interface HeatmapIndex {
  hasMean: boolean;
  /** Members with a heatmap, ascending. */
  inputIndex: Int32Array;
  /** Grid of the stored heatmaps; 0 x 0 when none is stored. */
  height: number;
  width: number;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InputError(`heatmap ${name} ${value} is not a positive integer`, {
      hint: 'pass the layer grid size in positions',
    });
  }
}

/** Replaces the normalization divisors of a layer (one per activations column). Call inside a transaction. */
export async function saveLayerDivisors(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  divisors: Float64Array | Float32Array,
): Promise<void> {
  await requireRun(connection, runId);
  requireName('layer name', layer);
  if (divisors.length === 0 || !divisors.every((d) => Number.isFinite(d) && d >= 0)) {
    throw new InputError(`divisors of layer ${JSON.stringify(layer)} must be one finite value >= 0 per column`, {
      hint: 'pass the divisors normalizeLayer returned',
    });
  }
  await connection.run('DELETE FROM layer_divisors WHERE run_id = $1 AND layer = $2', [runId, layer]);
  await appendRows(
    connection,
    'layer_divisors',
    {
      run_id: constantInt(runId),
      layer: constantText(layer),
      divisors: floatListColumn(Float32Array.from(divisors), divisors.length),
    },
    1,
  );
}

/** The layer's normalization divisors; NotFoundError when none are stored. */
export async function readLayerDivisors(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
): Promise<Float32Array> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    'SELECT divisors, len(divisors) AS n FROM layer_divisors WHERE run_id = $1 AND layer = $2',
    [runId, layer],
  );
  if (result.rowCount === 0) {
    throw new NotFoundError(`layer ${JSON.stringify(layer)} of run ${runId} has no stored normalization divisors`, {
      hint: 'the layer was analyzed by an older nap or is not stored; analyze the model again into this store',
    });
  }
  return result.floatLists('divisors', result.int32('n')[0]!);
}

/**
 * Stores heatmaps of a clustering's patterns, replacing every stored heatmap of the patterns present in
 * `heatmaps`. Call inside a transaction.
 */
export async function savePatternHeatmaps(
  connection: DuckDBConnection,
  clusteringId: number,
  heatmaps: PatternHeatmaps,
): Promise<void> {
  const clustering = await requireClustering(connection, clusteringId);
  const { patternId, inputIndex, height, width, values } = heatmaps;
  requirePositiveInteger('height', height);
  requirePositiveInteger('width', width);
  const size = height * width;
  if (inputIndex.length !== patternId.length || values.length !== patternId.length * size) {
    throw new InputError(
      `${patternId.length} pattern ids, ${inputIndex.length} input indices and ${values.length} values do not make heatmaps of ${height} x ${width}`,
      { hint: 'pass one pattern id, one input index and height x width values per heatmap' },
    );
  }
  const bad = patternId.find((id) => id < 0 || id >= clustering.patternCount);
  if (bad !== undefined) {
    throw new InputError(
      `heatmap of pattern ${bad}, outside 0..${clustering.patternCount - 1} of clustering ${clusteringId}`,
      {
        hint: 'pass pattern ids of the clustering (noise has no heatmap)',
      },
    );
  }
  for (const id of new Set(patternId)) {
    await connection.run('DELETE FROM pattern_heatmaps WHERE clustering_id = $1 AND pattern_id = $2', [
      clusteringId,
      id,
    ]);
  }
  await appendRows(
    connection,
    'pattern_heatmaps',
    {
      run_id: constantInt(clustering.runId),
      clustering_id: constantInt(clusteringId),
      pattern_id: intColumn(patternId),
      input_index: intColumn(inputIndex),
      height: constantInt(height),
      width: constantInt(width),
      values: floatListColumn(values, size),
    },
    patternId.length,
  );
}

/** Which heatmaps of the pattern are stored (none: an empty index). */
export async function readHeatmapIndex(
  connection: DuckDBConnection,
  clusteringId: number,
  patternId: number,
): Promise<HeatmapIndex> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    'SELECT input_index, height, width FROM pattern_heatmaps WHERE clustering_id = $1 AND pattern_id = $2 ORDER BY input_index',
    [clusteringId, patternId],
  );
  const inputIndex = result.int32('input_index');
  const hasMean = inputIndex[0] === MEAN_HEATMAP;
  return {
    hasMean,
    inputIndex: hasMean ? inputIndex.slice(1) : inputIndex,
    height: result.rowCount > 0 ? result.int32('height')[0]! : 0,
    width: result.rowCount > 0 ? result.int32('width')[0]! : 0,
  };
}

/** Every stored heatmap of a clustering (mean: MEAN_HEATMAP), without its values, by pattern then input. */
export async function listHeatmaps(
  connection: DuckDBConnection,
  clusteringId: number,
): Promise<{ patternId: Int32Array; inputIndex: Int32Array; height: Int32Array; width: Int32Array }> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    'SELECT pattern_id, input_index, height, width FROM pattern_heatmaps WHERE clustering_id = $1 ORDER BY pattern_id, input_index',
    [clusteringId],
  );
  return {
    patternId: result.int32('pattern_id'),
    inputIndex: result.int32('input_index'),
    height: result.int32('height'),
    width: result.int32('width'),
  };
}

/**
 * Stored heatmaps of one pattern: all of them, or those of the given input indices (MEAN_HEATMAP for the
 * mean) in that order. NotFoundError names what is missing and how to make it.
 */
export async function readPatternHeatmaps(
  connection: DuckDBConnection,
  clusteringId: number,
  patternId: number,
  inputIndex?: Int32Array,
): Promise<PatternHeatmaps> {
  const clustering = await requireClustering(connection, clusteringId);
  const select =
    'SELECT pattern_id, input_index, height, width, "values" FROM pattern_heatmaps WHERE clustering_id = $1 AND pattern_id = $2';
  const result =
    inputIndex === undefined
      ? await ResultColumns.query(connection, `${select} ORDER BY input_index`, [clusteringId, patternId])
      : await ResultColumns.query(
          connection,
          `${select} AND list_contains($3, input_index) ORDER BY input_index`,
          [clusteringId, patternId, listValue(Array.from(inputIndex))],
          [INTEGER, INTEGER, LIST(INTEGER)],
        );
  const makeIt = `run \`nap heatmaps <store> --run ${clustering.runId} --layer ${JSON.stringify(clustering.layer)} --pattern ${patternId}\``;
  if (result.rowCount === 0) {
    throw new NotFoundError(`pattern ${patternId} of clustering ${clusteringId} has no stored heatmaps`, {
      hint: makeIt,
    });
  }
  const [height, width] = [result.int32('height')[0]!, result.int32('width')[0]!];
  const stored = {
    patternId: result.int32('pattern_id'),
    inputIndex: result.int32('input_index'),
    height,
    width,
    values: result.floatLists('values', height * width),
  };
  if (inputIndex === undefined) return stored;
  const rowOf = new Map(Array.from(stored.inputIndex, (index, row) => [index, row]));
  const missing = Array.from(inputIndex).find((index) => !rowOf.has(index));
  if (missing !== undefined) {
    const what = missing === MEAN_HEATMAP ? 'a mean heatmap' : `a heatmap of input ${missing}`;
    throw new NotFoundError(
      `pattern ${patternId} of clustering ${clusteringId} has no stored ${what.replace(/^a /, '')}`,
      {
        hint: missing === MEAN_HEATMAP ? makeIt : `input ${missing} must be a member of the pattern; then ${makeIt}`,
      },
    );
  }
  const size = height * width;
  const values = new Float32Array(inputIndex.length * size);
  inputIndex.forEach((index, i) => {
    const row = rowOf.get(index)!;
    values.set(stored.values.subarray(row * size, (row + 1) * size), i * size);
  });
  return {
    patternId: new Int32Array(inputIndex.length).fill(patternId),
    inputIndex: Int32Array.from(inputIndex),
    height,
    width,
    values,
  };
}
