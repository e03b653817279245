/** Runs: one analysis of one model on one dataset. */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { InputError, NotFoundError } from '../../errors.js';
import { asDate, asJson, asNumber, asText, ResultColumns, timestampOf, type Params } from './results.js';
import { RUN_TABLES } from './schema.js';
import { RUN_STATUSES, type NewRun, type RunRecord, type StoredRunStatus } from './types.js';
import { requireId, requireName, toJsonText } from './validate.js';

const RUN_SELECT = `SELECT run_id, name, created_at, status, model_path, model_sha256, model_layout, dataset_spec,
  dataset_fingerprint, extraction_config_hash, CAST(config AS VARCHAR) AS config,
  CAST(prediction_labels AS VARCHAR) AS prediction_labels FROM runs`;

function toRunRecord(row: Record<string, DuckDBValue>): RunRecord {
  return {
    runId: asNumber(row.run_id!),
    name: asText(row.name!),
    createdAt: asDate(row.created_at!),
    status: asText(row.status!) as StoredRunStatus,
    modelPath: asText(row.model_path!),
    modelSha256: asText(row.model_sha256!),
    modelLayout: asText(row.model_layout!),
    datasetSpec: asText(row.dataset_spec!),
    datasetFingerprint: asText(row.dataset_fingerprint!),
    extractionConfigHash: asText(row.extraction_config_hash!),
    config: asJson(row.config!),
    predictionLabels: asJson(row.prediction_labels!) as string[] | null,
  };
}

async function selectRuns(connection: DuckDBConnection, where: string, params: Params): Promise<RunRecord[]> {
  const result = await ResultColumns.query(connection, `${RUN_SELECT} ${where}`, params);
  return result.rows().map(toRunRecord);
}

function requireStatus(status: StoredRunStatus): void {
  if (!RUN_STATUSES.includes(status)) {
    throw new InputError(`run status ${JSON.stringify(status)} is unknown`, {
      hint: `use one of ${RUN_STATUSES.join(', ')}`,
    });
  }
}

export async function insertRun(connection: DuckDBConnection, run: NewRun): Promise<number> {
  requireName('run name', run.name);
  const labels = run.predictionLabels === null ? null : toJsonText('prediction labels', run.predictionLabels);
  const result = await ResultColumns.query(
    connection,
    `INSERT INTO runs (name, created_at, status, model_path, model_sha256, model_layout, dataset_spec,
       dataset_fingerprint, extraction_config_hash, config, prediction_labels)
     VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, $10) RETURNING run_id`,
    [
      run.name,
      timestampOf(new Date()),
      run.modelPath,
      run.modelSha256,
      run.modelLayout,
      run.datasetSpec,
      run.datasetFingerprint,
      run.extractionConfigHash,
      toJsonText('run config', run.config),
      labels,
    ],
  );
  return result.int32('run_id')[0]!;
}

export async function requireRun(connection: DuckDBConnection, runId: number): Promise<RunRecord> {
  requireId('run id', runId);
  const [run] = await selectRuns(connection, 'WHERE run_id = $1', [runId]);
  if (run === undefined) {
    throw new NotFoundError(`run ${runId} does not exist`, {
      hint: 'list the runs of the store to pick an existing one',
    });
  }
  return run;
}

export async function updateRunStatus(
  connection: DuckDBConnection,
  runId: number,
  status: StoredRunStatus,
): Promise<void> {
  requireStatus(status);
  await requireRun(connection, runId);
  await connection.run('UPDATE runs SET status = $1 WHERE run_id = $2', [status, runId]);
}

export function listRuns(connection: DuckDBConnection): Promise<RunRecord[]> {
  return selectRuns(connection, 'ORDER BY run_id', []);
}

/** The newest complete run of this model on this dataset with these extraction settings, or null. */
export async function findCompleteRun(
  connection: DuckDBConnection,
  modelSha256: string,
  datasetFingerprint: string,
  extractionConfigHash: string,
): Promise<RunRecord | null> {
  const [run] = await selectRuns(
    connection,
    `WHERE status = 'complete' AND model_sha256 = $1 AND dataset_fingerprint = $2 AND extraction_config_hash = $3
     ORDER BY run_id DESC LIMIT 1`,
    [modelSha256, datasetFingerprint, extractionConfigHash],
  );
  return run ?? null;
}

/** The newest run of this model, dataset and extraction config that started but never completed, or null. */
export async function findUnfinishedRun(
  connection: DuckDBConnection,
  modelSha256: string,
  datasetFingerprint: string,
  extractionConfigHash: string,
): Promise<RunRecord | null> {
  const [run] = await selectRuns(
    connection,
    `WHERE status IN ('running', 'failed') AND model_sha256 = $1 AND dataset_fingerprint = $2 AND extraction_config_hash = $3
     ORDER BY run_id DESC LIMIT 1`,
    [modelSha256, datasetFingerprint, extractionConfigHash],
  );
  return run ?? null;
}

export async function deleteRun(connection: DuckDBConnection, runId: number): Promise<void> {
  await requireRun(connection, runId);
  for (const table of RUN_TABLES) await connection.run(`DELETE FROM ${table} WHERE run_id = $1`, [runId]);
}
