/**
 * Concept flow between layers, from contingency tables of their pattern labelings: how similar two
 * layers' patterns are (Jaccard), the whole run as an alluvial (Sankey) graph, and where one pattern's
 * members go in other layers (its lineage).
 */
import { InputError } from '../errors.js';
import { OptionSchema, realNumber, valueOption, wholeNumber, type Fields } from '../options/schema.js';
import { labelOfRow, rowOfLabel, type Contingency } from './contingency.js';

/**
 * Jaccard index |A_i ∩ B_j| / |A_i ∪ B_j| of every row and column of the table (noise included as the
 * last row and column), row-major with the table's shape; 0 where both are empty.
 */
export function jaccardMatrix(table: Contingency): Float64Array {
  const rows = table.patternsA + 1;
  const cols = table.patternsB + 1;
  const jaccard = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const shared = table.counts[i * cols + j]!;
      const union = table.rowSums[i]! + table.colSums[j]! - shared;
      jaccard[i * cols + j] = union > 0 ? shared / union : 0;
    }
  }
  return jaccard;
}

/** One pattern (or a layer's noise, patternId -1) of one layer. */
export interface FlowNode {
  /** Position of the layer in `FlowGraph.layers`. */
  layerIndex: number;
  patternId: number;
  /** Inputs in the pattern. */
  size: number;
}

/** Inputs that are in node `source` (layer l) and in node `target` (layer l + 1); indices into `FlowGraph.nodes`. */
export interface FlowLink {
  source: number;
  target: number;
  count: number;
}

/** The alluvial (Sankey) structure of a run: nodes are patterns per layer (noise included), links join consecutive layers. */
export interface FlowGraph {
  layers: string[];
  nodes: FlowNode[];
  links: FlowLink[];
}

/**
 * The alluvial graph of layers[0..L-1] from the tables between consecutive layers (tables[l]: layer l x
 * layer l + 1). Node sizes come from the tables' row sums (and the last table's column sums for the last
 * layer); nodes with no inputs (an empty noise) are left out, as are links with no inputs.
 */
export function flowGraph(layers: readonly string[], tables: readonly Contingency[]): FlowGraph {
  if (layers.length === 0) return { layers: [], nodes: [], links: [] };
  if (tables.length !== layers.length - 1) {
    throw new InputError(`${layers.length} layers need ${layers.length - 1} flow tables, got ${tables.length}`, {
      hint: 'pass one table per pair of consecutive layers',
    });
  }
  tables.forEach((table, l) => {
    const next = tables[l + 1];
    if (next !== undefined && next.patternsA !== table.patternsB) {
      throw new InputError(
        `flow table ${l + 1} starts from ${next.patternsA} patterns but table ${l} ends in ${table.patternsB}`,
        {
          hint: 'pass the tables of consecutive layers in order',
        },
      );
    }
  });
  const nodes: FlowNode[] = [];
  // nodeOf[l][row]: index of the node of row `row` of layer l, -1 when left out.
  const nodeOf: Int32Array[] = [];
  layers.forEach((_, l) => {
    const sizes = l < tables.length ? tables[l]!.rowSums : tables[l - 1]?.colSums;
    const ids = new Int32Array(sizes?.length ?? 0).fill(-1);
    sizes?.forEach((size, row) => {
      if (size === 0) return;
      ids[row] = nodes.length;
      nodes.push({ layerIndex: l, patternId: labelOfRow(row, sizes.length - 1), size });
    });
    nodeOf.push(ids);
  });
  const links: FlowLink[] = [];
  tables.forEach((table, l) => {
    const cols = table.patternsB + 1;
    table.counts.forEach((count, cell) => {
      if (count === 0) return;
      links.push({ source: nodeOf[l]![Math.floor(cell / cols)]!, target: nodeOf[l + 1]![cell % cols]!, count });
    });
  });
  return { layers: [...layers], nodes, links };
}

/** Where a pattern's members are in one other layer. */
export interface LineageStep {
  layer: string;
  /** Members of the pattern that this layer's clustering also holds. */
  members: number;
  /** The patterns (noise: -1) holding the largest shares of the members, largest first. */
  shares: { patternId: number; count: number; share: number }[];
  /** Share of the members in patterns not listed. */
  otherShare: number;
}

export interface LineageOptions {
  /** Leave out patterns holding less than this share of the members; default 0.05. */
  minShare?: number;
  /** List at most this many patterns per layer; default 5. */
  limit?: number;
}

/** The lineage options as options of a command (nap flow, the library's lineage calls). */
export const LINEAGE_FIELDS: Fields = {
  minShare: valueOption(realNumber({ example: 0.05, min: 0, max: 1 }), {
    flag: 'min-share',
    help: 'leave out destinations holding less than this share of a pattern',
    default: 0.05,
  }),
  limit: valueOption(wholeNumber({ example: 5, min: 1 }), {
    flag: 'limit',
    help: 'list at most K destinations per pattern',
    default: 5,
  }),
};

const LINEAGE_OPTIONS = new OptionSchema<LineageOptions>('flow', LINEAGE_FIELDS);

/**
 * The lineage of pattern `patternId` (-1: noise) of one layer: for every other layer, the patterns that
 * hold most of its members. `tables[k].table` must run from the pattern's layer (rows) to layer `tables[k].layer`.
 */
export function patternLineage(
  patternId: number,
  tables: readonly { layer: string; table: Contingency }[],
  options: LineageOptions = {},
): LineageStep[] {
  const { minShare, limit } = LINEAGE_OPTIONS.resolve(options) as Required<LineageOptions>;
  return tables.map(({ layer, table }) => {
    if (!(patternId === -1 || (Number.isInteger(patternId) && patternId >= 0 && patternId < table.patternsA))) {
      throw new InputError(`pattern ${patternId} does not exist; its layer has patterns 0..${table.patternsA - 1}`, {
        hint: 'pass a pattern id of the layer, or -1 for its noise',
      });
    }
    const row = rowOfLabel(patternId, table.patternsA);
    const cols = table.patternsB + 1;
    const members = table.rowSums[row]!;
    const all = Array.from({ length: cols }, (_, col) => {
      const count = table.counts[row * cols + col]!;
      return { patternId: labelOfRow(col, table.patternsB), count, share: members > 0 ? count / members : 0 };
    });
    const shares = all
      .filter((entry) => entry.count > 0 && entry.share >= minShare)
      .sort((x, y) => y.count - x.count || x.patternId - y.patternId)
      .slice(0, limit);
    const listed = shares.reduce((sum, entry) => sum + entry.count, 0);
    return { layer, members, shares, otherShare: members > 0 ? (members - listed) / members : 0 };
  });
}
