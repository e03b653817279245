import type { RowDistance } from '../distance.js';
import type { Screen } from './screen.js';
import { ScanWorkspace, type TileFiller } from './tiles.js';

/**
 * One side of a flush: the node of each row (-1: skip it) and, optionally, their vectors laid out
 * contiguously; without them the flusher gathers each block from the screen's rows.
 */
export interface FlushSide {
  vectors?: Float32Array;
  nodes: Int32Array;
  /**
   * Rows only: a lower bound on the weight of every pair of that row not seen yet (>= its core
   * distance). A pair whose bound reaches the column's key cannot change that key.
   */
  bounds?: Float64Array;
}

/**
 * Lowers the Prim keys of remaining rows (columns) by their exact weights to tree rows, for every
 * pair the screen cannot rule out. A column whose key already equals its core distance cannot drop
 * further and is barred; a tile whose columns are all barred is not even multiplied.
 */
export class PairFlusher {
  private readonly workspace: ScanWorkspace;
  private readonly rowBuffer: Float32Array;
  private readonly columnBuffer: Float32Array;
  /** Pairs multiplied so far (for statistics). */
  pairs = 0;

  constructor(
    private readonly screen: Screen,
    private readonly fill: TileFiller,
    private readonly core: Float64Array,
    private readonly key: Float64Array,
    private readonly distance: RowDistance,
    private readonly edge: number,
  ) {
    this.workspace = new ScanWorkspace(edge, edge);
    this.rowBuffer = new Float32Array(edge * screen.dim);
    this.columnBuffer = new Float32Array(edge * screen.dim);
  }

  /** Rows [start, start + length) of a side: in place, or gathered from the screen into `buffer`. */
  private block(side: FlushSide, start: number, length: number, buffer: Float32Array): Float32Array {
    const { dim, vectors } = this.screen;
    if (side.vectors) return side.vectors.subarray(start * dim, (start + length) * dim);
    const nodes = side.nodes;
    for (let i = 0; i < length; i++) {
      const node = nodes[start + i]!;
      if (node < 0) continue;
      if (dim >= 32) {
        buffer.set(vectors.subarray(node * dim, (node + 1) * dim), i * dim);
      } else {
        for (let k = 0, from = node * dim, to = i * dim; k < dim; k++) buffer[to + k] = vectors[from + k]!;
      }
    }
    return buffer.subarray(0, length * dim);
  }

  /**
   * Sees the column chunks (`edge` columns each) that `claim` hands out until it returns -1 or runs
   * past the end; the caller then re-orders the keys of all `columns`. `tick` runs between tiles.
   */
  async see(rows: FlushSide, columns: FlushSide, claim: () => number, tick: () => Promise<void>): Promise<void> {
    const { screen, core, key, edge, workspace } = this;
    const { dim, norms, scales } = screen;
    const rowCount = rows.nodes.length;
    // Rows to gather are gathered once per call, block by block as first needed, not once per column chunk.
    const gathered = rows.vectors ? undefined : new Float32Array(rowCount * dim);
    const ready = new Uint8Array(Math.ceil(rowCount / edge));
    for (let chunk = claim(); chunk >= 0 && chunk * edge < columns.nodes.length; chunk = claim()) {
      const c0 = chunk * edge;
      const n = Math.min(edge, columns.nodes.length - c0);
      let open = 0;
      let highestKey = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = columns.nodes[c0 + j]!;
        const barred = v < 0 || !(key[v]! > core[v]!);
        workspace.norms[j] = v < 0 ? 0 : norms[v]!;
        workspace.bars[j] = barred ? -Infinity : screen.screenAtLeast(key[v]!, scales[v]!);
        if (!barred) {
          open++;
          if (key[v]! > highestKey) highestKey = key[v]!;
        }
      }
      if (open === 0) continue;
      const columnBlock = this.block(columns, c0, n, this.columnBuffer);
      for (let r0 = 0; r0 < rowCount; r0 += edge) {
        const m = Math.min(edge, rowCount - r0);
        // A row whose core distance reaches every open key cannot lower any of them.
        let useful = false;
        for (let i = 0; i < m && !useful; i++) {
          const u = rows.nodes[r0 + i]!;
          useful = u >= 0 && (rows.bounds ? rows.bounds[r0 + i]! : core[u]!) < highestKey;
        }
        if (!useful) continue;
        this.pairs += m * n;
        let rowBlock: Float32Array;
        if (gathered) {
          rowBlock = gathered.subarray(r0 * dim, (r0 + m) * dim);
          if (!ready[r0 / edge]) this.block(rows, r0, m, rowBlock);
          ready[r0 / edge] = 1;
        } else {
          rowBlock = this.block(rows, r0, m, this.rowBuffer);
        }
        await this.fill(rowBlock, m, columnBlock, n, workspace.tile);
        this.scanTile(rows, r0, m, columns.nodes, c0, n, highestKey);
        await tick();
      }
    }
  }

  private scanTile(
    rows: FlushSide,
    r0: number,
    m: number,
    columnNodes: Int32Array,
    c0: number,
    n: number,
    highestKey: number,
  ): void {
    const { screen, core, key, distance, workspace } = this;
    const { norms, scales } = screen;
    const { bars, hits } = workspace;
    for (let i = 0; i < m; i++) {
      const u = rows.nodes[r0 + i]!;
      if (u < 0) continue;
      const rowCore = core[u]!;
      const rowBound = rows.bounds ? rows.bounds[r0 + i]! : rowCore;
      if (rowBound >= highestKey) continue;
      const found = workspace.scanRow(i * n, n, 0, norms[u]!, -Infinity, 0);
      for (let h = 0; h < found; h++) {
        const j = hits[h]!;
        const v = columnNodes[c0 + j]!;
        const current = key[v]!;
        if (rowBound >= current) continue;
        const w = Math.max(rowCore, core[v]!, distance(u, v));
        if (w < current) {
          key[v] = w;
          bars[j] = w > core[v]! ? screen.screenAtLeast(w, scales[v]!) : -Infinity;
        }
      }
    }
  }
}
