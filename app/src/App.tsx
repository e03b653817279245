/** The app shell: header with run choice and view tabs, the layer strip, and the view the URL names. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type InfoResponse } from '../../src/results/api-types.js';
import { loadInfo, useQuery, type ApiRequestError } from './api.js';
import { ErrorMessage, Loading } from './components/Status.js';
import { LayerStrip } from './components/LayerStrip.js';
import { SearchBox } from './components/SearchBox.js';
import { ShareControls } from './components/ShareControls.js';
import { TooltipHost } from './components/Tooltip.js';
import type { ViewContext } from './context.js';
import { Catalog, defaultClustering } from './data/catalog.js';
import { isStatic } from './data/source.js';
import { formatCount } from './format.js';
import { followLink, hrefOf, navigate, useRoute, type Route } from './route.js';
import { viewDefinition, VIEWS } from './views/registry.js';

function contextOf(route: Route, catalog: Catalog): ViewContext {
  const run = catalog.run(route.run) ?? (route.run === null && route.view !== 'runs' ? catalog.runs[0] : undefined);
  const layer =
    catalog.layer(run, route.layer) ??
    (route.layer === null ? (run?.layers.find((l) => defaultClustering(l)) ?? run?.layers[0]) : undefined);
  const chosen = route.clustering === null ? undefined : catalog.place(route.clustering);
  const clustering =
    chosen && layer && chosen.layer === layer && chosen.run === run
      ? chosen.clustering
      : layer && route.clustering === null
        ? defaultClustering(layer)
        : undefined;
  return { route, catalog, run, layer, clustering };
}

function Header({ info, context }: { info: InfoResponse | undefined; context: ViewContext | undefined }) {
  const route = useRoute();
  const run = context?.run;
  return (
    <header class="app-header">
      <a class="brand" href={hrefOf(route, { view: 'runs' })}>
        <span class="brand-mark" aria-hidden="true">
          ◎
        </span>{' '}
        <span class="brand-name">Magnifying Glass</span>
      </a>
      {context && context.catalog.runs.length > 0 && (
        <label class="run-choice">
          <span class="sr-only">Run</span>
          <select
            value={run ? String(run.runId) : ''}
            onChange={(event) => {
              const runId = Number(event.currentTarget.value);
              navigate({
                run: runId,
                layer: null,
                to: null,
                clustering: null,
                pattern: null,
                selection: [],
                region: [],
                unit: null,
                label: null,
                prediction: null,
                view: route.view === 'runs' || route.view === 'pattern' ? 'layer' : route.view,
              });
            }}
          >
            {!run && <option value="">Choose a run…</option>}
            {context.catalog.runs.map((r) => (
              <option key={r.runId} value={String(r.runId)}>
                {r.name} ({formatCount(r.inputCount)} inputs)
              </option>
            ))}
          </select>
        </label>
      )}
      <nav class="tabs" aria-label="Views">
        {VIEWS.filter((definition) => definition.tab !== undefined && !(definition.needsServer && isStatic())).map(
          (tab) => {
            const disabled = tab.needsRun && !run;
            const current = route.view === tab.view || viewDefinition(route.view).tabOf === tab.view;
            const badge = tab.badge?.(route) ?? 0;
            return disabled ? (
              <span key={tab.view} class="tab disabled" aria-disabled="true">
                {tab.tab}
              </span>
            ) : (
              <a
                key={tab.view}
                class={`tab${current ? ' current' : ''}`}
                aria-current={current ? 'page' : undefined}
                href={hrefOf(route, { view: tab.view, run: run?.runId ?? route.run })}
              >
                {tab.tab}
                {badge > 0 && <span class="tab-badge">{formatCount(badge)}</span>}
              </a>
            );
          },
        )}
      </nav>
      {run && <SearchBox runId={run.runId} />}
      <a
        class="glossary-link"
        href={hrefOf(route, { view: 'glossary' })}
        aria-label="Glossary"
        title="Glossary: what every metric means"
      >
        ?
      </a>
      {info && (
        <span
          class="store-name"
          title={`store ${info.store}, schema ${info.schemaVersion}${isStatic() ? '; a static export of one run' : ''}`}
        >
          {info.store}
          {isStatic() && ' · static'}
        </span>
      )}
      <ShareControls />
    </header>
  );
}

export function App() {
  const route = useRoute();
  const [info, setInfo] = useState<InfoResponse>();
  const [infoError, setInfoError] = useState<ApiRequestError>();
  useEffect(() => {
    loadInfo().then(setInfo, setInfoError);
  }, []);
  const runs = useQuery('runs', {});
  // Views wait for the store version too: image URLs carry it for immutable caching.
  const catalog = useMemo(() => (runs.data && info ? Catalog.of(runs.data) : undefined), [runs.data, info]);
  const context = catalog ? contextOf(route, catalog) : undefined;
  const definition = viewDefinition(route.view);
  const needsLayer = definition.layer !== undefined;

  useEffect(() => {
    const parts = [
      context?.run?.name,
      needsLayer ? context?.layer?.layer : undefined,
      route.view === 'pattern' && route.pattern !== null ? `pattern ${route.pattern}` : undefined,
    ];
    document.title = [...parts.filter(Boolean), 'Magnifying Glass'].join(' · ');
  });

  let body;
  const error = infoError ?? runs.error;
  if (error) body = <ErrorMessage error={error} />;
  else if (!context) body = <Loading what="runs" />;
  else if (context.catalog.runs.length === 0)
    body = (
      <p class="empty">
        This store holds no runs yet. Analyze a model first: nap analyze --model model.onnx --data mnist --out
        results.duckdb
      </p>
    );
  else if (route.run !== null && !context.run)
    body = (
      <p class="empty">
        Run {route.run} is not in this store.{' '}
        <a href={hrefOf(route, { view: 'runs', run: null })}>Choose one of its {context.catalog.runs.length} runs.</a>
      </p>
    );
  else if (needsLayer && route.layer !== null && !context.layer)
    body = (
      <p class="empty">
        Layer “{route.layer}” is not in run {context.run?.runId}. Choose a layer above.
      </p>
    );
  else if (needsLayer && route.clustering !== null && !context.clustering)
    body = (
      <p class="empty">
        Clustering {route.clustering} does not belong to layer “{context.layer?.layer}”.{' '}
        <a href={hrefOf(route, { clustering: null, pattern: null })}>Show the layer’s patterns.</a>
      </p>
    );
  else if (definition.needsServer && isStatic())
    body = <p class="empty">This view computes on request and needs nap serve; a static export does not have it.</p>;
  else body = definition.render(context);

  return (
    <div class="app" onClick={followLink}>
      <Header info={info} context={context} />
      {context?.run && !definition.hideLayerStrip && <LayerStrip context={context} />}
      <main class="app-main">{body}</main>
      <TooltipHost />
    </div>
  );
}
