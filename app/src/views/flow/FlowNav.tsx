/** The three views of concept flow, as a segmented switch; each keeps what the others can use (layer, pattern). */
import type { ViewContext } from '../../context.js';
import { hrefOf, type ViewName } from '../../route.js';

const PARTS: { view: ViewName; name: string }[] = [
  { view: 'flow', name: 'Alluvial' },
  { view: 'jaccard', name: 'Jaccard matrix' },
  { view: 'lineage', name: 'Lineage' },
];

export function FlowNav({ context }: { context: ViewContext }) {
  const { route, layer } = context;
  return (
    <nav class="segmented flow-nav" aria-label="Flow views">
      {PARTS.map((part) => (
        <a
          key={part.view}
          class={`button${route.view === part.view ? ' on' : ''}`}
          aria-current={route.view === part.view ? 'page' : undefined}
          href={hrefOf(route, { view: part.view, layer: route.layer ?? layer?.layer ?? null })}
        >
          {part.name}
        </a>
      ))}
    </nav>
  );
}

/** Layers of the run that have patterns, in model order: the layers that take part in the flow. */
export function flowLayers(context: ViewContext): string[] {
  return (context.run?.layers ?? [])
    .filter((layer) => layer.clusterings.some((c) => c.unit === null))
    .map((layer) => layer.layer);
}
