/**
 * Concept flow between two clusterings of one run: the non-zero cells of their contingency table with the
 * Jaccard index of each cell's two patterns. A pair is stored once; reading it either way round works.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import { appendRows, constantInt, doubleColumn, intColumn } from './bulk.js';
import { requireClustering } from './clusterings.js';
import { asDate, asNumber, asText, ResultColumns, timestampOf } from './results.js';
import { requireRun } from './runs.js';
import type { ClusteringRecord, NumberColumn } from './types.js';
import { requireLengths } from './validate.js';

/** The non-zero cells of the table of clustering A (rows) by clustering B (columns); pattern -1 is noise. */
export interface FlowCells {
  patternA: Int32Array;
  patternB: Int32Array;
  /** Inputs in both patterns; every cell > 0. */
  count: Int32Array;
  /** count / |pattern A ∪ pattern B|. */
  jaccard: NumberColumn;
}

export interface FlowToSave extends FlowCells {
  clusteringA: number;
  clusteringB: number;
}

export interface FlowRecord {
  runId: number;
  clusteringA: number;
  clusteringB: number;
  layerA: string;
  layerB: string;
  /** Inputs in both clusterings: the sum of the cells. */
  inputs: number;
  createdAt: Date;
}

/** A stored flow, oriented as it was asked for. */
export interface StoredFlow extends FlowRecord, FlowCells {
  jaccard: Float64Array;
}

const PAIR_SELECT = 'SELECT run_id, clustering_a, clustering_b, layer_a, layer_b, inputs, created_at FROM flow_pairs';

function toFlowRecord(row: Record<string, DuckDBValue>): FlowRecord {
  return {
    runId: asNumber(row.run_id!),
    clusteringA: asNumber(row.clustering_a!),
    clusteringB: asNumber(row.clustering_b!),
    layerA: asText(row.layer_a!),
    layerB: asText(row.layer_b!),
    inputs: asNumber(row.inputs!),
    createdAt: asDate(row.created_at!),
  };
}

/** Refuses, with a clear message, a store written before the flow tables were part of the schema. */
async function requireFlowTables(connection: DuckDBConnection): Promise<void> {
  const result = await ResultColumns.query(
    connection,
    `SELECT CAST(count(*) AS INTEGER) AS found FROM duckdb_tables()
     WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN ('flow_pairs', 'flow_cells')`,
  );
  if (result.int32('found')[0] !== 2) {
    throw new InputError('this store was written before concept flows were stored and has no flow tables', {
      hint: 'run the analysis again into a new store',
    });
  }
}

function requireCells(flow: FlowToSave, a: ClusteringRecord, b: ClusteringRecord): number {
  requireLengths('flow cells', flow.count.length, {
    patternA: flow.patternA,
    patternB: flow.patternB,
    jaccard: flow.jaccard,
  });
  let inputs = 0;
  for (let k = 0; k < flow.count.length; k++) {
    const patternA = flow.patternA[k]!;
    const patternB = flow.patternB[k]!;
    const count = flow.count[k]!;
    const jaccard = flow.jaccard[k]!;
    if (patternA < -1 || patternA >= a.patternCount || patternB < -1 || patternB >= b.patternCount) {
      throw new InputError(
        `flow cell ${k} joins patterns ${patternA} and ${patternB}, outside -1..${a.patternCount - 1} and -1..${b.patternCount - 1}`,
        {
          hint: 'cells name patterns of the two clusterings, or -1 for noise',
        },
      );
    }
    if (!(count > 0) || !(jaccard >= 0 && jaccard <= 1)) {
      throw new InputError(`flow cell ${k} has count ${count} and Jaccard ${jaccard}`, {
        hint: 'store non-zero cells only, with a Jaccard index in [0, 1]',
      });
    }
    inputs += count;
  }
  return inputs;
}

