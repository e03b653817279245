/**
 * Layout of the alluvial (Sankey) diagram of a run: one column per layer, one bar per pattern (height by
 * inputs), bands between consecutive layers (width by shared inputs). Bars are ordered to keep bands
 * short: the first layer by size, then each layer by the weighted mean position of where its inputs come
 * from, refined by backward and forward barycentre sweeps; merged patterns ("other") and noise
 * always sit at the bottom of their column, noise last.
 */
import type { FlowGraphResponse } from '../../../../src/results/api-types.js';
import { OTHER_PATTERNS } from '../../../../src/results/flow-grouping.js';

/** Back-and-forth sweeps after the first pass; each lowers crossings or leaves the order as it is. */
const SWEEPS = 4;

/** The graph the layout needs: layer names, nodes and links as in the API's flow graph. */
export type SankeyGraph = { layers: { layer: string }[] } & Pick<FlowGraphResponse, 'nodes' | 'links'>;

export interface SankeyOptions {
  width: number;
  height: number;
  nodeWidth: number;
  /** Vertical space between bars of a column. */
  gap: number;
  /** Which nodes to draw (e.g. no noise); bands touching a hidden node are left out. */
  keep: (node: number) => boolean;
}

export interface PlacedNode {
  /** Index in the graph's nodes. */
  node: number;
  layerIndex: number;
  patternId: number;
  size: number;
  x: number;
  y: number;
  height: number;
}

export interface PlacedLink {
  /** Indices in the graph's nodes. */
  source: number;
  target: number;
  count: number;
  width: number;
  /** Top edges of the band where it leaves its source and reaches its target. */
  top0: number;
  top1: number;
  x0: number;
  x1: number;
  /** SVG path of the band's center line; draw it with stroke-width `width`. */
  path: string;
}

export interface SankeyLayout {
  columns: { layer: string; x: number }[];
  nodes: PlacedNode[];
  links: PlacedLink[];
  /** Pixels per input, on bars and bands alike. */
  scale: number;
}

function weightedMean(pairs: [number, number][]): number | undefined {
  let sum = 0;
  let weight = 0;
  for (const [value, w] of pairs) {
    sum += value * w;
    weight += w;
  }
  return weight > 0 ? sum / weight : undefined;
}

