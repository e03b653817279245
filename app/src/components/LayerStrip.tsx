/** The model's layers as a strip of boxes (name, operation, units, pattern count, coverage); choosing one keeps the view. */
import type { LayerSummary } from '../../../src/results/api-types.js';
import type { ViewContext } from '../context.js';
import { defaultClustering } from '../data/catalog.js';
import { hardCoverage } from '../data/coverage.js';
import { formatCount, formatShare } from '../format.js';
import { hrefOf } from '../route.js';
import { viewDefinition } from '../views/registry.js';

function shapeOf(layer: LayerSummary): string {
  return layer.rawDims.join('×');
}

export function LayerStrip({ context }: { context: ViewContext }) {
  const { route, run, layer: current } = context;
  if (!run) return null;
  const scope = viewDefinition(route.view).layer;
  const view = scope === 'keep' ? route.view : 'layer';
  return (
    <nav class="layer-strip" aria-label="Layers">
      <ol>
        {run.layers.map((layer, index) => {
          const clustering = defaultClustering(layer);
          const selected = layer === current && scope !== undefined;
          return (
            <li key={layer.layer}>
              {index > 0 && (
                <span class="layer-arrow" aria-hidden="true">
                  →
                </span>
              )}
              <a
                class={`layer-box${selected ? ' current' : ''}`}
                aria-current={selected ? 'true' : undefined}
                href={hrefOf(route, {
                  view,
                  layer: layer.layer,
                  clustering: null,
                  pattern: null,
                  region: [],
                  unit: null,
                  to: layer.layer === route.to ? null : route.to,
                })}
                title={`${layer.layer}\n${layer.opType} · output ${shapeOf(layer)} · ${layer.aggregation} → ${layer.dim} units`}
              >
                <span class="layer-name">{layer.layer}</span>
                <span class="layer-meta">
                  {layer.opType} · {formatCount(layer.dim)} units
                </span>
                <span class="layer-count">
                  {clustering ? (
                    <>
                      <strong>{formatCount(clustering.patternCount)}</strong> patterns
                    </>
                  ) : (
                    'not clustered'
                  )}
                </span>
                {clustering && (
                  <span class="layer-coverage" title="Share of the run's inputs in a pattern (the rest is noise)">
                    {formatShare(hardCoverage(clustering, run.inputCount).share)} in a pattern
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
