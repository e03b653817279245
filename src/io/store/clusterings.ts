/** HDBSCAN* results: one clustering row, its patterns, every input's membership and the condensed tree. */
import { INTEGER, LIST, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { InputError, NotFoundError } from '../../errors.js';
import { appendRows, constantInt, constantText, doubleColumn, intColumn } from './bulk.js';
import { inputIndices, storedInputs } from './inputs.js';
import { requireLayer } from './layers.js';
import { asDate, asJson, asNullableNumber, asNumber, asText, ResultColumns, timestampOf } from './results.js';
import { requireRun } from './runs.js';
import type {
  ClusteringRecord,
  ClusteringToSave,
  CondensedTreeColumns,
  InputMemberships,
  MemberOrder,
  MemberPage,
  MemberPageOptions,
  MembershipColumns,
  PatternColumns,
  PatternLabelCounts,
} from './types.js';
import { requireId, requireLengths, toJsonText } from './validate.js';

const CLUSTERING_SELECT = `SELECT clustering_id, run_id, layer, unit, CAST(params AS VARCHAR) AS params, pattern_count,
  noise_count, created_at FROM clusterings`;

function toClusteringRecord(row: Record<string, DuckDBValue>): ClusteringRecord {
  return {
    clusteringId: asNumber(row.clustering_id!),
    runId: asNumber(row.run_id!),
    layer: asText(row.layer!),
    unit: asNullableNumber(row.unit!),
    params: asJson(row.params!),
    patternCount: asNumber(row.pattern_count!),
    noiseCount: asNumber(row.noise_count!),
    createdAt: asDate(row.created_at!),
  };
}

export async function requireClustering(connection: DuckDBConnection, clusteringId: number): Promise<ClusteringRecord> {
  requireId('clustering id', clusteringId);
  const result = await ResultColumns.query(connection, `${CLUSTERING_SELECT} WHERE clustering_id = $1`, [clusteringId]);
  const [record] = result.rows().map(toClusteringRecord);
  if (record === undefined) {
    throw new NotFoundError(`clustering ${clusteringId} does not exist`, {
      hint: 'list the clusterings of the run to pick an existing one',
    });
  }
  return record;
}

/** Clusterings of a run (of one layer when given), oldest first. */
export async function listClusterings(
  connection: DuckDBConnection,
  runId: number,
  layer?: string,
): Promise<ClusteringRecord[]> {
  await requireRun(connection, runId);
  const result =
    layer === undefined
      ? await ResultColumns.query(connection, `${CLUSTERING_SELECT} WHERE run_id = $1 ORDER BY clustering_id`, [runId])
      : await ResultColumns.query(
          connection,
          `${CLUSTERING_SELECT} WHERE run_id = $1 AND layer = $2 ORDER BY clustering_id`,
          [runId, layer],
        );
  return result.rows().map(toClusteringRecord);
}

/** Members per pattern (index = pattern id) and the noise count; refuses labels outside -1..patternCount-1. */
function countMembers(labels: Int32Array, patternCount: number): { sizes: Int32Array; noise: number } {
  const sizes = new Int32Array(patternCount);
  let noise = 0;
  labels.forEach((label, row) => {
    if (label === -1) noise++;
    else if (label >= 0 && label < patternCount) sizes[label]!++;
    else {
      throw new InputError(`clustering label ${label} of row ${row} is outside -1..${patternCount - 1}`, {
        hint: 'labels must be -1 (noise) or a pattern id below persistence.length',
      });
    }
  });
  return { sizes, noise };
}

function requireTree(tree: CondensedTreeColumns): void {
  requireLengths('condensed tree', tree.parent.length, {
    child: tree.child,
    lambda: tree.lambda,
    childSize: tree.childSize,
  });
}

/** Stores one clustering of a layer; returns its new id. Call inside a transaction. */
export async function saveClustering(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  clustering: ClusteringToSave,
): Promise<number> {
  await requireLayer(connection, runId, layer);
  const { unit, labels, probabilities, outlierScores, persistence, condensedTree } = clustering;
  if (unit !== null && (!Number.isInteger(unit) || unit < 0)) {
    throw new InputError(`clustering unit ${unit} is not a unit index`, {
      hint: 'pass null for layer patterns or a unit index >= 0',
    });
  }
  const inputIndex = clustering.inputIndex ?? (await inputIndices(connection, runId));
  if (clustering.inputIndex === undefined && inputIndex.length !== labels.length) {
    throw new InputError(`clustering has ${labels.length} labels but run ${runId} has ${inputIndex.length} inputs`, {
      hint: 'pass inputIndex to say which input each row is',
    });
  }
  requireLengths('clustering', labels.length, { inputIndex, probabilities, outlierScores });
  requireTree(condensedTree);
  const { sizes, noise } = countMembers(labels, persistence.length);

  const inserted = await ResultColumns.query(
    connection,
    `INSERT INTO clusterings (run_id, layer, unit, params, pattern_count, noise_count, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING clustering_id`,
    [
      runId,
      layer,
      unit,
      toJsonText('clustering params', clustering.params),
      persistence.length,
      noise,
      timestampOf(new Date()),
    ],
  );
  const clusteringId = inserted.int32('clustering_id')[0]!;
  const owner = { run_id: constantInt(runId), layer: constantText(layer), clustering_id: constantInt(clusteringId) };
  await appendRows(
    connection,
    'patterns',
    {
      ...owner,
      pattern_id: intColumn(Int32Array.from(sizes, (_, id) => id)),
      size: intColumn(sizes),
      persistence: doubleColumn(persistence),
    },
    persistence.length,
  );
  await appendRows(
    connection,
    'memberships',
    {
      ...owner,
      input_index: intColumn(inputIndex),
      pattern_id: intColumn(labels),
      probability: doubleColumn(probabilities),
      outlier_score: doubleColumn(outlierScores),
    },
    labels.length,
  );
  await appendRows(
    connection,
    'condensed_tree',
    {
      ...owner,
      parent: intColumn(condensedTree.parent),
      child: intColumn(condensedTree.child),
      lambda: doubleColumn(condensedTree.lambda),
      child_size: intColumn(condensedTree.childSize),
    },
    condensedTree.parent.length,
  );
  return clusteringId;
}

export async function readPatterns(connection: DuckDBConnection, clusteringId: number): Promise<PatternColumns> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    'SELECT pattern_id, size, persistence FROM patterns WHERE clustering_id = $1 ORDER BY pattern_id',
    [clusteringId],
  );
  return {
    patternId: result.int32('pattern_id'),
    size: result.int32('size'),
    persistence: result.float64('persistence'),
  };
}