/** Stores (or replaces) the flow between two clusterings of one run. Call inside a transaction. */
export async function saveFlow(connection: DuckDBConnection, flow: FlowToSave): Promise<FlowRecord> {
  await requireFlowTables(connection);
  const a = await requireClustering(connection, flow.clusteringA);
  const b = await requireClustering(connection, flow.clusteringB);
  if (a.runId !== b.runId) {
    throw new InputError(
      `clusterings ${a.clusteringId} and ${b.clusteringId} belong to runs ${a.runId} and ${b.runId}`,
      {
        hint: 'a stored flow joins two clusterings of one run; compare runs with nap compare',
      },
    );
  }
  if (a.clusteringId === b.clusteringId) {
    throw new InputError(`flow of clustering ${a.clusteringId} with itself`, {
      hint: 'pass two different clusterings',
    });
  }
  const inputs = requireCells(flow, a, b);
  await connection.run(
    `DELETE FROM flow_cells WHERE (clustering_a = $1 AND clustering_b = $2) OR (clustering_a = $2 AND clustering_b = $1)`,
    [a.clusteringId, b.clusteringId],
  );
  await connection.run(
    `DELETE FROM flow_pairs WHERE (clustering_a = $1 AND clustering_b = $2) OR (clustering_a = $2 AND clustering_b = $1)`,
    [a.clusteringId, b.clusteringId],
  );
  const createdAt = new Date();
  await connection.run('INSERT INTO flow_pairs VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    a.runId,
    a.clusteringId,
    b.clusteringId,
    a.layer,
    b.layer,
    inputs,
    timestampOf(createdAt),
  ]);
  await appendRows(
    connection,
    'flow_cells',
    {
      run_id: constantInt(a.runId),
      clustering_a: constantInt(a.clusteringId),
      clustering_b: constantInt(b.clusteringId),
      pattern_a: intColumn(flow.patternA),
      pattern_b: intColumn(flow.patternB),
      count: intColumn(flow.count),
      jaccard: doubleColumn(flow.jaccard),
    },
    flow.count.length,
  );
  return {
    runId: a.runId,
    clusteringA: a.clusteringId,
    clusteringB: b.clusteringId,
    layerA: a.layer,
    layerB: b.layer,
    inputs,
    createdAt,
  };
}

/** The stored flows of a run, as stored (A, B), by clustering ids. */
export async function listFlows(connection: DuckDBConnection, runId: number): Promise<FlowRecord[]> {
  await requireFlowTables(connection);
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `${PAIR_SELECT} WHERE run_id = $1 ORDER BY clustering_a, clustering_b`,
    [runId],
  );
  return result.rows().map(toFlowRecord);
}

/** The flow from clustering A to clustering B (cells by pattern of A, then of B), or null when none is stored. */
export async function readFlow(
  connection: DuckDBConnection,
  clusteringA: number,
  clusteringB: number,
): Promise<StoredFlow | null> {
  await requireFlowTables(connection);
  await requireClustering(connection, clusteringA);
  await requireClustering(connection, clusteringB);
  const pairs = await ResultColumns.query(
    connection,
    `${PAIR_SELECT} WHERE (clustering_a = $1 AND clustering_b = $2) OR (clustering_a = $2 AND clustering_b = $1)`,
    [clusteringA, clusteringB],
  );
  const [stored] = pairs.rows().map(toFlowRecord);
  if (stored === undefined) return null;
  const reversed = stored.clusteringA !== clusteringA;
  const [mine, theirs] = reversed ? ['pattern_b', 'pattern_a'] : ['pattern_a', 'pattern_b'];
  const cells = await ResultColumns.query(
    connection,
    `SELECT ${mine} AS mine, ${theirs} AS theirs, count, jaccard FROM flow_cells
     WHERE clustering_a = $1 AND clustering_b = $2 ORDER BY mine, theirs`,
    [stored.clusteringA, stored.clusteringB],
  );
  const record: FlowRecord = reversed
    ? {
        ...stored,
        clusteringA: stored.clusteringB,
        clusteringB: stored.clusteringA,
        layerA: stored.layerB,
        layerB: stored.layerA,
      }
    : stored;
  return {
    ...record,
    patternA: cells.int32('mine'),
    patternB: cells.int32('theirs'),
    count: cells.int32('count'),
    jaccard: cells.float64('jaccard'),
  };
}
