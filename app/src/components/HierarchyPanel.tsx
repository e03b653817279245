/**
 * The layer's hierarchy in the patterns view: the icicle plot of the condensed tree at the current
 * granularity, and, for a picked node (in the URL), its subtree: size, lambda range, the way up, its
 * children and every input it holds. The cards below show the patterns inside it.
 */
import { useMemo } from 'preact/hooks';
import {
  childNodes,
  majorityOf,
  patternsUnder,
  subtreePoints,
  type IcicleLayout,
} from '../../../src/results/icicle-layout.js';
import { IciclePlot } from '../charts/IciclePlot.js';
import { toggleSelection, type ViewContext } from '../context.js';
import type { InputTable, MembershipTable } from '../data/tables.js';
import { formatCount, formatNumber, formatShare, patternName, plural } from '../format.js';
import { navigate } from '../route.js';
import { describeInput, ImageTile } from './ImageTile.js';
import { VirtualGrid } from './VirtualGrid.js';

const TILE = 60;

export interface HierarchyProps {
  context: ViewContext;
  layout: IcicleLayout;
  /** Rows = the tree's points (inputs by ascending index). */
  memberships: MembershipTable;
  inputs: InputTable | undefined;
}

/** Label of each point of the tree (its input's label), for majorities. */
function useLabelOf(memberships: MembershipTable, inputs: InputTable | undefined) {
  return useMemo(
    () =>
      (point: number): string | null => {
        if (!inputs) return null;
        const row = inputs.rows.rowOf(memberships.inputIndex[point]!);
        return row >= 0 ? (inputs.label[row] ?? null) : null;
      },
    [memberships, inputs],
  );
}

/** Node index of the route's node in `layout`, or -1 when none or not in this tree. */
export function activeNode(layout: IcicleLayout, node: number | null): number {
  if (node === null) return -1;
  const index = node - layout.root;
  return index >= 0 && index < layout.count ? index : -1;
}

export function IciclePanel({ context, layout, memberships, inputs }: HierarchyProps) {
  const labelOf = useLabelOf(memberships, inputs);
  return (
    <IciclePlot
      layout={layout}
      labelOf={labelOf}
      active={activeNode(layout, context.route.node)}
      onPick={(node) => navigate({ node: layout.root + node })}
    />
  );
}

function nodeName(layout: IcicleLayout, node: number): string {
  const pattern = layout.pattern[node]!;
  return `cluster ${layout.root + node}${pattern >= 0 ? ` (${patternName(pattern)})` : node === 0 ? ' (root)' : ''}`;
}

export function SubtreePanel({ context, layout, memberships, inputs }: HierarchyProps) {
  const { route } = context;
  const node = activeNode(layout, route.node);
  const labelOf = useLabelOf(memberships, inputs);
  const size = node >= 0 ? layout.x1[node]! - layout.x0[node]! : 0;
  const patterns = useMemo(() => (node >= 0 ? patternsUnder(layout, node) : []), [layout, node]);
  if (route.node === null) return null;
  if (node < 0)
    return (
      <section class="panel subtree">
        <p class="note">
          The tree at this granularity has no cluster {route.node}.{' '}
          <button type="button" class="button" onClick={() => navigate({ node: null })}>
            Show the whole layer
          </button>
        </p>
      </section>
    );
  const majority = majorityOf(layout, node, labelOf);
  const parent = layout.parent[node]!;
  const children = childNodes(layout, node);
  return (
    <section class="panel subtree" aria-labelledby="subtree-title">
      <div class="panel-heading">
        <h2 id="subtree-title">Subtree of {nodeName(layout, node)}</h2>
        {parent >= 0 && (
          <button type="button" class="button subtree-up" onClick={() => navigate({ node: layout.root + parent })}>
            ↑ {nodeName(layout, parent)}
          </button>
        )}
        <button type="button" class="button" onClick={() => navigate({ node: null })}>
          Whole layer
        </button>
      </div>
      <p class="subtree-facts">
        <span class="subtree-size">{plural(size, 'input')}</span> · lambda {formatNumber(layout.birth[node]!)} –{' '}
        {formatNumber(layout.death[node]!)} · {layout.pattern[node]! >= 0 ? 'persistence' : 'stability'}{' '}
        {formatNumber(layout.stability[node]!)}
        {majority && majority.label !== null && (
          <>
            {' '}
            · majority label “{majority.label}” ({formatShare(majority.count / size)})
          </>
        )}
      </p>
      <p class="subtree-patterns">
        {patterns.length === 0
          ? 'No pattern is selected in this subtree at this granularity: its inputs are noise.'
          : `${plural(patterns.length, 'pattern')} in this subtree (the cards below): ${patterns.map((p) => `#${p}`).join(', ')}`}
      </p>
      <p class="subtree-children">
        {children.length === 0
          ? 'No child clusters: its inputs leave it one by one.'
          : `Children (${children.length}): `}
        {children.map((child) => (
          <button
            type="button"
            key={child}
            class="button subtree-child"
            onClick={() => navigate({ node: layout.root + child })}
          >
            {nodeName(layout, child)} · {formatCount(layout.x1[child]! - layout.x0[child]!)}
          </button>
        ))}
      </p>
    </section>
  );
}

/** Every input of the picked node's subtree (below the cards). */
export function SubtreeMembers({ context, layout, memberships, inputs }: HierarchyProps) {
  const { route, run } = context;
  const node = activeNode(layout, route.node);
  const points = useMemo(() => (node >= 0 ? subtreePoints(layout, node) : new Int32Array()), [layout, node]);
  const selected = useMemo(() => new Set(route.selection), [route.selection]);
  if (node < 0) return null;
  const size = points.length;
  return (
    <section class="panel subtree" aria-labelledby="subtree-members-title">
      <h2 id="subtree-members-title">
        Inputs of {nodeName(layout, node)} <span class="count">{formatCount(size)}</span>
      </h2>
      <VirtualGrid
        count={size}
        itemWidth={TILE}
        itemHeight={TILE}
        gap={4}
        label="Subtree members"
        className="subtree-members"
        renderItem={(position) => {
          const inputIndex = memberships.inputIndex[points[position]!]!;
          return (
            <ImageTile
              runId={run!.runId}
              input={describeInput(inputIndex, inputs, memberships)}
              size={TILE - 2}
              selected={selected.has(inputIndex)}
              onToggle={(i) => toggleSelection(route, i)}
            />
          );
        }}
      />
    </section>
  );
}