/** Every input's membership, by ascending input index. */
export async function readMemberships(connection: DuckDBConnection, clusteringId: number): Promise<MembershipColumns> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    'SELECT input_index, pattern_id, probability, outlier_score FROM memberships WHERE clustering_id = $1 ORDER BY input_index',
    [clusteringId],
  );
  return {
    inputIndex: result.int32('input_index'),
    patternId: result.int32('pattern_id'),
    probability: result.float64('probability'),
    outlierScore: result.float64('outlier_score'),
  };
}

/** The condensed tree's edges, ordered by parent then child. */
export async function readCondensedTree(
  connection: DuckDBConnection,
  clusteringId: number,
): Promise<CondensedTreeColumns> {
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    'SELECT parent, child, "lambda", child_size FROM condensed_tree WHERE clustering_id = $1 ORDER BY parent, child',
    [clusteringId],
  );
  return {
    parent: result.int32('parent'),
    child: result.int32('child'),
    lambda: result.float64('lambda'),
    childSize: result.int32('child_size'),
  };
}

const MEMBER_ORDER: Readonly<Record<MemberOrder, string>> = {
  'most-stable': 'm.probability DESC, m.input_index',
  'least-stable': 'm.probability ASC, m.input_index',
  input: 'm.input_index',
};

function requireCount(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new InputError(`${what} ${value} is not a non-negative integer`, { hint: `pass ${what} >= 0` });
  }
}