export function layoutSankey(graph: SankeyGraph, options: SankeyOptions): SankeyLayout {
  const { width, height, nodeWidth, keep } = options;
  const layerCount = graph.layers.length;
  const { layerIndex, patternId, size } = graph.nodes;
  const columns: number[][] = Array.from({ length: layerCount }, () => []);
  layerIndex.forEach((l, node) => {
    if (keep(node)) columns[l]!.push(node);
  });
  const links = graph.links.source
    .map((source, k) => ({ source, target: graph.links.target[k]!, count: graph.links.count[k]! }))
    .filter((link) => keep(link.source) && keep(link.target));

  // Order: rank of each node within its column.
  const rank = new Float64Array(layerIndex.length);
  const bottom = (node: number) => (patternId[node] === -1 ? 2 : patternId[node] === OTHER_PATTERNS ? 1 : 0);
  const sortColumn = (column: number[], key: (node: number) => number) => {
    column.sort((a, b) => bottom(a) - bottom(b) || key(a) - key(b) || patternId[a]! - patternId[b]!);
    column.forEach((node, i) => (rank[node] = i));
  };
  const incoming = new Map<number, [number, number][]>();
  const outgoing = new Map<number, [number, number][]>();
  const add = (map: Map<number, [number, number][]>, node: number, entry: [number, number]) => {
    const list = map.get(node);
    if (list) list.push(entry);
    else map.set(node, [entry]);
  };
  for (const link of links) {
    add(incoming, link.target, [link.source, link.count]);
    add(outgoing, link.source, [link.target, link.count]);
  }
  const barycenter = (neighbours: Map<number, [number, number][]>) => (node: number) =>
    weightedMean((neighbours.get(node) ?? []).map(([other, count]) => [rank[other]!, count])) ?? rank[node]!;
  if (columns.length > 0) sortColumn(columns[0]!, (node) => -size[node]!);
  for (let l = 1; l < layerCount; l++) sortColumn(columns[l]!, barycenter(incoming));
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (let l = layerCount - 2; l >= 0; l--) sortColumn(columns[l]!, barycenter(outgoing));
    for (let l = 1; l < layerCount; l++) sortColumn(columns[l]!, barycenter(incoming));
  }

  const totals = columns.map((column) => column.reduce((sum, node) => sum + size[node]!, 0));
  // Many patterns in a column: the gaps shrink so that they never take more than 40% of the height.
  const crowded = Math.max(1, ...columns.map((column) => column.length - 1));
  const gap = Math.min(options.gap, (0.4 * height) / crowded);
  const usable = Math.min(...columns.map((column) => height - gap * Math.max(0, column.length - 1)));
  const scale = Math.max(0, usable) / Math.max(1, ...totals);
  const step = layerCount > 1 ? (width - nodeWidth) / (layerCount - 1) : 0;
  const placed = new Map<number, PlacedNode>();
  columns.forEach((column, l) => {
    const used = totals[l]! * scale + gap * Math.max(0, column.length - 1);
    let y = (height - used) / 2;
    for (const node of column) {
      const nodeHeight = Math.max(1, size[node]! * scale);
      placed.set(node, {
        node,
        layerIndex: l,
        patternId: patternId[node]!,
        size: size[node]!,
        x: l * step,
        y,
        height: nodeHeight,
      });
      y += size[node]! * scale + gap;
    }
  });

  // Bands leave a bar in the order of their other ends, so they do not cross at the bar.
  const sourceOffset = new Map<number, number>();
  const targetOffset = new Map<number, number>();
  const bySourceEnd = [...links].sort((a, b) => placed.get(a.target)!.y - placed.get(b.target)!.y);
  const byTargetEnd = [...links].sort((a, b) => placed.get(a.source)!.y - placed.get(b.source)!.y);
  const startY = new Map<(typeof links)[number], number>();
  const endY = new Map<(typeof links)[number], number>();
  for (const link of bySourceEnd) {
    const offset = sourceOffset.get(link.source) ?? 0;
    startY.set(link, placed.get(link.source)!.y + offset + (link.count * scale) / 2);
    sourceOffset.set(link.source, offset + link.count * scale);
  }
  for (const link of byTargetEnd) {
    const offset = targetOffset.get(link.target) ?? 0;
    endY.set(link, placed.get(link.target)!.y + offset + (link.count * scale) / 2);
    targetOffset.set(link.target, offset + link.count * scale);
  }
  const placedLinks = links.map((link) => {
    const x0 = placed.get(link.source)!.x + nodeWidth;
    const x1 = placed.get(link.target)!.x;
    const y0 = startY.get(link)!;
    const y1 = endY.get(link)!;
    return {
      ...link,
      width: Math.max(0.5, link.count * scale),
      top0: y0 - (link.count * scale) / 2,
      top1: y1 - (link.count * scale) / 2,
      x0,
      x1,
      path: bandPath(x0, y0, x1, y1),
    };
  });
  return {
    columns: graph.layers.map((layer, l) => ({ layer: layer.layer, x: l * step })),
    nodes: [...placed.values()],
    links: placedLinks,
    scale,
  };
}

/** SVG path of a band's center line from (x0, y0) to (x1, y1). */
export function bandPath(x0: number, y0: number, x1: number, y1: number): string {
  const middle = (x0 + x1) / 2;
  const f = (v: number) => v.toFixed(1);
  return `M${f(x0)},${f(y0)}C${f(middle)},${f(y0)} ${f(middle)},${f(y1)} ${f(x1)},${f(y1)}`;
}
