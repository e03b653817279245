import { hdbscan, type HdbscanOptions, type HdbscanResult } from '../compute/hdbscan/index.js';
import type { Matrix } from '../compute/matrix.js';
import { columnStatistics, rowsByGroup, type UnitStatistics } from '../compute/statistics.js';
import type { TaskControl } from '../progress.js';

export interface LayerPatterns {
  clustering: HdbscanResult;
  /** Statistics of every unit over all inputs of the layer. */
  layerStatistics: UnitStatistics;
  /** Statistics of every unit over each pattern's members, indexed by pattern id. */
  patternStatistics: UnitStatistics[];
}

/** What the store keeps of a layer's patterns (the single-linkage tree is not kept). */
export interface SavedPatterns {
  clustering: Omit<HdbscanResult, 'singleLinkageTree'>;
  layerStatistics: UnitStatistics;
  patternStatistics: UnitStatistics[];
}

/** Clusters one layer's normalized activations into patterns and computes their per-unit statistics. */
export async function findPatterns(
  matrix: Matrix,
  options: HdbscanOptions,
  control: TaskControl = {},
): Promise<LayerPatterns> {
  const clustering = await hdbscan(matrix, options, control);
  const members = rowsByGroup(clustering.labels, clustering.clusterCount);
  return {
    clustering,
    layerStatistics: columnStatistics(matrix),
    patternStatistics: members.map((rows) => columnStatistics(matrix, rows)),
  };
}
