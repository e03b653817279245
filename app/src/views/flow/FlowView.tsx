/**
 * The alluvial (Sankey) diagram of a run: every layer with patterns as a column of bars (patterns, height
 * by inputs, colour by majority label) and bands between consecutive layers (inputs two patterns share).
 * Each pair of consecutive layers keeps its k heaviest bands between patterns, and their patterns their own
 * bars; every other pattern merges into its layer's "other" bar and the noise into a "noise" bar, so a run
 * of a thousand patterns stays readable. Bars are ordered by barycentre sweeps to
 * keep bands from crossing. Clicking a bar highlights the path of its members through every layer and
 * lists where they go (the lineage) and who they are.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { FlowGraphResponse, PatternsResponse } from '../../../../src/results/api-types.js';
import {
  groupFlowGraph,
  memberPaths,
  OTHER_PATTERNS,
  type GroupedFlow,
} from '../../../../src/results/flow-grouping.js';
import { memberIndices } from '../../../../src/results/members.js';
import { query, useAsync, useQuery } from '../../api.js';
import { categoryColor } from '../../charts/colors.js';
import { markDrawn } from '../../charts/drawn.js';
import { LabelLegend } from '../../charts/label-legend.js';
import { describeInput, ImageTile } from '../../components/ImageTile.js';
import { CARD_EXAMPLES } from '../../components/PatternCard.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import { toggleSelection, type ViewContext } from '../../context.js';
import { labelColorIndex } from '../../data/labels.js';
import { loadMembershipTable, useInputTable } from '../../data/tables.js';
import { formatCount, patternName, plural, shortPatternName } from '../../format.js';
import { hrefOf, navigate } from '../../route.js';
import { FlowNav } from './FlowNav.js';
import { LineageSteps } from './LineageView.js';
import { bandPath, layoutSankey } from './sankey-layout.js';

const WIDTH = 1100;
const NODE_WIDTH = 14;
const GAP = 6;
const HEADER = 28;
/** A bar gets its name only when it is this tall: names of neighbouring bars then never overlap. */
const LABEL_MIN_HEIGHT = 15;
const NOISE_COLOR = '#b8bec6';
const OTHER_COLOR = '#dde1e6';
const LISTED_MEMBERS = 48;
const K_CHOICES: { k: number; name: string }[] = [
  { k: 10, name: '10' },
  { k: 25, name: '25' },
  { k: 50, name: '50' },
  { k: Number.POSITIVE_INFINITY, name: 'all' },
];

interface Selected {
  layerIndex: number;
  patternId: number;
}

/** Majority label of each layer's patterns, by layer index then pattern id. */
type Majorities = (string | null)[][];

function nodeName(patternId: number, merged: number): string {
  if (patternId === -1) return 'noise';
  if (patternId === OTHER_PATTERNS) return `other ${plural(merged, 'pattern')}`;
  return shortPatternName(patternId);
}

