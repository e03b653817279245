/**
 * The alluvial (Sankey) diagram of a run: every layer with patterns as a column of bars (patterns, height
 * by inputs) and bands between consecutive layers (inputs two patterns share). A bar opens the pattern's
 * lineage; hovering one brings its bands forward.
 */
import { useMemo, useState } from 'preact/hooks';
import { type FlowGraphResponse } from '../../../../src/results/api-types.js';
import { useQuery } from '../../api.js';
import { categoryColor } from '../../charts/colors.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { formatCount, patternName, plural, shortPatternName } from '../../format.js';
import { navigate } from '../../route.js';
import { FlowNav } from './FlowNav.js';
import { layoutSankey } from './sankey-layout.js';

const WIDTH = 1100;
const NODE_WIDTH = 14;
const GAP = 6;
const HEADER = 28;
const LABEL_MIN_HEIGHT = 9;

function nodeColor(patternId: number): string {
  return patternId === -1 ? '#b8bec6' : categoryColor(patternId);
}

function Diagram({ graph, showNoise }: { graph: FlowGraphResponse; showNoise: boolean }) {
  const [hovered, setHovered] = useState<number | null>(null);
  const perColumn = graph.layers.map(
    (_, l) =>
      graph.nodes.layerIndex.filter((x, node) => x === l && (showNoise || graph.nodes.patternId[node] !== -1)).length,
  );
  const height = Math.min(1600, Math.max(320, Math.max(0, ...perColumn) * 16));
  const layout = useMemo(
    () =>
      layoutSankey(graph, {
        width: WIDTH,
        height,
        nodeWidth: NODE_WIDTH,
        gap: GAP,
        keep: (node) => showNoise || graph.nodes.patternId[node] !== -1,
      }),
    [graph, height, showNoise],
  );
  const layerName = (l: number) => graph.layers[l]!.layer;
  const openLineage = (layerIndex: number, patternId: number) =>
    navigate({ view: 'lineage', layer: layerName(layerIndex), pattern: patternId, clustering: null });
  return (
    <svg
      class="sankey"
      viewBox={`-4 ${-HEADER} ${WIDTH + 8} ${height + HEADER + 4}`}
      width="100%"
      role="group"
      aria-label={`Alluvial diagram of ${plural(graph.layers.length, 'layer')}`}
    >
      {layout.columns.map((column, l) => (
        <text
          key={column.layer}
          class="sankey-layer"
          x={column.x + (l === layout.columns.length - 1 ? NODE_WIDTH : 0)}
          y={-10}
          text-anchor={l === layout.columns.length - 1 ? 'end' : 'start'}
        >
          {column.layer}
        </text>
      ))}
      <g class="sankey-links">
        {layout.links.map((link) => {
          const source = graph.nodes;
          const active = hovered === null ? null : hovered === link.source || hovered === link.target;
          return (
            <path
              key={`${link.source}-${link.target}`}
              class="sankey-link"
              d={link.path}
              stroke={nodeColor(source.patternId[link.source]!)}
              stroke-width={link.width}
              stroke-opacity={active === null ? 0.35 : active ? 0.75 : 0.08}
              fill="none"
            >
              <title>
                {`${patternName(source.patternId[link.source]!)} of ${layerName(source.layerIndex[link.source]!)} → ${patternName(source.patternId[link.target]!)} of ${layerName(source.layerIndex[link.target]!)}: ${plural(link.count, 'input')}`}
              </title>
            </path>
          );
        })}
      </g>
      {layout.nodes.map((node) => {
        const last = node.layerIndex === layout.columns.length - 1;
        const label = `${patternName(node.patternId)} of ${layerName(node.layerIndex)}, ${plural(node.size, 'input')}`;
        return (
          <g
            key={node.node}
            class="sankey-node"
            role="link"
            tabIndex={0}
            aria-label={label}
            data-layer={layerName(node.layerIndex)}
            data-pattern={node.patternId}
            onClick={() => openLineage(node.layerIndex, node.patternId)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                openLineage(node.layerIndex, node.patternId);
              }
            }}
            onMouseEnter={() => setHovered(node.node)}
            onMouseLeave={() => setHovered(null)}
            onFocus={() => setHovered(node.node)}
            onBlur={() => setHovered(null)}
          >
            <title>{`${label}. Open its lineage.`}</title>
            <rect x={node.x} y={node.y} width={NODE_WIDTH} height={node.height} fill={nodeColor(node.patternId)} />
            {node.height >= LABEL_MIN_HEIGHT && (
              <text
                class="sankey-label"
                x={last ? node.x - 4 : node.x + NODE_WIDTH + 4}
                y={node.y + node.height / 2}
                dy="0.35em"
                text-anchor={last ? 'end' : 'start'}
              >
                {shortPatternName(node.patternId)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function FlowView({ context }: { context: ViewContext }) {
  const { route, run } = context;
  const graph = useQuery('flowGraph', run ? { runId: run.runId } : null);
  if (!run) return <p class="empty">Choose a run.</p>;
  return (
    <section class="view flow-view" aria-labelledby="flow-title">
      <div class="view-heading">
        <h1 id="flow-title">Concept flow of {run.name}</h1>
        <FlowNav context={context} />
      </div>
      <p class="summary-line">
        Bars are the patterns of each layer (height: inputs); bands are the inputs two patterns of consecutive layers
        share. Click a bar for the pattern’s lineage.
      </p>
      <div class="controls">
        <label class="field check">
          <input
            type="checkbox"
            checked={route.noise}
            onChange={(e) => navigate({ noise: e.currentTarget.checked }, { replace: true })}
          />
          <span>Show noise</span>
        </label>
        {graph.data && (
          <span class="muted">
            {plural(graph.data.layers.length, 'layer')} ·{' '}
            {formatCount(graph.data.nodes.patternId.filter((p) => p >= 0).length)} patterns
          </span>
        )}
      </div>
      {graph.error && <ErrorMessage error={graph.error} />}
      {!graph.data && !graph.error && <Loading what="the flow" />}
      {graph.data && graph.data.layers.length < 2 && (
        <p class="empty">Fewer than two layers of this run have patterns: there is no flow to draw.</p>
      )}
      {graph.data && graph.data.layers.length >= 2 && (
        <div class="panel sankey-panel">
          <Diagram graph={graph.data} showNoise={route.noise} />
        </div>
      )}
    </section>
  );
}
