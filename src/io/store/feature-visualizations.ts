/**
 * Feature visualizations (images that maximise a unit's or a pattern's objective, made by
 * src/engine/visualize.ts), one row per image. The table came with schema version 6 (migrations.ts).
 */
import { blobValue, type DuckDBBlobValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import { requireLayer } from './layers.js';
import { asDate, asJson, asNullableNumber, asNumber, asText, ResultColumns, timestampOf } from './results.js';
import { toJsonText } from './validate.js';

export const FEATURE_OBJECTIVES = ['unit', 'channel', 'pattern', 'pattern_contrast'] as const;
export type FeatureObjective = (typeof FEATURE_OBJECTIVES)[number];

/** What one image visualizes; an image is replaced only by one of the same key. */
export interface FeatureVisualizationKey {
  runId: number;
  layer: string;
  objective: FeatureObjective;
  /** The unit (unit, channel) or the pattern id (pattern, pattern_contrast). */
  target: number;
  /** The spatial position (row-major) of a channel objective; -1 for the others. */
  position: number;
  /** The clustering of a pattern objective; null for unit objectives. */
  clusteringId: number | null;
  /** 0..images-1: the diverse images of one objective. */
  imageIndex: number;
}

export interface FeatureVisualization extends FeatureVisualizationKey {
  /** pattern_contrast: the other pattern whose cosine is subtracted; null otherwise. */
  contrastPattern: number | null;
  /** Everything the image was made with (optimiser settings, objective, model hash). */
  params: unknown;
  /** SHA-256 of params: a stored image with the same key and hash is not made again. */
  paramsHash: string;
  width: number;
  height: number;
  channels: number;
  /** height x width x channels uint8, row-major, channels interleaved (like average_images). */
  pixels: Uint8Array;
  /** The objective the stored image reaches. */
  value: number;
  /** The highest objective over the run's inputs; null when the store cannot tell without the model. */
  datasetMax: number | null;
  createdAt: Date;
}

export type FeatureVisualizationToSave = Omit<FeatureVisualization, 'createdAt'>;

const TABLE = 'feature_visualizations';
const KEY_COLUMNS = ['run_id', 'layer', 'objective', 'target', 'position', 'clustering_id', 'image_index'];

function requireImage(image: FeatureVisualizationToSave): void {
  const where = `feature visualization of ${image.objective} ${image.target} in layer ${JSON.stringify(image.layer)}`;
  if (!FEATURE_OBJECTIVES.includes(image.objective)) {
    throw new InputError(`${where}: objective ${JSON.stringify(image.objective)} is unknown`, {
      hint: `use one of ${FEATURE_OBJECTIVES.join(', ')}`,
    });
  }
  const { width, height, channels, pixels } = image;
  if (![width, height].every((d) => Number.isInteger(d) && d > 0) || (channels !== 1 && channels !== 3)) {
    throw new InputError(`${where}: image of ${width} x ${height} x ${channels} is not a gray or RGB image`, {
      hint: 'pass positive sizes and 1 or 3 channels',
    });
  }
  if (pixels.length !== width * height * channels) {
    throw new InputError(`${where}: ${pixels.length} bytes for ${width} x ${height} x ${channels}`, {
      hint: 'pass height x width x channels bytes',
    });
  }
  if (!Number.isFinite(image.value) || (image.datasetMax !== null && !Number.isFinite(image.datasetMax))) {
    throw new InputError(`${where}: value ${image.value} or dataset maximum ${image.datasetMax} is not finite`, {
      hint: 'store finite objective values',
    });
  }
}

/** Stores images, replacing those stored with the same keys. Call inside a transaction. */
export async function saveFeatureVisualizations(
  connection: DuckDBConnection,
  images: readonly FeatureVisualizationToSave[],
): Promise<void> {
  for (const image of images) {
    await requireLayer(connection, image.runId, image.layer);
    requireImage(image);
    await connection.run(
      `DELETE FROM ${TABLE} WHERE ${KEY_COLUMNS.map((c, i) => `${c} IS NOT DISTINCT FROM $${i + 1}`).join(' AND ')}`,
      [image.runId, image.layer, image.objective, image.target, image.position, image.clusteringId, image.imageIndex],
    );
    await connection.run(
      `INSERT INTO ${TABLE} (${KEY_COLUMNS.join(', ')}, contrast_pattern, params, params_hash, width, height, channels, pixels, value, dataset_max, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        image.runId,
        image.layer,
        image.objective,
        image.target,
        image.position,
        image.clusteringId,
        image.imageIndex,
        image.contrastPattern,
        toJsonText('feature visualization params', image.params),
        image.paramsHash,
        image.width,
        image.height,
        image.channels,
        blobValue(image.pixels),
        image.value,
        image.datasetMax,
        timestampOf(new Date()),
      ],
    );
  }
}

export interface FeatureVisualizationFilter {
  objective?: FeatureObjective;
  target?: number;
  clusteringId?: number;
}

function toImage(row: Record<string, DuckDBValue>): FeatureVisualization {
  return {
    runId: asNumber(row.run_id!),
    layer: asText(row.layer!),
    objective: asText(row.objective!) as FeatureObjective,
    target: asNumber(row.target!),
    position: asNumber(row.position!),
    clusteringId: asNullableNumber(row.clustering_id!),
    imageIndex: asNumber(row.image_index!),
    contrastPattern: asNullableNumber(row.contrast_pattern!),
    params: asJson(row.params!),
    paramsHash: asText(row.params_hash!),
    width: asNumber(row.width!),
    height: asNumber(row.height!),
    channels: asNumber(row.channels!),
    pixels: Uint8Array.from((row.pixels as DuckDBBlobValue).bytes),
    value: asNumber(row.value!),
    datasetMax: asNullableNumber(row.dataset_max!),
    createdAt: asDate(row.created_at!),
  };
}

/**
 * The stored images of a layer (optionally only one objective, target or clustering), ordered by objective,
 * target, position and image index; [] when none is stored. NotFoundError for an unknown run or layer.
 */
export async function readFeatureVisualizations(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  filter: FeatureVisualizationFilter = {},
): Promise<FeatureVisualization[]> {
  await requireLayer(connection, runId, layer);
  const conditions = ['run_id = $1', 'layer = $2'];
  const values: (string | number)[] = [runId, layer];
  const add = (column: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    values.push(value);
    conditions.push(`${column} = $${values.length}`);
  };
  add('objective', filter.objective);
  add('target', filter.target);
  add('clustering_id', filter.clusteringId);
  const result = await ResultColumns.query(
    connection,
    `SELECT ${KEY_COLUMNS.join(', ')}, contrast_pattern, CAST(params AS VARCHAR) AS params, params_hash, width, height,
       channels, pixels, value, dataset_max, created_at FROM ${TABLE} WHERE ${conditions.join(' AND ')}
     ORDER BY objective, clustering_id NULLS FIRST, target, position, image_index`,
    values,
  );
  return result.rows().map(toImage);
}
