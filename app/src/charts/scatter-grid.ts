/**
 * A uniform grid over the points of a scatter plot, built once per data set, that answers "which point is
 * nearest to the pointer" (hover, click) and "which points lie inside this polygon" (lasso, box) by
 * visiting only the cells that can hold an answer. Cell lists are flat Int32Arrays (CSR layout).
 */

export class PointGrid {
  private constructor(
    private readonly x: Float32Array,
    private readonly y: Float32Array,
    private readonly minX: number,
    private readonly minY: number,
    private readonly cellSize: number,
    private readonly columns: number,
    private readonly rows: number,
    /** Points of cell c are cellPoints[cellStart[c] .. cellStart[c + 1]), ascending. */
    private readonly cellStart: Int32Array,
    private readonly cellPoints: Int32Array,
  ) {}

  /** Indexes the finite points of (x, y) with about `pointsPerCell` points per cell on average. */
  static build(x: Float32Array, y: Float32Array, pointsPerCell = 4): PointGrid {
    if (x.length !== y.length)
      throw new Error(`x has ${x.length} values but y has ${y.length}; give one of each per point`);
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    let finite = 0;
    for (let i = 0; i < x.length; i++) {
      const px = x[i]!;
      const py = y[i]!;
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      finite++;
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
    if (finite === 0) return new PointGrid(x, y, 0, 0, 1, 1, 1, new Int32Array(2), new Int32Array(0));
    const spanX = Math.max(maxX - minX, 1e-9);
    const spanY = Math.max(maxY - minY, 1e-9);
    const wantedCells = Math.max(1, Math.ceil(finite / pointsPerCell));
    const cellSize = Math.max(Math.sqrt((spanX * spanY) / wantedCells), spanX / wantedCells, spanY / wantedCells);
    const columns = Math.floor(spanX / cellSize) + 1;
    const rows = Math.floor(spanY / cellSize) + 1;
    const cellOf = new Int32Array(x.length).fill(-1);
    const cellStart = new Int32Array(columns * rows + 1);
    for (let i = 0; i < x.length; i++) {
      const px = x[i]!;
      const py = y[i]!;
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const cell = Math.floor((py - minY) / cellSize) * columns + Math.floor((px - minX) / cellSize);
      cellOf[i] = cell;
      cellStart[cell + 1]!++;
    }
    for (let c = 0; c < columns * rows; c++) cellStart[c + 1]! += cellStart[c]!;
    const fill = cellStart.slice(0, columns * rows);
    const cellPoints = new Int32Array(finite);
    for (let i = 0; i < x.length; i++) {
      const cell = cellOf[i]!;
      if (cell >= 0) cellPoints[fill[cell]!++] = i;
    }
    return new PointGrid(x, y, minX, minY, cellSize, columns, rows, cellStart, cellPoints);
  }

  private column(x: number): number {
    return Math.min(this.columns - 1, Math.max(0, Math.floor((x - this.minX) / this.cellSize)));
  }

  private row(y: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.minY) / this.cellSize)));
  }

  /** The point nearest to (px, py) within `radius` (data units), -1 when none; ties go to the lower index. */
  nearest(px: number, py: number, radius: number): number {
    let best = -1;
    let bestDistance = radius * radius;
    const c0 = this.column(px - radius);
    const c1 = this.column(px + radius);
    const r0 = this.row(py - radius);
    const r1 = this.row(py + radius);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.columns + c;
        for (let k = this.cellStart[cell]!; k < this.cellStart[cell + 1]!; k++) {
          const i = this.cellPoints[k]!;
          const dx = this.x[i]! - px;
          const dy = this.y[i]! - py;
          const distance = dx * dx + dy * dy;
          if (distance < bestDistance || (distance === bestDistance && best !== -1 && i < best)) {
            best = i;
            bestDistance = distance;
          }
        }
      }
    }
    return best;
  }

  /** Indices (ascending) of the points inside the polygon (flat x0, y0, x1, y1, ... in data units; even-odd rule). */
  inPolygon(polygon: ArrayLike<number>): Int32Array {
    const vertices = Math.floor(polygon.length / 2);
    if (vertices < 3) return new Int32Array(0);
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let v = 0; v < vertices; v++) {
      minX = Math.min(minX, polygon[2 * v]!);
      maxX = Math.max(maxX, polygon[2 * v]!);
      minY = Math.min(minY, polygon[2 * v + 1]!);
      maxY = Math.max(maxY, polygon[2 * v + 1]!);
    }
    const found: number[] = [];
    const c0 = this.column(minX);
    const c1 = this.column(maxX);
    for (let r = this.row(minY); r <= this.row(maxY); r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.columns + c;
        for (let k = this.cellStart[cell]!; k < this.cellStart[cell + 1]!; k++) {
          const i = this.cellPoints[k]!;
          const px = this.x[i]!;
          const py = this.y[i]!;
          if (px >= minX && px <= maxX && py >= minY && py <= maxY && insidePolygon(polygon, px, py)) found.push(i);
        }
      }
    }
    return Int32Array.from(found).sort();
  }
}

/** Whether (px, py) lies inside the polygon (flat x0, y0, x1, y1, ...), by the even-odd rule. */
export function insidePolygon(polygon: ArrayLike<number>, px: number, py: number): boolean {
  const vertices = Math.floor(polygon.length / 2);
  let inside = false;
  for (let i = 0, j = vertices - 1; i < vertices; j = i++) {
    const xi = polygon[2 * i]!;
    const yi = polygon[2 * i + 1]!;
    const xj = polygon[2 * j]!;
    const yj = polygon[2 * j + 1]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
