/**
 * Where a confusion cell's inputs sit in each layer (issue: model errors): for the inputs given label A and
 * predicted B, the patterns they fall into layer by layer, each beside the correctly classified inputs of
 * class B in the same pattern: a pattern that holds both is where the network groups the errors with the
 * class it then predicts. Browser-safe: the app computes it from the tables it holds.
 */
import type { IndexedInputs } from './input-index.js';
import type { MembershipsTable } from './tables.js';

export interface CellLayer {
  clusteringId: number;
  layer: string;
  memberships: MembershipsTable;
}

export interface CellPattern {
  clusteringId: number;
  layer: string;
  patternId: number;
  /** The cell's inputs in the pattern, ascending. */
  cellInputs: number[];
  /** Inputs of the pattern labelled and predicted `predicted` (correctly classified), ascending. */
  peers: number[];
}

/**
 * Per layer (in the order given), the patterns holding at least one of `cell`'s inputs (noise left out),
 * most cell inputs first, then more peers, then pattern id.
 */
export function cellPatterns(
  cell: readonly number[],
  predicted: string,
  layers: readonly CellLayer[],
  inputs: IndexedInputs,
): CellPattern[] {
  const inCell = new Set(cell);
  const out: CellPattern[] = [];
  for (const { clusteringId, layer, memberships } of layers) {
    const byPattern = new Map<number, CellPattern>();
    const { inputIndex, patternId } = memberships;
    for (let row = 0; row < inputIndex.length; row++) {
      const input = inputIndex[row]!;
      if (!inCell.has(input) || patternId[row]! < 0) continue;
      const pattern = patternId[row]!;
      let entry = byPattern.get(pattern);
      if (entry === undefined) {
        entry = { clusteringId, layer, patternId: pattern, cellInputs: [], peers: [] };
        byPattern.set(pattern, entry);
      }
      entry.cellInputs.push(input);
    }
    for (let row = 0; row < inputIndex.length; row++) {
      const entry = byPattern.get(patternId[row]!);
      if (entry === undefined) continue;
      const at = inputs.rows.rowOf(inputIndex[row]!);
      if (at >= 0 && inputs.label[at] === predicted && inputs.predictionLabel[at] === predicted) {
        entry.peers.push(inputIndex[row]!);
      }
    }
    out.push(
      ...[...byPattern.values()].sort(
        (a, b) =>
          b.cellInputs.length - a.cellInputs.length || b.peers.length - a.peers.length || a.patternId - b.patternId,
      ),
    );
  }
  return out;
}
