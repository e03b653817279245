/**
 * Simplification of a lasso outline (Ramer–Douglas–Peucker): the vertices that matter for the shape
 * within a tolerance, so that a long free-hand stroke becomes a short polygon that fits in a URL.
 */

/** Most vertices a simplified outline keeps; the tolerance grows until it fits. */
export const MAX_VERTICES = 200;

/** Distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function keepWithin(path: readonly number[], tolerance: number): number[] {
  const count = path.length / 2;
  const keep = new Uint8Array(count);
  keep[0] = 1;
  keep[count - 1] = 1;
  const stack: [number, number][] = [[0, count - 1]];
  while (stack.length > 0) {
    const [first, last] = stack.pop()!;
    let farthest = -1;
    let distance = tolerance;
    for (let i = first + 1; i < last; i++) {
      const d = segmentDistance(
        path[2 * i]!,
        path[2 * i + 1]!,
        path[2 * first]!,
        path[2 * first + 1]!,
        path[2 * last]!,
        path[2 * last + 1]!,
      );
      if (d > distance) {
        distance = d;
        farthest = i;
      }
    }
    if (farthest >= 0) {
      keep[farthest] = 1;
      stack.push([first, farthest], [farthest, last]);
    }
  }
  const kept: number[] = [];
  for (let i = 0; i < count; i++) if (keep[i]) kept.push(path[2 * i]!, path[2 * i + 1]!);
  return kept;
}

/**
 * The outline (flat x0, y0, x1, y1, ...) with the vertices that stray more than `tolerance` from the
 * simplified shape, at most `maxVertices` of them (the tolerance doubles until they fit).
 */
export function simplifyPath(path: readonly number[], tolerance: number, maxVertices = MAX_VERTICES): number[] {
  if (path.length / 2 <= 3) return [...path];
  let simplified = keepWithin(path, tolerance);
  for (let t = tolerance * 2; simplified.length / 2 > maxVertices; t *= 2) simplified = keepWithin(path, t);
  return simplified;
}
