/**
 * The file layout of a static site made by `nap export --static`, shared by the exporter and the browser
 * (so it imports nothing and touches no Node API). The site is the built app plus a `data/` folder that
 * holds the results reader's records and tables; the browser runs the results API over them, exactly as
 * `nap serve` runs it over the store:
 *
 *   index.html                              the app, with <meta name="nap-static-data" content="data/"> added
 *   data/manifest.json                      StaticManifest: what the export holds
 *   data/results.json                       StaticResults: the run, its layers, clusterings and projections
 *   data/tables/inputs.arrow                the run's inputs (Arrow IPC stream, codec/tables.ts FILE_TABLES)
 *   data/tables/layers/L/stats.arrow        a layer's unit statistics; max-activations.arrow, projection.arrow,
 *                                           feature-images.arrow (its feature visualizations, where stored)
 *   data/tables/clusterings/C/*.arrow       patterns, memberships, tree, stats, heatmaps (the heatmap index);
 *                                           linkage and soft (soft memberships) where the clustering has them
 *   data/tables/flows/A-B.arrow             the stored flow from clustering A to clustering B
 *   data/tables/triage/T.arrow              the saved triage: inputs, layers, agreement (when saved)
 *   data/notes.json                         the run's notes (decisions, tags, saved views: ../notes.ts)
 *   data/images/thumbnails/S.png            sprite sheet S (src/results/sprites.ts) of the thumbnails: the
 *                                           inputs of rows S*256.. of inputs.arrow
 *   data/images/members/C/S.png             sheet S of clustering C's pattern members' thumbnails, in the
 *                                           order of sprites.ts memberSheetOrder (pattern galleries)
 *   data/images/average/C/S.png             sheet S of clustering C's average images, in the order of
 *                                           StaticResults.averageImages[C]
 *   data/images/heatmap/C/S.png             sheet S of clustering C's stored heatmaps (means and members), in
 *                                           the row order of its heatmaps.arrow
 *
 *   data/images/features/L/S.png            sheet S of layer L's feature visualizations, in the row order of
 *                                           its feature-images.arrow
 *
 * File names use only [A-Za-z0-9_-] (other characters are escaped as _XX hex bytes), so any static host
 * serves them without percent-decoding surprises.
 */
import type { SourceInfo } from '../reader.js';
import type { ClusteringRecord, LayerRecord, ProjectionRecord, RunRecord } from '../tables.js';

export const STATIC_FORMAT = 'nap-lens-static';
export const STATIC_FORMAT_VERSION = 3;
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
export type TriageTable = 'inputs' | 'layers' | 'agreement';
export type ClusteringTable = 'patterns' | 'memberships' | 'tree' | 'linkage' | 'soft' | 'stats' | 'heatmaps';

/** Files relative to the data folder. */
export const staticPaths = {
  inputs: () => 'tables/inputs.arrow',
  layerTable: (layer: string, table: LayerTable) => `tables/layers/${escapeName(layer)}/${table}.arrow`,
  clusteringTable: (clusteringId: number, table: ClusteringTable) =>
    `tables/clusterings/${clusteringId}/${table}.arrow`,
  flow: (clusteringA: number, clusteringB: number) => `tables/flows/${clusteringA}-${clusteringB}.arrow`,
  triage: (table: TriageTable) => `tables/triage/${table}.arrow`,
  thumbnailSheet: (sheet: number) => `images/thumbnails/${sheet}.png`,
  memberSheet: (clusteringId: number, sheet: number) => `images/members/${clusteringId}/${sheet}.png`,
  averageSheet: (clusteringId: number, sheet: number) => `images/average/${clusteringId}/${sheet}.png`,
  heatmapSheet: (clusteringId: number, sheet: number) => `images/heatmap/${clusteringId}/${sheet}.png`,
  featureSheet: (layer: string, sheet: number) => `images/features/${escapeName(layer)}/${sheet}.png`,
} as const;
