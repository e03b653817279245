/**
 * The ResultsReader of a static export (layout.ts), over `fetch`: the browser reads the exported records
 * and Arrow tables (from the table packs) and runs createResultsApi over them, so the static site answers
 * every query as `nap serve` does. A table the export lacks (a layer without a projection, a flow that was
 * not stored) reads as absent; any other missing file is an error that says to export again.
 */
import { NotFoundError } from '../../errors.js';
import { PromiseCache } from '../cache.js';
import { decodeTable } from '../codec/arrow-decode.js';
import { FILE_TABLES } from '../codec/tables.js';
import type { ResultsReader } from '../reader.js';
import { emptyFeatureImages, type FlowCellsTable, type SavedTriage, type UnitStatsTable } from '../tables.js';
import {
  STATIC_FORMAT,
  STATIC_MANIFEST_FILE,
  STATIC_RESULTS_FILE,
  staticPaths,
  type StaticManifest,
  type StaticResults,
} from './layout.js';

export type Fetch = (url: string) => Promise<Response>;

const REEXPORT_HINT = 'copy the whole exported folder to the host, data/ included, or export the site again';

export interface StaticSite {
  manifest: StaticManifest;
  reader: ResultsReader;
  /** The exported records (data/results.json), read once. */
  results: () => Promise<StaticResults>;
}

async function fetchOk(fetchFile: Fetch, url: string): Promise<Response | null> {
  const response = await fetchFile(url);
  if (response.status === 404) return null;
  if (!response.ok) {
    throw new NotFoundError(`${url} answered ${response.status}`, {
      hint: 'reload the page; if it persists, export the site again',
    });
  }
  return response;
}

