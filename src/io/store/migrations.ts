/**
 * Schema migrations: each step brings a store from the version before it to its own version (see the top
 * of schema.ts for how to add one). `migrateSchema` runs every step a store lacks in ONE transaction, so a
 * migration killed at any point leaves the store at its old version (and the next open starts again), and
 * records each step in schema_history.
 *
 * Steps are history: a released step is never edited, since stores in the wild went through it. Each one
 * freezes the DDL it needs instead of borrowing SCHEMA_DDL, which describes only the newest version.
 */
import { DuckDBTimestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { napVersion } from '../../version.js';
import { appendRows, blobRowsColumn, bytesOf, constantBlob, constantInt, textColumn } from './bulk.js';
import { ResultColumns } from './results.js';
import {
  SCHEMA_VERSION,
  SHIFTED_PROBABILITIES_DDL,
  TRIAGE_DDL,
  TRIAGE_OUTLIER_DDL,
  TRIAGE_PROBE_DDL,
} from './schema.js';
import { inTransaction } from './transaction.js';

/** What a step sees of the store it migrates: the connection (inside the transaction) and its tables. */
export interface MigrationContext {
  readonly connection: DuckDBConnection;
  /** Names of the tables in the store now (steps before this one included). */
  tables(): Promise<Set<string>>;
  /** Column names of a table, in order. */
  columns(table: string): Promise<string[]>;
}

export interface MigrationStep {
  /** The schema version this step produces from `version - 1`. */
  readonly version: number;
  /** What changed, one line; recorded in schema_history. */
  readonly summary: string;
  up(context: MigrationContext): Promise<void>;
}

/**
 * Version 1 stores come in three shapes, all labelled 1: the first had no staging tables, the second
 * staged one FLOAT[] row per input, the third added the concept flow tables.
 */
const toVersion2: MigrationStep = {
  version: 2,
  summary: 'staged activations as one BLOB row per layer and committed batch; concept flow tables',
  async up(context) {
    const { connection } = context;
    const tables = await context.tables();
    if (!tables.has('staged_batches')) {
      await connection.run(`CREATE TABLE staged_batches (
        run_id INTEGER NOT NULL,
        batch_start INTEGER NOT NULL,
        batch_count INTEGER NOT NULL,
        PRIMARY KEY (run_id, batch_start)
      )`);
    }
    const rowsPerInput = tables.has('staged_activations');
    if (rowsPerInput) await connection.run('ALTER TABLE staged_activations RENAME TO staged_activations_v1');
    await connection.run(`CREATE TABLE staged_activations (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      batch_start INTEGER NOT NULL,
      input_index BLOB NOT NULL,
      "values" BLOB NOT NULL,
      unit_max BLOB NOT NULL,
      PRIMARY KEY (run_id, layer, batch_start)
    )`);
    if (rowsPerInput) {
      await restageByBatch(connection);
      await connection.run('DROP TABLE staged_activations_v1');
    }
    await connection.run(`CREATE TABLE IF NOT EXISTS flow_pairs (
      run_id INTEGER NOT NULL,
      clustering_a INTEGER NOT NULL,
      clustering_b INTEGER NOT NULL,
      layer_a VARCHAR NOT NULL,
      layer_b VARCHAR NOT NULL,
      inputs INTEGER NOT NULL,
      created_at TIMESTAMP NOT NULL,
      PRIMARY KEY (clustering_a, clustering_b)
    )`);
    await connection.run(`CREATE TABLE IF NOT EXISTS flow_cells (
      run_id INTEGER NOT NULL,
      clustering_a INTEGER NOT NULL,
      clustering_b INTEGER NOT NULL,
      pattern_a INTEGER NOT NULL,
      pattern_b INTEGER NOT NULL,
      count INTEGER NOT NULL,
      jaccard DOUBLE NOT NULL,
      PRIMARY KEY (clustering_a, clustering_b, pattern_a, pattern_b)
    )`);
  },
};

/**
 * Version 1 staged one row per input of a committed batch; version 2 stores one row per layer and batch
 * with the batch's input indices, values and maxima as little-endian bytes. The rows of an interrupted
 * extraction are regrouped by the committed batch they belong to, so the run still resumes.
 */
async function restageByBatch(connection: DuckDBConnection): Promise<void> {
  const batches = await ResultColumns.query(
    connection,
    'SELECT run_id, batch_start, batch_count FROM staged_batches ORDER BY run_id, batch_start',
  );
  const batchRun = batches.int32('run_id');
  const batchStart = batches.int32('batch_start');
  const batchCount = batches.int32('batch_count');
  const layers = await ResultColumns.query(
    connection,
    'SELECT DISTINCT run_id, layer FROM staged_activations_v1 ORDER BY run_id, layer',
  );
  const layerRun = layers.int32('run_id');
  const layerName = layers.text('layer');
  for (let l = 0; l < layerRun.length; l++) {
    const runId = layerRun[l]!;
    const layer = layerName[l]!;
    const rows = await ResultColumns.query(
      connection,
      `SELECT input_index, "values", unit_max, len("values") AS dim, len(unit_max) AS units
       FROM staged_activations_v1 WHERE run_id = $1 AND layer = $2 ORDER BY input_index`,
      [runId, layer],
    );
    if (rows.rowCount === 0) continue;
    const inputIndex = rows.int32('input_index');
    const dim = rows.int32('dim')[0]!;
    const units = rows.int32('units')[0]!;
    const values = rows.floatLists('values', dim);
    const unitMax = rows.floatLists('unit_max', units);
    // Rows outside every committed batch are kept as well: the raw maps of unit patterns stay staged after
    // the run completes (and its batch list is cleared). They are grouped by the gap between batches they
    // fall in, under their first input index, which no batch can start at.
    const batchOf = (index: number): number => {
      for (let b = 0; b < batchRun.length; b++) {
        if (batchRun[b] === runId && index >= batchStart[b]! && index < batchStart[b]! + batchCount[b]!) return b;
      }
      return -1 - batchRun.filter((run, b) => run === runId && batchStart[b]! < index).length;
    };
    for (let first = 0; first < inputIndex.length;) {
      const group = batchOf(inputIndex[first]!);
      let end = first + 1;
      while (end < inputIndex.length && batchOf(inputIndex[end]!) === group) end++;
      await appendRows(
        connection,
        'staged_activations',
        {
          run_id: constantInt(runId),
          layer: textColumn([layer]),
          batch_start: constantInt(group >= 0 ? batchStart[group]! : inputIndex[first]!),
          input_index: constantBlob(bytesOf(inputIndex.slice(first, end))),
          values: blobRowsColumn([bytesOf(values.slice(first * dim, end * dim))]),
          unit_max: blobRowsColumn([bytesOf(unitMax.slice(first * units, end * units))]),
        },
        1,
      );
      first = end;
    }
  }
}

const toVersion3: MigrationStep = {
  version: 3,
  summary: 'layer normalization divisors and pattern heatmaps',
  async up({ connection }) {
    await connection.run(`CREATE TABLE layer_divisors (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      divisors FLOAT[] NOT NULL,
      PRIMARY KEY (run_id, layer)
    )`);
    await connection.run(`CREATE TABLE pattern_heatmaps (
      run_id INTEGER NOT NULL,
      clustering_id INTEGER NOT NULL,
      pattern_id INTEGER NOT NULL,
      input_index INTEGER NOT NULL,
      height INTEGER NOT NULL,
      width INTEGER NOT NULL,
      "values" FLOAT[] NOT NULL,
      PRIMARY KEY (clustering_id, pattern_id, input_index)
    )`);
  },
};

/** Version 3 stores may or may not have the projections table (it came without a version bump). */
const toVersion4: MigrationStep = {
  version: 4,
  summary: 'projections table in every store; schema history',
  async up({ connection }) {
    await connection.run(`CREATE TABLE IF NOT EXISTS projections (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      method VARCHAR NOT NULL CHECK (method IN ('umap', 'pca')),
      params JSON NOT NULL,
      point_count INTEGER NOT NULL,
      input_index BLOB NOT NULL,
      x BLOB NOT NULL,
      y BLOB NOT NULL,
      created_at TIMESTAMP NOT NULL,
      PRIMARY KEY (run_id, layer)
    )`);
    await connection.run(`CREATE TABLE schema_history (
      version INTEGER NOT NULL,
      applied_at TIMESTAMP NOT NULL,
      action VARCHAR NOT NULL CHECK (action IN ('created', 'migrated')),
      nap_version VARCHAR NOT NULL,
      summary VARCHAR NOT NULL
    )`);
  },
};

/** Runs extracted before version 5 kept no probability vectors or digests: their triage reads none. */
const toVersion5: MigrationStep = {
  version: 5,
  summary: 'input_details: every input class-probability vector and input digest, for triage',
  async up({ connection }) {
    await connection.run(`CREATE TABLE input_details (
      run_id INTEGER NOT NULL,
      input_index INTEGER NOT NULL,
      probabilities FLOAT[],
      digest VARCHAR NOT NULL,
      PRIMARY KEY (run_id, input_index)
    )`);
  },
};

const toVersion6: MigrationStep = {
  version: 6,
  summary: 'feature visualizations',
  async up({ connection }) {
    await connection.run(`CREATE TABLE feature_visualizations (
    run_id INTEGER NOT NULL,
    layer VARCHAR NOT NULL,
    objective VARCHAR NOT NULL CHECK (objective IN ('unit', 'channel', 'pattern', 'pattern_contrast')),
    target INTEGER NOT NULL,                     -- the unit, or the pattern id
    position INTEGER NOT NULL,                   -- channel: spatial position (row-major); -1 otherwise
    clustering_id INTEGER,                       -- the patterns' clustering; NULL for unit objectives
    image_index INTEGER NOT NULL,                -- 0..images-1: diverse images of one objective
    contrast_pattern INTEGER,                    -- pattern_contrast: the nearest other pattern, subtracted
    params JSON NOT NULL,
    params_hash VARCHAR NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    pixels BLOB NOT NULL,                        -- height x width x channels uint8, row-major, interleaved
    value DOUBLE NOT NULL,                       -- the objective the stored image reaches
    dataset_max DOUBLE,                          -- the best value over the run's inputs; NULL: unknown
    created_at TIMESTAMP NOT NULL                -- UTC
    )`);
  },
};

/**
 * Clusterings made before version 7 keep no tree, soft memberships or space: `nap recluster --rebuild-tree`
 * adds a layer clustering's tree from the stored activations (see src/engine/recluster.ts).
 */
const toVersion7: MigrationStep = {
  version: 7,
  summary: 'single-linkage trees, soft memberships and cluster spaces of clusterings',
  async up({ connection }) {
    await connection.run(`CREATE TABLE linkage_trees (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      clustering_id INTEGER NOT NULL,
      point_count INTEGER NOT NULL,
      min_samples INTEGER NOT NULL,
      "left" BLOB NOT NULL,
      "right" BLOB NOT NULL,
      distance BLOB NOT NULL,
      PRIMARY KEY (clustering_id)
    )`);
    await connection.run(`CREATE TABLE soft_memberships (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      clustering_id INTEGER NOT NULL,
      input_index INTEGER NOT NULL,
      rank INTEGER NOT NULL,
      pattern_id INTEGER NOT NULL,
      strength FLOAT NOT NULL,
      PRIMARY KEY (clustering_id, input_index, rank)
    )`);
    await connection.run(`CREATE TABLE cluster_spaces (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      space VARCHAR NOT NULL,
      params JSON NOT NULL,
      point_count INTEGER NOT NULL,
      dim INTEGER NOT NULL,
      input_index BLOB NOT NULL,
      "values" BLOB NOT NULL,
      created_at TIMESTAMP NOT NULL,
      PRIMARY KEY (run_id, layer, space)
    )`);
  },
};

const toVersion8: MigrationStep = {
  version: 8,
  summary: 'saved triage scores',
  async up({ connection }) {
    for (const ddl of TRIAGE_DDL) await connection.run(ddl);
  },
};

/** Runs extracted before version 9 have no layer layouts (their layers were aggregated as maps or flat) and no
 *  gallery contents (they were image runs). */
const toVersion9: MigrationStep = {
  version: 9,
  summary: 'layer_layouts (token, spatial or flat, prefix tokens, grid) and input_contents (text, numbers, image path)',
  async up({ connection }) {
    await connection.run(`CREATE TABLE layer_layouts (
      run_id INTEGER NOT NULL,
      layer VARCHAR NOT NULL,
      layout VARCHAR NOT NULL CHECK (layout IN ('tokens', 'spatial', 'flat')),
      channel_order VARCHAR NOT NULL CHECK (channel_order IN ('channels-first', 'channels-last')),
      units INTEGER NOT NULL,
      positions INTEGER NOT NULL,
      prefix_tokens INTEGER NOT NULL,
      grid_height INTEGER,
      grid_width INTEGER,
      PRIMARY KEY (run_id, layer)
    )`);
    await connection.run(`CREATE TABLE input_contents (
      run_id INTEGER NOT NULL,
      input_index INTEGER NOT NULL,
      text VARCHAR,
      series BLOB,
      image_path VARCHAR,
      PRIMARY KEY (run_id, input_index)
    )`);
  },
};

/** A triage saved before version 10 has no outliers or duplicates: the read side names `nap triage --save`. */
const toVersion10: MigrationStep = {
  version: 10,
  summary: 'saved triage outliers (kNN distance, GLOSH) and duplicates (same input, same activations, near)',
  async up({ connection }) {
    for (const ddl of TRIAGE_OUTLIER_DDL) await connection.run(ddl);
  },
};

/** A triage saved before version 11 has no linear probe score: it reads NaN until `nap triage --save` again. */
const toVersion11: MigrationStep = {
  version: 11,
  summary: "saved triage's linear probe score (out-of-fold p(given label)) per input",
  async up({ connection }) {
    for (const ddl of TRIAGE_PROBE_DDL) await connection.run(ddl);
  },
};

/** Runs analyzed before version 12 have no shifted probabilities: triage reads the model's plain ones. */
const toVersion12: MigrationStep = {
  version: 12,
  summary: 'shifted_probabilities: class probabilities over test-time shifts of image inputs, for triage',
  async up({ connection }) {
    await connection.run(SHIFTED_PROBABILITIES_DDL);
  },
};

/** Every step, oldest first; the last one's version is SCHEMA_VERSION. */
export const MIGRATIONS: readonly MigrationStep[] = [
  toVersion2,
  toVersion3,
  toVersion4,
  toVersion5,
  toVersion6,
  toVersion7,
  toVersion8,
  toVersion9,
  toVersion10,
  toVersion11,
  toVersion12,
];

/** One row of schema_history. */
export interface SchemaHistoryEntry {
  version: number;
  appliedAt: Date;
  action: 'created' | 'migrated';
  napVersion: string;
  summary: string;
}

function context(connection: DuckDBConnection): MigrationContext {
  return {
    connection,
    async tables() {
      const result = await ResultColumns.query(
        connection,
        `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`,
      );
      return new Set(result.text('table_name').map(String));
    },
    async columns(table) {
      const result = await ResultColumns.query(
        connection,
        `SELECT column_name FROM duckdb_columns()
         WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 ORDER BY column_index`,
        [table],
      );
      return result.text('column_name').map(String);
    },
  };
}

function now(): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
}

