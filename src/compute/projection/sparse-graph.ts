/** A weighted graph in compressed sparse rows; row i's edges are rowStart[i] .. rowStart[i + 1). */
export interface SparseGraph {
  count: number;
  rowStart: Int32Array;
  columns: Int32Array;
  weights: Float64Array;
}

/** Connected component of every vertex, numbered 0, 1, ... in order of each component's first vertex. */
export function connectedComponents(graph: SparseGraph): { labels: Int32Array; count: number } {
  const labels = new Int32Array(graph.count).fill(-1);
  const stack = new Int32Array(graph.count);
  let components = 0;
  for (let start = 0; start < graph.count; start++) {
    if (labels[start]! >= 0) continue;
    labels[start] = components;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const vertex = stack[--top]!;
      for (let e = graph.rowStart[vertex]!; e < graph.rowStart[vertex + 1]!; e++) {
        const other = graph.columns[e]!;
        if (labels[other]! < 0) {
          labels[other] = components;
          stack[top++] = other;
        }
      }
    }
    components++;
  }
  return { labels, count: components };
}

/** The subgraph on `vertices` (ascending), renumbered 0 .. vertices.length - 1. */
export function inducedSubgraph(graph: SparseGraph, vertices: Int32Array): SparseGraph {
  const position = new Int32Array(graph.count).fill(-1);
  vertices.forEach((vertex, i) => (position[vertex] = i));
  const rowStart = new Int32Array(vertices.length + 1);
  const columns: number[] = [];
  const weights: number[] = [];
  vertices.forEach((vertex, i) => {
    for (let e = graph.rowStart[vertex]!; e < graph.rowStart[vertex + 1]!; e++) {
      const other = position[graph.columns[e]!]!;
      if (other < 0) continue;
      columns.push(other);
      weights.push(graph.weights[e]!);
    }
    rowStart[i + 1] = columns.length;
  });
  return { count: vertices.length, rowStart, columns: Int32Array.from(columns), weights: Float64Array.from(weights) };
}