/** Opens the export whose data folder is at `base`; refuses a folder without a nap-lens manifest. */
export async function openStaticSite(base: URL, fetchFile: Fetch = (url) => fetch(url)): Promise<StaticSite> {
  const url = (file: string) => new URL(file, base).href;
  const manifestUrl = url(STATIC_MANIFEST_FILE);
  const response = await fetchFile(manifestUrl).catch(() => null);
  const manifest = response?.ok ? ((await response.json().catch(() => null)) as StaticManifest | null) : null;
  if (manifest?.format !== STATIC_FORMAT) {
    throw new NotFoundError(`this page is a static export, but ${manifestUrl} is missing or not a nap-lens manifest`, {
      hint: REEXPORT_HINT,
    });
  }
  let records: Promise<StaticResults> | null = null;
  const results = () => {
    records ??= fetchOk(fetchFile, url(STATIC_RESULTS_FILE)).then((found) => {
      if (found === null)
        throw new NotFoundError(`${url(STATIC_RESULTS_FILE)} is missing from the export`, { hint: REEXPORT_HINT });
      return found.json() as Promise<StaticResults>;
    });
    return records;
  };
  // A few packs stay at hand: the tables of one clustering or layer lie together.
  const packs = new PromiseCache<number, ArrayBuffer>(4);
  const pack = (index: number) =>
    packs.get(index, async () => {
      const found = await fetchOk(fetchFile, url(staticPaths.tablePack(index)));
      if (found === null)
        throw new NotFoundError(`${url(staticPaths.tablePack(index))} is missing from the export`, {
          hint: REEXPORT_HINT,
        });
      return found.arrayBuffer();
    });
  /** A table's bytes (copied out of its pack); null when the export does not hold it. */
  const optional = async (file: string): Promise<Uint8Array | null> => {
    const at = (await results()).tables[file];
    if (at === undefined) return null;
    const [index, offset, length] = at;
    return new Uint8Array((await pack(index)).slice(offset, offset + length));
  };
  const required = async (file: string): Promise<Uint8Array> => {
    const bytes = await optional(file);
    if (bytes === null)
      throw new NotFoundError(`table ${file} is missing from the export at ${base.href}`, { hint: REEXPORT_HINT });
    return bytes;
  };
  const outliersOf = async (): Promise<Pick<SavedTriage, 'outliers' | 'nearDuplicates'>> => {
    const outliers = await optional(staticPaths.triage('outliers'));
    const near = outliers === null ? null : await required(staticPaths.triage('near-duplicates'));
    return {
      outliers: outliers === null ? null : decodeTable(FILE_TABLES.triageOutliers, outliers),
      nearDuplicates:
        near === null
          ? {
              inputA: new Int32Array(0),
              inputB: new Int32Array(0),
              layer: [],
              distance: new Float64Array(0),
              threshold: new Float64Array(0),
            }
          : decodeTable(FILE_TABLES.triageNearDuplicates, near),
    };
  };
  const emptyStats: UnitStatsTable = {
    patternId: new Int32Array(0),
    unit: new Int32Array(0),
    min: new Float64Array(0),
    max: new Float64Array(0),
    mean: new Float64Array(0),
    q1: new Float64Array(0),
    q3: new Float64Array(0),
    iqr: new Float64Array(0),
    lower: new Float64Array(0),
    upper: new Float64Array(0),
  };
  const stats = async (file: string) => {
    const bytes = await optional(file);
    return bytes === null ? emptyStats : decodeTable(FILE_TABLES.unitStats, bytes);
  };

  const reader: ResultsReader = {
    source: async () => (await results()).source,
    runs: async () => [(await results()).run],
    layers: async () => (await results()).layers,
    clusterings: async () => (await results()).clusterings,
    projections: async () => (await results()).projections,
    inputs: async () => decodeTable(FILE_TABLES.inputs, await required(staticPaths.inputs())),
    patterns: async (id) =>
      decodeTable(FILE_TABLES.patterns, await required(staticPaths.clusteringTable(id, 'patterns'))),
    memberships: async (id) =>
      decodeTable(FILE_TABLES.memberships, await required(staticPaths.clusteringTable(id, 'memberships'))),
    condensedTree: async (id) =>
      decodeTable(FILE_TABLES.condensedTree, await required(staticPaths.clusteringTable(id, 'tree'))),
    linkage: async (id) => {
      const bytes = await optional(staticPaths.clusteringTable(id, 'linkage'));
      return bytes === null ? null : decodeTable(FILE_TABLES.linkage, bytes);
    },
    softMemberships: async (id) => {
      const bytes = await optional(staticPaths.clusteringTable(id, 'soft'));
      return bytes === null ? null : decodeTable(FILE_TABLES.softMemberships, bytes);
    },
    layerStats: (_runId, layer) => stats(staticPaths.layerTable(layer, 'stats')),
    patternStats: (id) => stats(staticPaths.clusteringTable(id, 'stats')),
    maxActivations: async (_runId, layer) =>
      decodeTable(FILE_TABLES.maxActivations, await required(staticPaths.layerTable(layer, 'max-activations'))),
    projection: async (_runId, layer) => {
      const bytes = await optional(staticPaths.layerTable(layer, 'projection'));
      return bytes === null ? null : decodeTable(FILE_TABLES.projection, bytes);
    },
    flow: async (a, b): Promise<FlowCellsTable | null> => {
      const { flows } = await results();
      const forward = flows.some(([x, y]) => x === a && y === b);
      const backward = flows.some(([x, y]) => x === b && y === a);
      if (!forward && !backward) return null;
      const cells = decodeTable(
        FILE_TABLES.flow,
        await required(forward ? staticPaths.flow(a, b) : staticPaths.flow(b, a)),
      );
      return forward ? cells : { patternA: cells.patternB, patternB: cells.patternA, count: cells.count };
    },
    featureImages: async (_runId, layer) => {
      const bytes = await optional(staticPaths.layerTable(layer, 'feature-images'));
      return bytes === null ? emptyFeatureImages() : decodeTable(FILE_TABLES.featureImages, bytes);
    },
    heatmapIndex: async (id) =>
      decodeTable(FILE_TABLES.heatmapIndex, await required(staticPaths.clusteringTable(id, 'heatmaps'))),
    triage: async () => {
      // An export of a run without a saved triage has none of the files; one of a triage saved before
      // outliers were kept (schema version 10) has no outlier files.
      const inputs = await optional(staticPaths.triage('inputs'));
      if (inputs === null) return null;
      return {
        inputs: decodeTable(FILE_TABLES.triageInputs, inputs),
        layers: decodeTable(FILE_TABLES.triageLayers, await required(staticPaths.triage('layers'))),
        agreement: decodeTable(FILE_TABLES.triageAgreement, await required(staticPaths.triage('agreement'))),
        ...(await outliersOf()),
      };
    },
  };
  return { manifest, reader, results };
}
