/** Layer-wide facts: shape, aggregation, its clusterings and unit patterns, and per-unit statistics over all inputs. */
import { Fragment } from 'preact';
import { useQuery } from '../api.js';
import { ACCENT } from '../charts/colors.js';
import { aggregatedColumnName } from '../../../src/results/unit-columns.js';
import { UnitStatsChart } from '../charts/UnitStatsChart.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import { UnitChartControls } from '../components/UnitChartControls.js';
import type { ViewContext } from '../context.js';
import { defaultClustering, unitClusterings } from '../data/catalog.js';
import { formatCount, jsonValueText } from '../format.js';
import { hrefOf, navigate } from '../route.js';

function paramsText(params: unknown): string {
  if (params === null || typeof params !== 'object') return String(params);
  return Object.entries(params as Record<string, unknown>)
    .map(([key, value]) => `${key} ${jsonValueText(value)}`)
    .join(' · ');
}

export function LayerStatsView({ context }: { context: ViewContext }) {
  const { route, run, layer } = context;
  const stats = useQuery('layerStats', run && layer ? { runId: run.runId, layer: layer.layer } : null);
  if (!run || !layer) return <p class="empty">Choose a run and a layer.</p>;
  const fallback = defaultClustering(layer);
  const layerClusterings = layer.clusterings.filter((c) => c.unit === null);
  const units = unitClusterings(layer);
  return (
    <section class="view stats-view" aria-labelledby="stats-title">
      <div class="view-heading">
        <h1 id="stats-title">
          Layer <span class="mono">{layer.layer}</span>
        </h1>
      </div>
      <div class="panel">
        <dl class="facts wide">
          <dt>operation</dt>
          <dd>{layer.opType}</dd>
          <dt>output per input</dt>
          <dd>{layer.rawDims.join(' × ')}</dd>
          <dt>aggregation</dt>
          <dd>{layer.aggregation}</dd>
          <dt>units</dt>
          <dd>{formatCount(layer.dim)}</dd>
          <dt>inputs</dt>
          <dd>{formatCount(run.inputCount)}</dd>
        </dl>
      </div>
      <section class="panel" aria-labelledby="clusterings-title">
        <div class="panel-heading">
          <h2 id="clusterings-title">Clusterings</h2>
        </div>
        {layerClusterings.length === 0 ? (
          <p class="muted">Not clustered.</p>
        ) : (
          <table class="table compact">
            <thead>
              <tr>
                <th>Id</th>
                <th>Parameters</th>
                <th>Patterns</th>
                <th>Noise</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {layerClusterings.map((c) => (
                <tr key={c.clusteringId}>
                  <td>
                    <a
                      href={hrefOf(route, {
                        view: 'layer',
                        clustering: c === fallback ? null : c.clusteringId,
                        pattern: null,
                      })}
                    >
                      {c.clusteringId}
                    </a>
                    {c === fallback && <span class="muted"> (shown)</span>}
                  </td>
                  <td class="mono small">{paramsText(c.params)}</td>
                  <td>{formatCount(c.patternCount)}</td>
                  <td>{formatCount(c.noiseCount)}</td>
                  <td>{new Date(c.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {units.length > 0 && (
          <p>
            Unit patterns computed for {formatCount(units.length)} units:{' '}
            {units.map((c, i) => (
              <Fragment key={c.clusteringId}>
                {i > 0 && ', '}
                <a href={hrefOf(route, { view: 'layer', clustering: c.clusteringId, pattern: null })}>
                  unit {c.unit} ({formatCount(c.patternCount)})
                </a>
              </Fragment>
            ))}
          </p>
        )}
      </section>
      <section class="panel" aria-labelledby="layer-stats-title">
        <div class="panel-heading">
          <h2 id="layer-stats-title">Unit statistics over all inputs</h2>
          <UnitChartControls route={route} canSortByDifference={false} />
          <span class="muted">normalized aggregated activations; click a unit for its max-activating inputs</span>
        </div>
        {stats.error && <ErrorMessage error={stats.error} />}
        {stats.data ? (
          <UnitStatsChart
            series={[{ name: layer.layer, color: ACCENT, stats: stats.data }]}
            hideNearZero={route.hideNearZero}
            sort="unit"
            label={`Unit statistics of ${layer.layer}`}
            onUnitSelect={(unit) => navigate({ view: 'maxact', unit })}
            columnName={(column) => aggregatedColumnName(layer.aggregation, layer.dim, column)}
          />
        ) : (
          !stats.error && <Loading what="statistics" />
        )}
      </section>
    </section>
  );
}
