/** Average images of patterns, as 8-bit pixels. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InputError, NotFoundError } from '../../errors.js';
import { appendRows, blobColumn, constantInt, constantText, intColumn } from './bulk.js';
import { requireClustering } from './clusterings.js';
import { ResultColumns } from './results.js';
import type { AverageImages } from './types.js';

function requireImageShape(images: AverageImages): number {
  const { width, height, channels, patternId, pixels } = images;
  for (const [name, value] of Object.entries({ width, height, channels })) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new InputError(`average image ${name} ${value} is not a positive integer`, {
        hint: 'pass the image size in pixels and channels',
      });
    }
  }
  const size = width * height * channels;
  if (pixels.length !== patternId.length * size) {
    throw new InputError(
      `average images hold ${pixels.length} bytes, expected ${patternId.length} images x ${height}x${width}x${channels} = ${patternId.length * size}`,
      { hint: 'pass one height x width x channels image per pattern id, back to back' },
    );
  }
  return size;
}

/** Replaces the average images of a clustering. Call inside a transaction. */
export async function saveAverageImages(
  connection: DuckDBConnection,
  clusteringId: number,
  images: AverageImages,
): Promise<void> {
  const clustering = await requireClustering(connection, clusteringId);
  const size = requireImageShape(images);
  const bad = images.patternId.find((id) => id < 0 || id >= clustering.patternCount);
  if (bad !== undefined) {
    throw new InputError(
      `average image of pattern ${bad}, outside 0..${clustering.patternCount - 1} of clustering ${clusteringId}`,
      {
        hint: 'pass pattern ids of the clustering',
      },
    );
  }
  await connection.run('DELETE FROM average_images WHERE clustering_id = $1', [clusteringId]);
  await appendRows(
    connection,
    'average_images',
    {
      run_id: constantInt(clustering.runId),
      layer: constantText(clustering.layer),
      clustering_id: constantInt(clusteringId),
      pattern_id: intColumn(images.patternId),
      width: constantInt(images.width),
      height: constantInt(images.height),
      channels: constantInt(images.channels),
      pixels: blobColumn(images.pixels, size),
    },
    images.patternId.length,
  );
}

/** The average images of a clustering by pattern id (only that pattern's when given). */
export async function readAverageImages(
  connection: DuckDBConnection,
  clusteringId: number,
  patternId?: number,
): Promise<AverageImages> {
  await requireClustering(connection, clusteringId);
  const columns = 'SELECT pattern_id, width, height, channels, pixels FROM average_images WHERE clustering_id = $1';
  const result =
    patternId === undefined
      ? await ResultColumns.query(connection, `${columns} ORDER BY pattern_id`, [clusteringId])
      : await ResultColumns.query(connection, `${columns} AND pattern_id = $2`, [clusteringId, patternId]);
  if (result.rowCount === 0) {
    const which = patternId === undefined ? '' : ` of pattern ${patternId}`;
    throw new NotFoundError(`clustering ${clusteringId} has no average images${which}`, {
      hint: 'compute the average images of the clustering first',
    });
  }
  const [width, height, channels] = [
    result.int32('width')[0]!,
    result.int32('height')[0]!,
    result.int32('channels')[0]!,
  ];
  return {
    patternId: result.int32('pattern_id'),
    width,
    height,
    channels,
    pixels: result.blobs('pixels', width * height * channels),
  };
}
