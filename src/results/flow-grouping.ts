/**
 * The alluvial graph of a run cut down to what a reader can follow, browser-safe: between each pair of
 * consecutive layers the k heaviest pattern-to-pattern bands keep their two patterns as nodes of their own
 * (a layer of at most k patterns keeps them all); every other pattern of a layer merges into one "other" node and the noise into a "noise" node, and bands
 * between merged nodes add up. Also the bands one set of inputs (a pattern's members) takes through every
 * layer, on the same nodes, to highlight their path.
 */
import type { FlowGraphResponse } from './api-types.js';
import { topK } from './seriation.js';

/** Pattern id of a layer's node of merged smaller patterns (noise is -1). */
export const OTHER_PATTERNS = -2;

export interface GroupedNode {
  layerIndex: number;
  /** A pattern id, -1 for the layer's noise, OTHER_PATTERNS for the merged smaller patterns. */
  patternId: number;
  size: number;
  /** Patterns merged into this node (one for a pattern's own node, none for noise). */
  patterns: number[];
}

export interface GroupedLink {
  /** Indices in the grouped nodes. */
  source: number;
  target: number;
  count: number;
}

export interface GroupedFlow {
  nodes: GroupedNode[];
  links: GroupedLink[];
  /** Node of each layer's pattern (index: layer, then pattern id; -1 for noise); undefined where hidden. */
  nodeOf: (layerIndex: number, patternId: number) => number | undefined;
}

export interface GroupingOptions {
  /**
   * Pattern-to-pattern bands kept per pair of consecutive layers (heaviest first, ties by graph order): their
   * patterns keep their own node (a middle layer's kept patterns are those of both its pairs). A layer of
   * at most k patterns keeps them all; Infinity keeps every pattern.
   */
  k: number;
  /** Whether the noise nodes (and their bands) stay. */
  noise: boolean;
}

type Graph = Pick<FlowGraphResponse, 'layers' | 'nodes' | 'links'>;

/** Graph nodes at either end of one of the k heaviest pattern-to-pattern links of their layer pair. */
function endsOfTopLinks(graph: Graph, k: number): Set<number> {
  const { layerIndex, patternId } = graph.nodes;
  const { source, target, count } = graph.links;
  const byPair = new Map<number, number[]>();
  source.forEach((from, link) => {
    if (patternId[from]! < 0 || patternId[target[link]!]! < 0) return;
    const pair = layerIndex[from]!;
    const links = byPair.get(pair);
    if (links) links.push(link);
    else byPair.set(pair, [link]);
  });
  const kept = new Set<number>();
  for (const links of byPair.values()) {
    for (const link of topK(links, (l) => count[l]!, k)) {
      kept.add(source[link]!);
      kept.add(target[link]!);
    }
  }
  return kept;
}

/**
 * Groups the graph: the patterns of each layer pair's k heaviest bands, one "other" node per layer for
 * the rest and (optionally) one noise node.
 */
export function groupFlowGraph(graph: Graph, options: GroupingOptions): GroupedFlow {
  const { layerIndex, patternId, size } = graph.nodes;
  const layerCount = graph.layers.length;
  const byLayer: number[][] = Array.from({ length: layerCount }, () => []);
  layerIndex.forEach((l, node) => byLayer[l]!.push(node));
  const nodes: GroupedNode[] = [];
  // Graph node -> grouped node.
  const target = new Int32Array(layerIndex.length).fill(-1);
  const keys = Array.from({ length: layerCount }, () => new Map<number, number>());
  const kept = Number.isFinite(options.k) ? endsOfTopLinks(graph, options.k) : null;
  byLayer.forEach((members, l) => {
    const patterns = members.filter((node) => patternId[node]! >= 0);
    const own = (node: number) => kept === null || patterns.length <= options.k || kept.has(node);
    let other = -1;
    for (const node of patterns) {
      if (own(node)) {
        target[node] = nodes.length;
        nodes.push({ layerIndex: l, patternId: patternId[node]!, size: size[node]!, patterns: [patternId[node]!] });
      }
    }
    for (const node of patterns) {
      if (own(node)) continue;
      if (other < 0) {
        other = nodes.length;
        nodes.push({ layerIndex: l, patternId: OTHER_PATTERNS, size: 0, patterns: [] });
      }
      target[node] = other;
      nodes[other]!.size += size[node]!;
      nodes[other]!.patterns.push(patternId[node]!);
    }
    for (const node of members) {
      if (patternId[node]! >= 0 || !options.noise) continue;
      target[node] = nodes.length;
      nodes.push({ layerIndex: l, patternId: -1, size: size[node]!, patterns: [] });
    }
    for (const node of members) if (target[node]! >= 0) keys[l]!.set(patternId[node]!, target[node]!);
  });
  const counts = new Map<number, number>();
  const stride = nodes.length;
  graph.links.source.forEach((source, k) => {
    const from = target[source]!;
    const to = target[graph.links.target[k]!]!;
    if (from < 0 || to < 0) return;
    const key = from * stride + to;
    counts.set(key, (counts.get(key) ?? 0) + graph.links.count[k]!);
  });
  const links = [...counts]
    .map(([key, count]) => ({ source: Math.floor(key / stride), target: key % stride, count }))
    .sort((a, b) => a.source - b.source || a.target - b.target);
  return { nodes, links, nodeOf: (l, p) => keys[l]?.get(p) };
}

/**
 * The bands that `members` take through the grouped nodes: for each member and each pair of consecutive
 * layers where both hold it, one count on the band between its two nodes. `patternOf(layer, input)` is the
 * member's pattern in a layer (-1 noise), undefined when that layer's clustering does not hold it.
 */
export function memberPaths(
  layerCount: number,
  members: readonly number[],
  patternOf: (layerIndex: number, input: number) => number | undefined,
  nodeOf: GroupedFlow['nodeOf'],
): { links: GroupedLink[]; nodes: Map<number, number> } {
  const links = new Map<string, GroupedLink>();
  const nodes = new Map<number, number>();
  for (const input of members) {
    let previous: number | undefined;
    for (let l = 0; l < layerCount; l++) {
      const pattern = patternOf(l, input);
      const node = pattern === undefined ? undefined : nodeOf(l, pattern);
      if (node !== undefined) nodes.set(node, (nodes.get(node) ?? 0) + 1);
      if (node !== undefined && previous !== undefined) {
        const key = `${previous}:${node}`;
        const link = links.get(key);
        if (link) link.count++;
        else links.set(key, { source: previous, target: node, count: 1 });
      }
      previous = node;
    }
  }
  return { links: [...links.values()], nodes };
}
