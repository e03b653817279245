/** The analysed layers of a run. */
import { INTEGER, LIST, listValue, VARCHAR, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { InputError, NotFoundError } from '../../errors.js';
import { asNumber, asNumberList, asText, ResultColumns } from './results.js';
import { requireRun } from './runs.js';
import type { LayerInfo } from './types.js';
import { requireName } from './validate.js';

const LAYER_SELECT = 'SELECT layer, layer_order, op_type, raw_dims, aggregation, dim FROM layers';

function toLayerInfo(row: Record<string, DuckDBValue>): LayerInfo {
  return {
    layer: asText(row.layer!),
    order: asNumber(row.layer_order!),
    opType: asText(row.op_type!),
    rawDims: asNumberList(row.raw_dims!),
    aggregation: asText(row.aggregation!),
    dim: asNumber(row.dim!),
  };
}

function requireLayerInfo(info: LayerInfo): void {
  requireName('layer name', info.layer);
  if (!Number.isInteger(info.order)) {
    throw new InputError(`layer ${info.layer}: order ${info.order} is not an integer`, {
      hint: 'pass the layer position in the model',
    });
  }
  if (!Number.isInteger(info.dim) || info.dim <= 0) {
    throw new InputError(`layer ${info.layer}: dim ${info.dim} is not a positive integer`, {
      hint: 'pass the length of the aggregated activation vectors',
    });
  }
  if (!info.rawDims.every((size) => Number.isInteger(size) && size > 0)) {
    throw new InputError(`layer ${info.layer}: raw dims [${info.rawDims.join(', ')}] are not all positive integers`, {
      hint: 'pass the layer output shape per input',
    });
  }
}

export async function listLayers(connection: DuckDBConnection, runId: number): Promise<LayerInfo[]> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `${LAYER_SELECT} WHERE run_id = $1 ORDER BY layer_order, layer`,
    [runId],
  );
  return result.rows().map(toLayerInfo);
}

export async function requireLayer(connection: DuckDBConnection, runId: number, layer: string): Promise<LayerInfo> {
  const layers = await listLayers(connection, runId);
  const found = layers.find((info) => info.layer === layer);
  if (found === undefined) {
    const names = layers.map((info) => info.layer);
    throw new NotFoundError(`layer ${JSON.stringify(layer)} is not stored in run ${runId}`, {
      hint:
        names.length > 0 ? `stored layers: ${names.join(', ')}` : 'the run has no layers yet; store the layer first',
    });
  }
  return found;
}

export async function appendLayer(connection: DuckDBConnection, runId: number, info: LayerInfo): Promise<void> {
  requireLayerInfo(info);
  const existing = await listLayers(connection, runId);
  if (existing.some((stored) => stored.layer === info.layer)) {
    throw new InputError(`layer ${JSON.stringify(info.layer)} is already stored in run ${runId}`, {
      hint: 'store each layer once per run, or start a new run',
    });
  }
  await connection.run(
    'INSERT INTO layers VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [runId, info.layer, info.order, info.opType, listValue(info.rawDims), info.aggregation, info.dim],
    [INTEGER, VARCHAR, INTEGER, VARCHAR, LIST(INTEGER), VARCHAR, INTEGER],
  );
}
