/** The store's runs (model, dataset, size, status) and the chosen run's settings. */
import { Fragment } from 'preact';
import { useQuery } from '../api.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import type { ViewContext } from '../context.js';
import { defaultClustering } from '../data/catalog.js';
import { formatCount, jsonValueText } from '../format.js';
import { hrefOf } from '../route.js';

function Settings({ runId }: { runId: number }) {
  const detail = useQuery('run', { runId });
  if (detail.error) return <ErrorMessage error={detail.error} />;
  if (!detail.data) return <Loading what="settings" />;
  const config = (detail.data.config ?? {}) as Record<string, unknown>;
  const entries = Object.entries(config).filter(([key]) => key !== 'layers');
  return (
    <section class="panel" aria-labelledby="settings-title">
      <div class="panel-heading">
        <h2 id="settings-title">Settings of “{detail.data.name}”</h2>
      </div>
      <dl class="facts wide">
        <dt>model</dt>
        <dd class="mono">{detail.data.modelPath}</dd>
        <dt>model sha256</dt>
        <dd class="mono small">{detail.data.modelSha256}</dd>
        <dt>layout</dt>
        <dd>{detail.data.modelLayout}</dd>
        {entries.map(([key, value]) => (
          <Fragment key={key}>
            <dt>{key}</dt>
            <dd class="mono small">{jsonValueText(value)}</dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}

export function RunsView({ context }: { context: ViewContext }) {
  const { route, catalog } = context;
  const chosen = catalog.run(route.run);
  return (
    <section class="view runs-view" aria-labelledby="runs-title">
      <div class="view-heading">
        <h1 id="runs-title">Runs</h1>
        <span class="muted">{formatCount(catalog.runs.length)} in this store</span>
      </div>
      <div class="table-scroll panel">
        <table class="table">
          <thead>
            <tr>
              <th>Run</th>
              <th>Model</th>
              <th>Dataset</th>
              <th>Inputs</th>
              <th>Layers (patterns)</th>
              <th>Status</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {catalog.runs.map((run) => (
              <tr key={run.runId} class={run === chosen ? 'current' : undefined}>
                <td>
                  <a
                    href={hrefOf(route, {
                      view: 'layer',
                      run: run.runId,
                      layer: null,
                      clustering: null,
                      pattern: null,
                      selection: run.runId === route.run ? route.selection : [],
                    })}
                  >
                    {run.name}
                  </a>{' '}
                  <a class="muted small" href={hrefOf(route, { view: 'runs', run: run.runId })}>
                    settings
                  </a>
                </td>
                <td class="mono small">{run.modelPath}</td>
                <td class="mono small">{run.datasetSpec}</td>
                <td>{formatCount(run.inputCount)}</td>
                <td class="small">
                  {run.layers.map((layer, i) => (
                    <span key={layer.layer}>
                      {i > 0 && ', '}
                      <a
                        href={hrefOf(route, {
                          view: 'layer',
                          run: run.runId,
                          layer: layer.layer,
                          clustering: null,
                          pattern: null,
                        })}
                      >
                        {layer.layer}
                      </a>{' '}
                      ({defaultClustering(layer)?.patternCount ?? '–'})
                    </span>
                  ))}
                </td>
                <td>
                  <span class={`status ${run.status}`}>{run.status}</span>
                  {run.status === 'interrupted' && (
                    <div class="muted small">
                      its process ended; <code>nap summary</code> on the results file prints the command that resumes it
                    </div>
                  )}
                </td>
                <td class="small">{new Date(run.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen && <Settings runId={chosen.runId} />}
    </section>
  );
}