async function requirePattern(connection: DuckDBConnection, clusteringId: number, patternId: number): Promise<void> {
  const clustering = await requireClustering(connection, clusteringId);
  if (patternId === -1) return;
  if (!Number.isInteger(patternId) || patternId < 0 || patternId >= clustering.patternCount) {
    throw new NotFoundError(`pattern ${patternId} does not exist in clustering ${clusteringId}`, {
      hint: `pass a pattern id in 0..${clustering.patternCount - 1}, or -1 for noise`,
    });
  }
}

/** One page of a pattern's members (-1: the noise), joined with their inputs. */
export async function readPatternMembers(
  connection: DuckDBConnection,
  clusteringId: number,
  patternId: number,
  options: MemberPageOptions = {},
): Promise<MemberPage> {
  const { offset = 0, limit = 100, order = 'most-stable' } = options;
  requireCount('offset', offset);
  requireCount('limit', limit);
  const orderBy = MEMBER_ORDER[order];
  if (orderBy === undefined) {
    throw new InputError(`member order ${JSON.stringify(order)} is unknown`, {
      hint: `use one of ${Object.keys(MEMBER_ORDER).join(', ')}`,
    });
  }
  await requirePattern(connection, clusteringId, patternId);
  const counted = await ResultColumns.query(
    connection,
    'SELECT CAST(count(*) AS INTEGER) AS total FROM memberships WHERE clustering_id = $1 AND pattern_id = $2',
    [clusteringId, patternId],
  );
  const result = await ResultColumns.query(
    connection,
    `SELECT m.input_index, m.probability AS membership_probability, m.outlier_score, i.path, i.label,
       coalesce(i.prediction, -1) AS prediction, i.prediction_label, coalesce(i.probability, 'NaN'::DOUBLE) AS probability
     FROM memberships m LEFT JOIN inputs i ON i.run_id = m.run_id AND i.input_index = m.input_index
     WHERE m.clustering_id = $1 AND m.pattern_id = $2
     ORDER BY ${orderBy} LIMIT $3 OFFSET $4`,
    [clusteringId, patternId, limit, offset],
  );
  return {
    ...storedInputs(result),
    total: counted.int32('total')[0]!,
    membershipProbability: result.float64('membership_probability'),
    outlierScore: result.float64('outlier_score'),
  };
}

/** Members of each pattern per input label ('label') or per predicted label ('prediction'); noise included as -1. */
export async function readPatternLabelCounts(
  connection: DuckDBConnection,
  clusteringId: number,
  by: 'label' | 'prediction' = 'label',
): Promise<PatternLabelCounts> {
  const column = { label: 'i.label', prediction: 'i.prediction_label' }[by];
  if (column === undefined) {
    throw new InputError(`label kind ${JSON.stringify(by)} is unknown`, { hint: "use 'label' or 'prediction'" });
  }
  await requireClustering(connection, clusteringId);
  const result = await ResultColumns.query(
    connection,
    `SELECT m.pattern_id, ${column} AS label, CAST(count(*) AS INTEGER) AS count
     FROM memberships m LEFT JOIN inputs i ON i.run_id = m.run_id AND i.input_index = m.input_index
     WHERE m.clustering_id = $1 GROUP BY m.pattern_id, ${column} ORDER BY m.pattern_id, count DESC, label`,
    [clusteringId],
  );
  return { patternId: result.int32('pattern_id'), label: result.text('label'), count: result.int32('count') };
}

/** The pattern of each given input in every clustering of the run, by clustering then input. */
export async function readMembershipsOfInputs(
  connection: DuckDBConnection,
  runId: number,
  inputIndex: Int32Array,
): Promise<InputMemberships> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `SELECT clustering_id, input_index, pattern_id, probability FROM memberships
     WHERE run_id = $1 AND input_index IN (SELECT unnest($2)) ORDER BY clustering_id, input_index`,
    [runId, listValue(Array.from(inputIndex))],
    [INTEGER, LIST(INTEGER)],
  );
  return {
    clusteringId: result.int32('clustering_id'),
    inputIndex: result.int32('input_index'),
    patternId: result.int32('pattern_id'),
    probability: result.float64('probability'),
  };
}