/** Records the current version in a store whose schema was just created or migrated (inside its transaction). */
export async function recordVersion(
  connection: DuckDBConnection,
  entries: readonly Omit<SchemaHistoryEntry, 'appliedAt' | 'napVersion'>[],
): Promise<void> {
  await connection.run('DELETE FROM schema_version');
  await connection.run('INSERT INTO schema_version VALUES ($1)', [SCHEMA_VERSION]);
  for (const entry of entries) {
    await connection.run('INSERT INTO schema_history VALUES ($1, $2, $3, $4, $5)', [
      entry.version,
      now(),
      entry.action,
      napVersion(),
      entry.summary,
    ]);
  }
}

export interface MigrateSchemaOptions {
  /** Called after each step, inside the transaction (tests use it to kill the process half way). */
  afterStep?: (step: MigrationStep) => void | Promise<void>;
}

/**
 * Runs the steps from version `from` to SCHEMA_VERSION on `connection`, which must not be in a
 * transaction: all of them and the history commit together, or none does.
 */
export async function migrateSchema(
  connection: DuckDBConnection,
  from: number,
  options: MigrateSchemaOptions = {},
): Promise<MigrationStep[]> {
  const steps = MIGRATIONS.filter((step) => step.version > from);
  if (steps.at(-1)?.version !== SCHEMA_VERSION || steps.some((step, i) => step.version !== from + 1 + i)) {
    throw new Error(`no migration path from schema version ${from} to ${SCHEMA_VERSION}`);
  }
  await inTransaction(connection, async () => {
    const view = context(connection);
    for (const step of steps) {
      await step.up(view);
      await options.afterStep?.(step);
    }
    await recordVersion(
      connection,
      steps.map((step) => ({
        version: step.version,
        action: 'migrated' as const,
        summary: `from version ${step.version - 1}: ${step.summary}`,
      })),
    );
  });
  return steps;
}

/** The store's schema history, oldest first (empty for a store that was never migrated or created with it). */
export async function readSchemaHistory(connection: DuckDBConnection): Promise<SchemaHistoryEntry[]> {
  const result = await ResultColumns.query(
    connection,
    'SELECT version, applied_at, action, nap_version, summary FROM schema_history ORDER BY applied_at, version',
  );
  return result.rows().map((row) => ({
    version: Number(row.version),
    appliedAt: new Date(Number((row.applied_at as DuckDBTimestampValue).micros / 1000n)),
    action: String(row.action) as SchemaHistoryEntry['action'],
    napVersion: String(row.nap_version),
    summary: String(row.summary),
  }));
}
