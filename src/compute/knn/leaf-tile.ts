import type { DotKernel } from '../hdbscan/kernels/dot-kernel.js';
import { ScanWorkspace } from '../hdbscan/kernels/tiles.js';
import type { BlockRows } from './block-rows.js';
import type { NeighbourLists } from './neighbour-lists.js';
import { scanLeaf } from './tile-scan.js';

/**
 * Compares the rows of leaves with each other, leaf by leaf: one float32 tile product per leaf,
 * whose pairs the SIMD scan offers to both rows' lists. Leaves of one tree are disjoint, so that
 * several threads may each take leaves of the same tree and fill the same (shared) lists.
 */
export class LeafTiles {
  private readonly block: Float32Array;
  private readonly workspace: ScanWorkspace;

  constructor(
    private readonly rows: BlockRows,
    private readonly kernel: DotKernel,
    private readonly lists: NeighbourLists,
    leafSize: number,
  ) {
    this.block = new Float32Array(leafSize * rows.dim);
    this.workspace = new ScanWorkspace(leafSize, leafSize);
  }

  /** Compares the rows `order[start, end)` (one leaf); `unseen`: none of its pairs was offered before. */
  async multiply(order: Int32Array, start: number, end: number, unseen: boolean): Promise<void> {
    const size = end - start;
    const vectors = this.rows.rows(order, start, end, this.block);
    await this.kernel.dot(vectors, size, vectors, size, this.rows.dim, this.workspace.tile);
    scanLeaf(this.workspace, order.subarray(start, end), this.rows.norms, this.lists, unseen);
  }
}
