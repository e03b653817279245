/**
 * 2-D projections of a layer's inputs (made by src/engine/project-layer.ts), one per layer of a run.
 */
import { blobValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import { bytesOf } from './bulk.js';
import { requireLayer } from './layers.js';
import { asDate, asJson, asNumber, asText, ResultColumns, timestampOf } from './results.js';
import { requireRun } from './runs.js';
import { toJsonText } from './validate.js';

export type ProjectionMethod = 'umap' | 'pca';
export const PROJECTION_METHODS: readonly ProjectionMethod[] = ['umap', 'pca'];

/** A layer's projection as `saveProjection` takes it: point i is input `inputIndex[i]` at (x[i], y[i]). */
export interface ProjectionToSave {
  method: ProjectionMethod;
  /** The parameters it was made with; stored as JSON. */
  params: unknown;
  /** Strictly ascending. */
  inputIndex: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

/** What is stored about a projection, without its points. */
export interface ProjectionRecord {
  runId: number;
  layer: string;
  method: ProjectionMethod;
  params: unknown;
  pointCount: number;
  createdAt: Date;
}

export interface StoredProjection extends ProjectionRecord {
  /** Ascending. */
  inputIndex: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

const TABLE = 'projections';
const RECORD_COLUMNS = 'p.run_id, p.layer, p.method, CAST(p.params AS VARCHAR) AS params, p.point_count, p.created_at';

function toRecord(row: Record<string, DuckDBValue>): ProjectionRecord {
  return {
    runId: asNumber(row.run_id!),
    layer: asText(row.layer!),
    method: asText(row.method!) as ProjectionMethod,
    params: asJson(row.params!),
    pointCount: asNumber(row.point_count!),
    createdAt: asDate(row.created_at!),
  };
}

function requireProjection(layer: string, projection: ProjectionToSave): void {
  const { method, inputIndex, x, y } = projection;
  if (!PROJECTION_METHODS.includes(method)) {
    throw new InputError(`projection method ${JSON.stringify(method)} of layer ${JSON.stringify(layer)} is unknown`, {
      hint: `use one of ${PROJECTION_METHODS.join(', ')}`,
    });
  }
  if (x.length !== inputIndex.length || y.length !== inputIndex.length) {
    throw new InputError(
      `projection of layer ${JSON.stringify(layer)} has ${inputIndex.length} input indices, ${x.length} x and ${y.length} y values`,
      {
        hint: 'pass one x and one y per input index',
      },
    );
  }
  for (let i = 0; i < inputIndex.length; i++) {
    if (inputIndex[i]! < 0 || (i > 0 && inputIndex[i]! <= inputIndex[i - 1]!)) {
      throw new InputError(
        `projection of layer ${JSON.stringify(layer)}: input index ${inputIndex[i]} at row ${i} is negative or not above the row before`,
        {
          hint: 'pass the input indices in strictly ascending order, as readActivations returns them',
        },
      );
    }
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) {
      throw new InputError(
        `projection of layer ${JSON.stringify(layer)}: input ${inputIndex[i]} is at (${x[i]}, ${y[i]})`,
        { hint: 'store finite coordinates only' },
      );
    }
  }
}

/** Stores a layer's projection, replacing the one stored before. Call inside a transaction. */
export async function saveProjection(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  projection: ProjectionToSave,
): Promise<void> {
  await requireLayer(connection, runId, layer);
  requireProjection(layer, projection);
  const params = toJsonText('projection params', projection.params);
  await connection.run(`DELETE FROM ${TABLE} WHERE run_id = $1 AND layer = $2`, [runId, layer]);
  // One row of three byte columns: a single INSERT with bound parameters.
  await connection.run(
    `INSERT INTO ${TABLE} (run_id, layer, method, params, point_count, input_index, x, y, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      runId,
      layer,
      projection.method,
      params,
      projection.inputIndex.length,
      blobValue(bytesOf(projection.inputIndex)),
      blobValue(bytesOf(projection.x)),
      blobValue(bytesOf(projection.y)),
      timestampOf(new Date()),
    ],
  );
}

/** The run's stored projections without their points, in model layer order. */
export async function listProjections(connection: DuckDBConnection, runId: number): Promise<ProjectionRecord[]> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `SELECT ${RECORD_COLUMNS} FROM ${TABLE} p JOIN layers l ON l.run_id = p.run_id AND l.layer = p.layer
     WHERE p.run_id = $1 ORDER BY l.layer_order, p.layer`,
    [runId],
  );
  return result.rows().map(toRecord);
}

/** The layer's projection with its points, or null when none is stored; NotFoundError for an unknown run or layer. */
export async function readProjection(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
): Promise<StoredProjection | null> {
  await requireLayer(connection, runId, layer);
  const result = await ResultColumns.query(
    connection,
    `SELECT ${RECORD_COLUMNS}, p.input_index, p.x, p.y FROM ${TABLE} p WHERE p.run_id = $1 AND p.layer = $2`,
    [runId, layer],
  );
  const [row] = result.rows();
  if (row === undefined) return null;
  const record = toRecord(row);
  // concatenatedBlobs copies into fresh buffers, so the typed views are aligned.
  const index = result.concatenatedBlobs('input_index');
  const x = result.concatenatedBlobs('x');
  const y = result.concatenatedBlobs('y');
  const expected = record.pointCount * 4;
  if (index.length !== expected || x.length !== expected || y.length !== expected) {
    throw new Error(
      `projection of layer '${layer}' of run ${runId} holds ${index.length}, ${x.length} and ${y.length} bytes for ${record.pointCount} points`,
    );
  }
  return {
    ...record,
    inputIndex: new Int32Array(index.buffer, 0, record.pointCount),
    x: new Float32Array(x.buffer, 0, record.pointCount),
    y: new Float32Array(y.buffer, 0, record.pointCount),
  };
}
