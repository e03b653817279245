/**
 * What runs on transformers and non-image data record beside the core tables (schema version 9; runs
 * extracted before it have no rows there):
 * - layer_layouts: each layer's layout for aggregation (token sequence with its prefix tokens and patch
 *   grid, spatial map, flat vector), as `nap layers --json` reports it;
 * - input_contents: what a gallery shows for an input that is not an image: its text, its numbers (a
 *   sparkline or heat strip), or an image file the dataset names for it.
 */
import { blobValue, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { bytesOf } from './bulk.js';
import { asNumber, asText, ResultColumns } from './results.js';
import { requireRun } from './runs.js';

export interface LayerLayoutRecord {
  layer: string;
  layout: 'tokens' | 'spatial' | 'flat';
  order: 'channels-first' | 'channels-last';
  units: number;
  positions: number;
  prefixTokens: number;
  grid: { height: number; width: number } | null;
}

export interface InputContentRecord {
  inputIndex: number;
  text: string | null;
  series: Float32Array | null;
  imagePath: string | null;
}

/** Stores the layouts of a run's layers, replacing those stored before. Call inside a transaction. */
export async function saveLayerLayouts(
  connection: DuckDBConnection,
  runId: number,
  layouts: LayerLayoutRecord[],
): Promise<void> {
  await requireRun(connection, runId);
  for (const l of layouts) {
    await connection.run(`DELETE FROM layer_layouts WHERE run_id = $1 AND layer = $2`, [runId, l.layer]);
    await connection.run(
      `INSERT INTO layer_layouts (run_id, layer, layout, channel_order, units, positions, prefix_tokens, grid_height, grid_width)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        runId,
        l.layer,
        l.layout,
        l.order,
        l.units,
        l.positions,
        l.prefixTokens,
        l.grid?.height ?? null,
        l.grid?.width ?? null,
      ],
    );
  }
}

export async function readLayerLayouts(connection: DuckDBConnection, runId: number): Promise<LayerLayoutRecord[]> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `SELECT layer, layout, channel_order, units, positions, prefix_tokens, grid_height, grid_width
     FROM layer_layouts WHERE run_id = $1 ORDER BY layer`,
    [runId],
  );
  return result.rows().map((row) => ({
    layer: asText(row.layer!),
    layout: asText(row.layout!) as LayerLayoutRecord['layout'],
    order: asText(row.channel_order!) as LayerLayoutRecord['order'],
    units: asNumber(row.units!),
    positions: asNumber(row.positions!),
    prefixTokens: asNumber(row.prefix_tokens!),
    grid:
      row.grid_height === null || row.grid_width === null
        ? null
        : { height: asNumber(row.grid_height!), width: asNumber(row.grid_width!) },
  }));
}

/** Stores gallery contents of inputs, replacing those stored before for the same inputs. Call inside a transaction. */
export async function saveInputContents(
  connection: DuckDBConnection,
  runId: number,
  contents: InputContentRecord[],
): Promise<void> {
  for (const c of contents) {
    await connection.run(
      `INSERT OR REPLACE INTO input_contents (run_id, input_index, text, series, image_path) VALUES ($1, $2, $3, $4, $5)`,
      [runId, c.inputIndex, c.text, c.series ? blobValue(bytesOf(c.series)) : null, c.imagePath],
    );
  }
}

/** How many of a run's inputs have each kind of gallery content (all 0 for a run of images). */
export interface InputContentKinds {
  texts: number;
  series: number;
  images: number;
}

/** The kinds of gallery contents of every run that has any, by run id. */
export async function readInputContentKinds(connection: DuckDBConnection): Promise<Map<number, InputContentKinds>> {
  const result = await ResultColumns.query(
    connection,
    `SELECT run_id, count(text) AS texts, count(series) AS series, count(image_path) AS images
     FROM input_contents GROUP BY run_id`,
  );
  return new Map(
    result
      .rows()
      .map((row) => [
        asNumber(row.run_id!),
        { texts: asNumber(row.texts!), series: asNumber(row.series!), images: asNumber(row.images!) },
      ]),
  );
}

/** Gallery contents of a run's inputs (all, or those of `inputIndex`), by ascending input index. */
export async function readInputContents(
  connection: DuckDBConnection,
  runId: number,
  inputIndex?: Int32Array,
): Promise<InputContentRecord[]> {
  await requireRun(connection, runId);
  const filter = inputIndex ? `AND input_index IN (SELECT unnest($2::INTEGER[]))` : '';
  const result = await ResultColumns.query(
    connection,
    `SELECT input_index, text, series, image_path FROM input_contents WHERE run_id = $1 ${filter} ORDER BY input_index`,
    inputIndex ? [runId, listValue(Array.from(inputIndex))] : [runId],
  );
  return result.rows().map((row) => {
    const series = row.series as { bytes?: Uint8Array } | null;
    const bytes = series?.bytes;
    return {
      inputIndex: asNumber(row.input_index!),
      text: row.text === null ? null : asText(row.text!),
      // Copied into a buffer of its own: the bytes may be a Node Buffer, whose slice() is a view of a shared pool.
      series: bytes ? new Float32Array(Uint8Array.from(bytes).buffer) : null,
      imagePath: row.image_path === null ? null : asText(row.image_path!),
    };
  });
}
