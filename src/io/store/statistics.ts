/** Per-unit box-plot statistics (layer-wide or per pattern) and the top-activating inputs. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import { appendRows, constantInt, constantText, doubleColumn, intColumn } from './bulk.js';
import { requireClustering } from './clusterings.js';
import { requireLayer } from './layers.js';
import { ResultColumns } from './results.js';
import type {
  MaxActivationColumns,
  StatsScope,
  StoredMaxActivations,
  StoredUnitStats,
  UnitStatsToSave,
} from './types.js';
import { requireLengths } from './validate.js';

interface ResolvedScope {
  runId: number;
  layer: string;
  /** null for a layer scope */
  clusteringId: number | null;
  patternCount: number;
}

async function resolveScope(connection: DuckDBConnection, scope: StatsScope): Promise<ResolvedScope> {
  if ('clusteringId' in scope) {
    const clustering = await requireClustering(connection, scope.clusteringId);
    return {
      runId: clustering.runId,
      layer: clustering.layer,
      clusteringId: clustering.clusteringId,
      patternCount: clustering.patternCount,
    };
  }
  await requireLayer(connection, scope.runId, scope.layer);
  return { runId: scope.runId, layer: scope.layer, clusteringId: null, patternCount: 0 };
}

function requirePatternIds(patternId: Int32Array, scope: ResolvedScope): void {
  const bad = patternId.find((id) => id < -1 || id >= scope.patternCount);
  if (bad !== undefined) {
    throw new InputError(
      `unit stats name pattern ${bad}, outside -1..${scope.patternCount - 1} of clustering ${scope.clusteringId}`,
      {
        hint: 'pass pattern ids of the clustering (-1 for noise)',
      },
    );
  }
}

/** Replaces the statistics of the scope. Call inside a transaction. */
export async function saveUnitStats(
  connection: DuckDBConnection,
  scope: StatsScope,
  stats: UnitStatsToSave,
): Promise<void> {
  const resolved = await resolveScope(connection, scope);
  const count = stats.unit.length;
  const { min, max, mean, q1, q3, iqr, lower, upper } = stats;
  requireLengths('unit stats', count, { min, max, mean, q1, q3, iqr, lower, upper });
  let patternId: Int32Array | null = null;
  if (resolved.clusteringId === null) {
    if (stats.patternId !== undefined) {
      throw new InputError('layer-wide unit stats were given pattern ids', {
        hint: 'omit patternId, or save per-pattern stats with a { clusteringId } scope',
      });
    }
    await connection.run('DELETE FROM unit_stats WHERE run_id = $1 AND layer = $2 AND clustering_id IS NULL', [
      resolved.runId,
      resolved.layer,
    ]);
  } else {
    if (stats.patternId === undefined) {
      throw new InputError(`unit stats of clustering ${resolved.clusteringId} lack pattern ids`, {
        hint: 'pass patternId, one per row',
      });
    }
    patternId = stats.patternId;
    requireLengths('unit stats', count, { patternId });
    requirePatternIds(patternId, resolved);
    await connection.run('DELETE FROM unit_stats WHERE clustering_id = $1', [resolved.clusteringId]);
  }
  await appendRows(
    connection,
    'unit_stats',
    {
      run_id: constantInt(resolved.runId),
      layer: constantText(resolved.layer),
      clustering_id: constantInt(resolved.clusteringId),
      pattern_id: patternId === null ? constantInt(null) : intColumn(patternId),
      unit: intColumn(stats.unit),
      min: doubleColumn(min),
      max: doubleColumn(max),
      mean: doubleColumn(mean),
      q1: doubleColumn(q1),
      q3: doubleColumn(q3),
      iqr: doubleColumn(iqr),
      lower: doubleColumn(lower),
      upper: doubleColumn(upper),
    },
    count,
  );
}

/** Statistics of the scope (of one pattern when `patternId` is given), by pattern then unit. */
export async function readUnitStats(
  connection: DuckDBConnection,
  scope: StatsScope,
  patternId?: number,
): Promise<StoredUnitStats> {
  const resolved = await resolveScope(connection, scope);
  const columns = 'SELECT pattern_id, unit, min, max, mean, q1, q3, iqr, lower, upper FROM unit_stats';
  let result: ResultColumns;
  if (resolved.clusteringId === null) {
    if (patternId !== undefined) {
      throw new InputError(`layer-wide unit stats have no pattern ${patternId}`, {
        hint: 'read per-pattern stats with a { clusteringId } scope',
      });
    }
    result = await ResultColumns.query(
      connection,
      `${columns} WHERE run_id = $1 AND layer = $2 AND clustering_id IS NULL ORDER BY unit`,
      [resolved.runId, resolved.layer],
    );
  } else if (patternId === undefined) {
    result = await ResultColumns.query(connection, `${columns} WHERE clustering_id = $1 ORDER BY pattern_id, unit`, [
      resolved.clusteringId,
    ]);
  } else {
    result = await ResultColumns.query(
      connection,
      `${columns} WHERE clustering_id = $1 AND pattern_id = $2 ORDER BY unit`,
      [resolved.clusteringId, patternId],
    );
  }
  return {
    patternId: resolved.clusteringId === null ? null : result.int32('pattern_id'),
    unit: result.int32('unit'),
    min: result.float64('min'),
    max: result.float64('max'),
    mean: result.float64('mean'),
    q1: result.float64('q1'),
    q3: result.float64('q3'),
    iqr: result.float64('iqr'),
    lower: result.float64('lower'),
    upper: result.float64('upper'),
  };
}

/** Replaces the layer's max activations. Call inside a transaction. */
export async function saveMaxActivations(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  columns: MaxActivationColumns,
): Promise<void> {
  await requireLayer(connection, runId, layer);
  const count = columns.unit.length;
  requireLengths('max activations', count, {
    rank: columns.rank,
    inputIndex: columns.inputIndex,
    value: columns.value,
  });
  await connection.run('DELETE FROM max_activations WHERE run_id = $1 AND layer = $2', [runId, layer]);
  await appendRows(
    connection,
    'max_activations',
    {
      run_id: constantInt(runId),
      layer: constantText(layer),
      unit: intColumn(columns.unit),
      rank: intColumn(columns.rank),
      input_index: intColumn(columns.inputIndex),
      value: doubleColumn(columns.value),
    },
    count,
  );
}

/** The layer's max activations (of one unit when given; -1 is the whole layer), by unit then rank. */
export async function readMaxActivations(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  unit?: number,
): Promise<StoredMaxActivations> {
  await requireLayer(connection, runId, layer);
  const columns = 'SELECT unit, rank, input_index, value FROM max_activations WHERE run_id = $1 AND layer = $2';
  const result =
    unit === undefined
      ? await ResultColumns.query(connection, `${columns} ORDER BY unit, rank`, [runId, layer])
      : await ResultColumns.query(connection, `${columns} AND unit = $3 ORDER BY rank`, [runId, layer, unit]);
  return {
    unit: result.int32('unit'),
    rank: result.int32('rank'),
    inputIndex: result.int32('input_index'),
    value: result.float64('value'),
  };
}
