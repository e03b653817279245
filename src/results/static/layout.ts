/**
 * The file layout of a static site made by `nap export --static`, shared by the exporter and the browser
 * (so it imports nothing and touches no Node API). The site is the built app plus a `data/` folder that
 * holds the results reader's records and tables; the browser runs the results API over them, exactly as
 * `nap serve` runs it over the store:
 *
 *   index.html                              the app, with <meta name="nap-static-data" content="data/"> added
 *   data/manifest.json                      StaticManifest: what the export holds
 *   data/results.json                       StaticResults: the run, its layers, clusterings and projections,
 *                                           where each table lies in the packs, how the images are cut
 *   data/tables/P.bin                       table pack P: tables (Arrow IPC streams, codec/tables.ts
 *                                           FILE_TABLES) one after another, up to TABLE_PACK_BYTES a pack
 *                                           (a larger table has a pack of its own), so that a run of many
 *                                           layers and clusterings is a few files. StaticResults.tables
 *                                           says where each table lies, by its name:
 *     tables/inputs.arrow                   the run's inputs
 *     tables/layers/L/stats.arrow           a layer's unit statistics; max-activations.arrow, projection.arrow,
 *                                           feature-images.arrow (its feature visualizations, where stored)
 *     tables/clusterings/C/*.arrow          patterns, memberships, tree, stats, heatmaps (the heatmap index);
 *                                           linkage and soft (soft memberships) where the clustering has them
 *     tables/flows/A-B.arrow                the stored flow from clustering A to clustering B
 *     tables/triage/T.arrow                 the saved triage: inputs, layers, agreement, outliers and
 *                                           near-duplicates (when saved)
 *   data/notes.json                         the run's notes (decisions, tags, saved views: ../notes.ts)
 *   data/images/K/S.png                     sprite sheet S (src/results/sprites.ts) of image kind K, one
 *                                           sequence per kind cut into sheets of StaticResults.sheets[K].cells:
 *     thumbnails                            every input, in the row order of the inputs table
 *     members                               each clustering's pattern members' thumbnails together, in the
 *                                           order of sprites.ts memberSheetOrder (pattern galleries), one
 *                                           clustering after another (those that fit the file budget)
 *     average                               each clustering's average images, in the order of
 *                                           StaticResults.averageImages[C]
 *     heatmap                               each clustering's stored heatmaps (means and members), in the row
 *                                           order of its heatmap index
 *     features                              each layer's feature visualizations (`nap visualize`), in the row
 *                                           order of its feature-images table
 *
 * The number of files is bounded whatever the run: tables by their bytes, images by the budget of each kind
 * (sheets grow from 256 to 16,384 cells before a kind passes it; see src/engine/site-writer.ts).
 *
 * File names use only [A-Za-z0-9_-] (other characters are escaped as _XX hex bytes), so any static host
 * serves them without percent-decoding surprises.
 */
import type { SourceInfo } from '../reader.js';
import type { ClusteringRecord, LayerRecord, ProjectionRecord, RunRecord } from '../tables.js';

export const STATIC_FORMAT = 'nap-lens-static';
export const STATIC_FORMAT_VERSION = 4;
/** The most bytes of tables in one pack (a larger table is a pack of its own). */
export const TABLE_PACK_BYTES = 4 * 1024 * 1024;
/** The meta tag that marks the app as a static export; its content is the data folder, relative to the page. */
export const STATIC_META_NAME = 'nap-static-data';
export const STATIC_DATA_DIR = 'data';
export const STATIC_MANIFEST_FILE = 'manifest.json';
export const STATIC_RESULTS_FILE = 'results.json';

export interface StaticManifest {
  format: typeof STATIC_FORMAT;
  version: number;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** File name of the store the site was made from. */
  store: string;
  storeVersion: string;
  runId: number;
  runName: string;
  inputCount: number;
  /** Side of the exported thumbnails in pixels; null when the export has none. */
  thumbnailSize: number | null;
}

/** The records of the exported run (data/results.json). */
export interface StaticResults {
  source: SourceInfo;
  run: RunRecord;
  layers: LayerRecord[];
  clusterings: ClusteringRecord[];
  projections: ProjectionRecord[];
  /** Stored flows as [clustering A, clustering B] pairs, as stored. */
  flows: [number, number][];
  /** By clustering id: the patterns with an average image, in the order of their sheet cells. */
  averageImages: Record<string, number[]>;
  /** By table name (staticPaths' tables): [pack, byte offset, bytes] of the table in the packs. */
  tables: Record<string, [number, number, number]>;
  /** How each kind of image is cut into sheets. */
  sheets: Record<SheetKind, SheetSequence>;
}

export type SheetKind = 'thumbnails' | 'members' | 'average' | 'heatmap' | 'features';

/** A kind of image as one sequence cut into sprite sheets of `cells` images (sprites.ts blockCell). */
export interface SheetSequence {
  cells: number;
  /** Images in the sequence. */
  count: number;
  /**
   * By clustering id (members, average, heatmap) or layer name (features): [first position, images] of its
   * part of the sequence.
   */
  parts: Record<string, [number, number]>;
}

function escapeName(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out === '' ? '_' : out;
}

export type LayerTable = 'stats' | 'max-activations' | 'projection' | 'feature-images';
export type TriageTable = 'inputs' | 'layers' | 'agreement' | 'outliers' | 'near-duplicates';
export type ClusteringTable = 'patterns' | 'memberships' | 'tree' | 'linkage' | 'soft' | 'stats' | 'heatmaps';

/** Files relative to the data folder, and the names of the tables in the packs. */
export const staticPaths = {
  inputs: () => 'tables/inputs.arrow',
  layerTable: (layer: string, table: LayerTable) => `tables/layers/${escapeName(layer)}/${table}.arrow`,
  clusteringTable: (clusteringId: number, table: ClusteringTable) =>
    `tables/clusterings/${clusteringId}/${table}.arrow`,
  flow: (clusteringA: number, clusteringB: number) => `tables/flows/${clusteringA}-${clusteringB}.arrow`,
  triage: (table: TriageTable) => `tables/triage/${table}.arrow`,
  tablePack: (pack: number) => `tables/${pack}.bin`,
  sheet: (kind: SheetKind, sheet: number) => `images/${kind}/${sheet}.png`,
} as const;