function truncate(text: string, room: number): string {
  const chars = Math.max(4, Math.floor(room / 7));
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

function Diagram({
  graph,
  grouped,
  majorities,
  colorIndex,
  selected,
  path,
  onSelect,
}: {
  graph: FlowGraphResponse;
  grouped: GroupedFlow;
  majorities: Majorities;
  colorIndex: (label: string | null) => number;
  selected: Selected | null;
  path: ReturnType<typeof memberPaths> | undefined;
  onSelect: (selected: Selected) => void;
}) {
  const [hovered, setHovered] = useState<number | null>(null);
  const perColumn = graph.layers.map((_, l) => grouped.nodes.filter((n) => n.layerIndex === l).length);
  const height = Math.min(1600, Math.max(320, Math.max(0, ...perColumn) * 18));
  const sankeyGraph = useMemo(
    () => ({
      layers: graph.layers,
      nodes: {
        layerIndex: grouped.nodes.map((n) => n.layerIndex),
        patternId: grouped.nodes.map((n) => n.patternId),
        size: grouped.nodes.map((n) => n.size),
      },
      links: {
        source: grouped.links.map((l) => l.source),
        target: grouped.links.map((l) => l.target),
        count: grouped.links.map((l) => l.count),
      },
    }),
    [graph, grouped],
  );
  const layout = useMemo(
    () => layoutSankey(sankeyGraph, { width: WIDTH, height, nodeWidth: NODE_WIDTH, gap: GAP, keep: () => true }),
    [sankeyGraph, height],
  );
  useEffect(() => markDrawn('flow'));
  const layerName = (l: number) => graph.layers[l]!.layer;
  const nodeColor = (node: number) => {
    const { patternId, layerIndex } = grouped.nodes[node]!;
    if (patternId === -1) return NOISE_COLOR;
    if (patternId === OTHER_PATTERNS) return OTHER_COLOR;
    return categoryColor(colorIndex(majorities[layerIndex]?.[patternId] ?? null));
  };
  const selectedNode = selected ? grouped.nodeOf(selected.layerIndex, selected.patternId) : undefined;
  const onPath = (node: number) => (path ? path.nodes.has(node) : false);
  const step = layout.columns.length > 1 ? layout.columns[1]!.x - layout.columns[0]!.x : WIDTH;
  const linkKey = (source: number, target: number) => `${source}-${target}`;
  const placedLinks = new Map(layout.links.map((link) => [linkKey(link.source, link.target), link]));
  return (
    <svg
      class="sankey"
      viewBox={`-4 ${-HEADER} ${WIDTH + 8} ${height + HEADER + 4}`}
      width="100%"
      role="group"
      aria-label={`Alluvial diagram of ${plural(graph.layers.length, 'layer')}`}
    >
      {layout.columns.map((column, l) => (
        <g key={column.layer}>
          <title>{column.layer}</title>
          <text
            class="sankey-layer"
            x={column.x + (l === layout.columns.length - 1 ? NODE_WIDTH : 0)}
            y={-10}
            text-anchor={l === layout.columns.length - 1 ? 'end' : 'start'}
          >
            {truncate(column.layer, step - 16)}
          </text>
        </g>
      ))}
      <g class="sankey-links">
        {layout.links.map((link) => {
          const active =
            path !== undefined ? false : hovered === null ? null : hovered === link.source || hovered === link.target;
          const source = grouped.nodes[link.source]!;
          const target = grouped.nodes[link.target]!;
          return (
            <path
              key={linkKey(link.source, link.target)}
              class="sankey-link"
              d={link.path}
              stroke={nodeColor(link.source)}
              stroke-width={link.width}
              stroke-opacity={active === null ? 0.4 : active ? 0.75 : 0.1}
              fill="none"
            >
              <title>
                {`${nodeName(source.patternId, source.patterns.length)} of ${layerName(source.layerIndex)} → ${nodeName(target.patternId, target.patterns.length)} of ${layerName(target.layerIndex)}: ${plural(link.count, 'input')}`}
              </title>
            </path>
          );
        })}
      </g>
      {path && (
        <g class="sankey-path">
          {path.links.map((part) => {
            const link = placedLinks.get(linkKey(part.source, part.target));
            if (!link) return null;
            const width = Math.max(1, part.count * layout.scale);
            return (
              <path
                key={linkKey(part.source, part.target)}
                class="sankey-path-link"
                d={bandPath(link.x0, link.top0 + width / 2, link.x1, link.top1 + width / 2)}
                stroke={nodeColor(selectedNode ?? part.source)}
                stroke-width={width}
                stroke-opacity={0.9}
                fill="none"
              >
                <title>{`${plural(part.count, 'member')} of the chosen pattern`}</title>
              </path>
            );
          })}
        </g>
      )}
      {layout.nodes.map((placed) => {
        const node = grouped.nodes[placed.node]!;
        const last = placed.layerIndex === layout.columns.length - 1;
        const majority = node.patternId >= 0 ? (majorities[node.layerIndex]?.[node.patternId] ?? null) : null;
        const label = `${node.patternId === OTHER_PATTERNS ? `${plural(node.patterns.length, 'other pattern')}` : patternName(node.patternId)} of ${layerName(placed.layerIndex)}, ${plural(node.size, 'input')}${majority !== null ? `, mostly ${majority}` : ''}`;
        const selectable = node.patternId !== OTHER_PATTERNS;
        const choose = () => selectable && onSelect({ layerIndex: node.layerIndex, patternId: node.patternId });
        const classes = [
          'sankey-node',
          placed.node === selectedNode ? 'selected' : '',
          path && onPath(placed.node) ? 'on-path' : '',
          path && !onPath(placed.node) ? 'off-path' : '',
        ];
        return (
          <g
            key={placed.node}
            class={classes.filter(Boolean).join(' ')}
            role={selectable ? 'button' : 'img'}
            tabIndex={selectable ? 0 : undefined}
            aria-label={label}
            aria-pressed={selectable ? placed.node === selectedNode : undefined}
            data-layer={layerName(placed.layerIndex)}
            data-pattern={node.patternId}
            onClick={choose}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                choose();
              }
            }}
            onMouseEnter={() => setHovered(placed.node)}
            onMouseLeave={() => setHovered(null)}
            onFocus={() => setHovered(placed.node)}
            onBlur={() => setHovered(null)}
          >
            <title>{selectable ? `${label}. Click to follow its members.` : label}</title>
            <rect x={placed.x} y={placed.y} width={NODE_WIDTH} height={placed.height} fill={nodeColor(placed.node)} />
            {placed.height >= LABEL_MIN_HEIGHT && (
              <text
                class="sankey-label"
                x={last ? placed.x - 4 : placed.x + NODE_WIDTH + 4}
                y={placed.y + placed.height / 2}
                dy="0.35em"
                text-anchor={last ? 'end' : 'start'}
              >
                {nodeName(node.patternId, node.patterns.length)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** The members of the chosen pattern: where they go (its lineage) and the first of them. */
function PathPanel({
  context,
  graph,
  selected,
}: {
  context: ViewContext;
  graph: FlowGraphResponse;
  selected: Selected;
}) {
  const { route, run } = context;
  const flowLayer = graph.layers[selected.layerIndex]!;
  const layer = run?.layers.find((l) => l.layer === flowLayer.layer);
  const lineage = useQuery(
    'lineage',
    run ? { runId: run.runId, layer: flowLayer.layer, patternId: selected.patternId } : null,
  );
  const members = useAsync(`members:${flowLayer.clusteringId}:${selected.patternId}`, async () =>
    memberIndices(await loadMembershipTable(flowLayer.clusteringId), undefined, selected.patternId),
  );
  const inputs = useInputTable(run?.runId ?? null);
  if (!run || !layer) return null;
  const ownHref = hrefOf(route, { view: 'pattern', layer: layer.layer, clustering: null, pattern: selected.patternId });
  return (
    <section class="panel flow-path" aria-labelledby="flow-path-title">
      <div class="panel-heading">
        <h2 id="flow-path-title">
          Path of {patternName(selected.patternId)} <span class="muted">of</span>{' '}
          <span class="mono">{layer.layer}</span>
        </h2>
        <a href={ownHref}>open the pattern</a>
        <button type="button" class="link-button" onClick={() => navigate({ pattern: null }, { replace: true })}>
          clear
        </button>
      </div>
      {lineage.error && <ErrorMessage error={lineage.error} />}
      {lineage.data && (
        <LineageSteps
          context={context}
          lineage={lineage.data}
          layer={layer}
          clusteringId={flowLayer.clusteringId}
          ownHref={ownHref}
        />
      )}
      {members.data && (
        <>
          <h3 class="small">
            {members.data.length > LISTED_MEMBERS
              ? `The first ${LISTED_MEMBERS} of ${formatCount(members.data.length)} members`
              : plural(members.data.length, 'member')}
          </h3>
          <div class="tile-row-tiles wrap flow-members">
            {members.data.slice(0, LISTED_MEMBERS).map((id) => (
              <ImageTile
                key={id}
                runId={run.runId}
                input={describeInput(id, inputs.data)}
                size={44}
                selected={route.selection.includes(id)}
                onToggle={(i) => toggleSelection(route, i)}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

async function loadMajorities(graph: FlowGraphResponse): Promise<Majorities> {
  const all: PatternsResponse[] = await Promise.all(
    graph.layers.map((layer) => query('patterns', { clusteringId: layer.clusteringId, examples: CARD_EXAMPLES })),
  );
  return all.map((patterns) => patterns.patterns.map((p) => p.dominantLabel));
}

async function loadPaths(graph: FlowGraphResponse, grouped: GroupedFlow, selected: Selected) {
  const tables = await Promise.all(graph.layers.map((layer) => loadMembershipTable(layer.clusteringId)));
  const members = memberIndices(tables[selected.layerIndex]!, undefined, selected.patternId);
  return memberPaths(
    graph.layers.length,
    members,
    (l, input) => {
      const table = tables[l]!;
      const row = table.rows.rowOf(input);
      return row < 0 ? undefined : table.patternId[row];
    },
    grouped.nodeOf,
  );
}

export function FlowView({ context }: { context: ViewContext }) {
  const { route, run } = context;
  const [k, setK] = useState(25);
  const graph = useQuery('flowGraph', run ? { runId: run.runId } : null);
  const key = graph.data ? graph.data.layers.map((l) => l.clusteringId).join(',') : null;
  const majorities = useAsync(key === null ? null : `majorities:${key}`, () => loadMajorities(graph.data!));
  const colorIndex = useMemo(() => labelColorIndex(run), [run]);
  const grouped = useMemo(
    () => (graph.data ? groupFlowGraph(graph.data, { k, noise: route.noise }) : undefined),
    [graph.data, k, route.noise],
  );
  const selectedAt =
    graph.data && route.layer !== null ? graph.data.layers.findIndex((l) => l.layer === route.layer) : -1;
  const selected: Selected | null =
    graph.data &&
    selectedAt >= 0 &&
    route.pattern !== null &&
    route.pattern < graph.data.layers[selectedAt]!.patternCount
      ? { layerIndex: selectedAt, patternId: route.pattern }
      : null;
  const paths = useAsync(
    grouped && selected && key !== null
      ? `paths:${key}:${k}:${route.noise}:${selected.layerIndex}:${selected.patternId}`
      : null,
    () => loadPaths(graph.data!, grouped!, selected!),
  );
  if (!run) return <p class="empty">Choose a run.</p>;
  const shownLabels =
    grouped && majorities.data
      ? run.labels.filter((label) =>
          grouped.nodes.some((n) => n.patternId >= 0 && majorities.data![n.layerIndex]?.[n.patternId] === label),
        )
      : [];
  const total = graph.data ? graph.data.nodes.patternId.filter((p) => p >= 0).length : 0;
  return (
    <section class="view flow-view" aria-labelledby="flow-title">
      <div class="view-heading">
        <h1 id="flow-title">Concept flow of {run.name}</h1>
        <FlowNav context={context} />
      </div>
      <p class="summary-line">
        Bars are the patterns of each layer (height: inputs; colour: majority label); bands are the inputs two patterns
        of consecutive layers share. Click a bar to follow its members through every layer.
      </p>
      <div class="controls">
        <label class="field">
          <span>Bands per layer pair</span>
          <select value={String(k)} onChange={(e) => setK(Number(e.currentTarget.value))}>
            {K_CHOICES.map((choice) => (
              <option key={choice.name} value={String(choice.k)}>
                {choice.name === 'all' ? 'all patterns' : `heaviest ${choice.name}`}
              </option>
            ))}
          </select>
        </label>
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
            {plural(graph.data.layers.length, 'layer')} · {formatCount(total)} patterns
            {grouped && grouped.nodes.some((n) => n.patternId === OTHER_PATTERNS) && ' · the rest merged into “other”'}
          </span>
        )}
      </div>
      {graph.error && <ErrorMessage error={graph.error} />}
      {majorities.error && <ErrorMessage error={majorities.error} />}
      {(!graph.data || !majorities.data) && !graph.error && !majorities.error && <Loading what="the flow" />}
      {graph.data && graph.data.layers.length < 2 && (
        <p class="empty">Fewer than two layers of this run have patterns: there is no flow to draw.</p>
      )}
      {graph.data && grouped && majorities.data && graph.data.layers.length >= 2 && (
        <div class="panel sankey-panel">
          <LabelLegend labels={shownLabels} colorIndex={colorIndex} />
          <Diagram
            graph={graph.data}
            grouped={grouped}
            majorities={majorities.data}
            colorIndex={colorIndex}
            selected={selected}
            path={selected ? paths.data : undefined}
            onSelect={(next) =>
              navigate(
                { layer: graph.data!.layers[next.layerIndex]!.layer, clustering: null, pattern: next.patternId },
                { replace: true },
              )
            }
          />
        </div>
      )}
      {graph.data && selected && <PathPanel context={context} graph={graph.data} selected={selected} />}
    </section>
  );
}
