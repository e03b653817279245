/**
 * Pinned patterns from any layer or run side by side, with one combined statistics chart per layer of a
 * model (units of different layers are not comparable; the same layer in runs of one model is).
 */
import { useMemo } from 'preact/hooks';

import { query, useAsync, useQuery } from '../api.js';
import { categoryColor } from '../charts/colors.js';
import { LabelBars } from '../charts/LabelBars.js';
import { UnitStatsChart, type StatsSeries } from '../charts/UnitStatsChart.js';
import { AverageImage } from '../components/AverageImage.js';
import { describeInput, ImageTile } from '../components/ImageTile.js';
import { CARD_EXAMPLES } from '../components/PatternCard.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import { UnitChartControls } from '../components/UnitChartControls.js';
import { toggleSelection, type ViewContext } from '../context.js';
import { clusteringParam, type ClusteringPlace } from '../data/catalog.js';
import { labelColorIndex } from '../data/labels.js';
import { useInputTable } from '../data/tables.js';
import { formatCount, formatNumber, formatShare, patternName } from '../format.js';
import { hrefOf, navigate, samePin, type Pin } from '../route.js';
import { Metric } from '../components/Metric.js';

interface PlacedPin extends Pin {
  place: ClusteringPlace;
  color: string;
}

function pinLink(context: ViewContext, pin: PlacedPin): string {
  const { run, layer } = pin.place;
  return hrefOf(context.route, {
    view: 'pattern',
    run: run.runId,
    layer: layer.layer,
    clustering: clusteringParam(pin.place),
    pattern: pin.patternId,
    selection: run.runId === context.route.run ? context.route.selection : [],
  });
}

function PinnedPattern({ context, pin }: { context: ViewContext; pin: PlacedPin }) {
  const { route } = context;
  const { run, layer, clustering } = pin.place;
  const patterns = useQuery('patterns', { clusteringId: clustering.clusteringId, examples: CARD_EXAMPLES });
  const inputs = useInputTable(run.runId);
  const colorIndex = useMemo(() => labelColorIndex(run), [run]);
  const summary = patterns.data
    ? pin.patternId === -1
      ? patterns.data.noise
      : patterns.data.patterns[pin.patternId]
    : undefined;
  const name = patternName(pin.patternId);
  const sameRun = run.runId === route.run;
  return (
    <article class="pinned" style={{ borderTopColor: pin.color }} aria-label={`${name} of ${layer.layer}`}>
      <header>
        <a class="card-title" href={pinLink(context, pin)}>
          {name}
        </a>
        <button
          type="button"
          class="icon-button on"
          aria-label={`Unpin ${name} of ${layer.layer}`}
          title="Unpin"
          onClick={() => navigate({ pins: route.pins.filter((p) => !samePin(p, pin)) }, { replace: true })}
        >
          ★
        </button>
      </header>
      <div class="pinned-place">
        <span class="mono">{layer.layer}</span>
        {clustering.unit !== null && ` unit ${clustering.unit}`}
        <br />
        <span class="muted">{run.name}</span>
      </div>
      {patterns.error && <ErrorMessage error={patterns.error} />}
      {!summary && !patterns.error && <Loading what="pattern" />}
      {summary && (
        <>
          <div class="card-summary">
            <AverageImage clusteringId={clustering.clusteringId} patternId={pin.patternId} size={72} />
            <dl class="facts">
              <dt>size</dt>
              <dd>{formatCount(summary.size)}</dd>
              <dt>
                <Metric name="persistence">persistence</Metric>
              </dt>
              <dd>{formatNumber(summary.persistence)}</dd>
              <dt>
                <Metric name="purity">purity</Metric>
              </dt>
              <dd>{formatShare(summary.labelPurity)}</dd>
              <dt>outliers</dt>
              <dd>{formatShare(summary.outlierShare)}</dd>
            </dl>
          </div>
          <LabelBars mix={summary.labels} colorIndex={colorIndex} active={null} limit={5} title="Labels" />
          <div class="tile-row-tiles wrap">
            {summary.mostStable.map((id) => (
              <ImageTile
                key={id}
                runId={run.runId}
                input={describeInput(id, inputs.data)}
                size={44}
                selected={sameRun && route.selection.includes(id)}
                onToggle={sameRun ? (i) => toggleSelection(route, i) : undefined}
              />
            ))}
          </div>
        </>
      )}
    </article>
  );
}

