import type { DotKernel } from '../hdbscan/kernels/dot-kernel.js';
import { ScanWorkspace } from '../hdbscan/kernels/tiles.js';
import type { BlockRows } from './block-rows.js';
import type { NeighbourLists } from './neighbour-lists.js';
import { prepareLeafColumns, scanLeafBand } from './tile-scan.js';

/**
 * Rows per band of a leaf's product (see LeafTiles.multiply). A leaf's tile is symmetric and only its
 * upper triangle is scanned: bands of its rows, each multiplied with the leaf's rows from the band's
 * first on, skip the blocks below the diagonal, 25% of the products and of the float32 results of a
 * 256-row leaf in two bands. MLAS may round a thin product's elements differently from a square one's
 * (bands under about 75 rows at 512 dimensions and more); at 128 rows scripts/bench-hdbscan.ts's
 * labels stayed byte-identical on every row.
 */
const BAND_ROWS = 128;

/**
 * Rows up to this wide take each leaf in one product: there a product costs little beside its call
 * and the copy ONNX Runtime makes of its result, and bands took as much CPU time as they saved or
 * more (0.96-1.17x at 2000 x 64 and 10,000 x 64 in scripts/bench-hdbscan.ts, against 0.88-0.92x at
 * 512 and 2048 dimensions; measured under load).
 */
const BAND_DIMS = 128;

/**
 * Compares the rows of leaves with each other, leaf by leaf: float32 tile products of bands of its rows,
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
    const { dim, norms } = this.rows;
    const vectors = this.rows.rows(order, start, end, this.block);
    const ids = order.subarray(start, end);
    prepareLeafColumns(this.workspace, ids, norms, this.lists);
    const bands = dim > BAND_DIMS ? Math.max(1, Math.round(size / BAND_ROWS)) : 1;
    for (let band = 0; band < bands; band++) {
      const first = Math.floor((band * size) / bands);
      const last = Math.floor(((band + 1) * size) / bands);
      const fromFirst = vectors.subarray(first * dim);
      await this.kernel.dot(fromFirst, last - first, fromFirst, size - first, dim, this.workspace.tile);
      scanLeafBand(this.workspace, ids, first, last, this.lists, unseen);
    }
  }
}