function CombinedChart({ context, pins }: { context: ViewContext; pins: PlacedPin[] }) {
  const { route } = context;
  const { run, layer } = pins[0]!.place;
  const withStats = pins.filter((pin) => pin.patternId >= 0);
  const key = withStats.map((pin) => `${pin.clusteringId}.${pin.patternId}`).join(',');
  const runs = [...new Set(pins.map((pin) => pin.place.run))];
  const nameOf = (pin: PlacedPin) =>
    `${patternName(pin.patternId)}${pin.place.clustering.unit !== null ? ` (unit ${pin.place.clustering.unit})` : ''}${runs.length > 1 ? ` · ${pin.place.run.name}` : ''}`;
  const series = useAsync<StatsSeries[]>(key === '' ? null : key, () =>
    Promise.all(
      withStats.map(async (pin) => ({
        name: nameOf(pin),
        color: pin.color,
        stats: await query('patternStats', { clusteringId: pin.clusteringId, patternId: pin.patternId }),
      })),
    ),
  );
  const reference = useQuery('layerStats', { runId: run.runId, layer: layer.layer });
  return (
    <section class="panel" aria-label={`Statistics of the pins of ${layer.layer}`}>
      <div class="panel-heading">
        <h2>
          Unit statistics · <span class="mono">{layer.layer}</span>{' '}
          <span class="muted">({runs.map((r) => r.name).join(', ')})</span>
        </h2>
        <UnitChartControls route={route} canSortByDifference={Boolean(reference.data)} />
        <span class="legend">
          {withStats.map((pin) => (
            <span key={`${pin.clusteringId}.${pin.patternId}`} class="legend-item">
              <span class="swatch" style={{ background: pin.color }} />
              {nameOf(pin)}
            </span>
          ))}
          <span class="legend-item">
            <span class="swatch band" /> layer q1–q3{runs.length > 1 ? ` of ${run.name}` : ''}
          </span>
        </span>
      </div>
      {series.error && <ErrorMessage error={series.error} />}
      {key === '' && <p class="muted">The noise group has no statistics.</p>}
      {series.data ? (
        <UnitStatsChart
          series={series.data}
          reference={reference.data}
          hideNearZero={route.hideNearZero}
          sort={route.unitSort}
          label={`Combined unit statistics of ${withStats.length} pinned patterns`}
        />
      ) : (
        key !== '' && !series.error && <Loading what="statistics" />
      )}
    </section>
  );
}

export function CompareView({ context }: { context: ViewContext }) {
  const { route, catalog } = context;
  const placed: PlacedPin[] = [];
  const missing: Pin[] = [];
  route.pins.forEach((pin, index) => {
    const place = catalog.place(pin.clusteringId);
    if (place) placed.push({ ...pin, place, color: categoryColor(index) });
    else missing.push(pin);
  });
  // Units are comparable within one layer of one model, also across runs (e.g. other datasets).
  const groups = new Map<string, PlacedPin[]>();
  for (const pin of placed) {
    const key = `${pin.place.run.modelPath}\n${pin.place.layer.layer}\n${pin.place.layer.dim}`;
    groups.set(key, [...(groups.get(key) ?? []), pin]);
  }
  return (
    <section class="view compare-view" aria-labelledby="compare-title">
      <div class="view-heading">
        <h1 id="compare-title">Compare pinned patterns</h1>
        {placed.length > 0 && (
          <button type="button" class="button" onClick={() => navigate({ pins: [] }, { replace: true })}>
            Unpin all
          </button>
        )}
      </div>
      {route.pins.length === 0 && (
        <p class="empty">
          No patterns pinned yet. Pin patterns with ☆ on their cards or pages, in any layer or run, to compare them
          here.
        </p>
      )}
      {missing.length > 0 && (
        <p class="error">
          Pins {missing.map((p) => `${p.clusteringId}.${p.patternId}`).join(', ')} name clusterings that are not in this
          store.
        </p>
      )}
      {placed.length > 0 && (
        <div class="pinned-row" role="list">
          {placed.map((pin) => (
            <div role="listitem" key={`${pin.clusteringId}.${pin.patternId}`}>
              <PinnedPattern context={context} pin={pin} />
            </div>
          ))}
        </div>
      )}
      {[...groups.entries()].map(([key, pins]) => (
        <CombinedChart key={key} context={context} pins={pins} />
      ))}
    </section>
  );
}
