/**
 * One pattern: its summary, membership probability histogram, label and prediction bars (click to filter),
 * per-unit statistics against the layer, unit patterns of its members, and all its members.
 */
import { useMemo } from 'preact/hooks';
import {
  MEMBER_ORDERS,
  type LayerSummary,
  type MemberOrder,
  type PatternsResponse,
  type PatternSummary,
  type UnitStatsResponse,
} from '../../../src/results/api-types.js';
import { aggregatedColumnName, pairsStatistics, positionColumnName } from '../../../src/results/unit-columns.js';
import { heatmapImage, useQuery, type Loaded } from '../api.js';
import { Histogram } from '../charts/Histogram.js';
import { LabelBars } from '../charts/LabelBars.js';
import { ACCENT } from '../charts/colors.js';
import { UnitStatsChart } from '../charts/UnitStatsChart.js';
import { AverageImage } from '../components/AverageImage.js';
import { TagEditor } from '../components/TagEditor.js';
import { FilterBar } from '../components/FilterBar.js';
import { ImageTile } from '../components/ImageTile.js';
import { NearMembers, NoiseNearestPatterns } from '../components/NearMembers.js';
import { SourceImage } from '../components/SourceImage.js';
import { CARD_EXAMPLES } from '../components/PatternCard.js';
import { FeatureImages } from '../components/FeatureImages.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import { UnitChartControls } from '../components/UnitChartControls.js';
import { VirtualGrid } from '../components/VirtualGrid.js';
import { addToSelection, toggleSelection, type ViewContext } from '../context.js';
import { defaultClustering, unitClusterings } from '../data/catalog.js';
import { memberIndices, memberRows } from '../../../src/results/members.js';
import { filtersOf, isFiltering } from '../data/filters.js';
import { labelColorIndex } from '../data/labels.js';
import { useMemberPages } from '../data/member-pages.js';
import { sortPatterns } from '../data/patterns.js';
import { loadMembershipTable, useInputTable, useMembershipTable } from '../data/tables.js';
import { formatCount, formatNumber, formatShare, patternName } from '../format.js';
import { hrefOf, navigate, samePin } from '../route.js';
import { UnitPatterns } from './UnitPatterns.js';
import { Metric } from '../components/Metric.js';

const ORDER_NAMES: Record<MemberOrder, string> = {
  'most-stable': 'Most stable first',
  'least-stable': 'Least stable first',
  outlier: 'Outliers first',
  input: 'Input order',
};

const MEMBER_TILE = 60;

/** `heatmapMembers`: members whose heatmap is laid over their image (null: no overlays). */
function Members({
  context,
  clusteringId,
  patternId,
  heatmapMembers,
}: {
  context: ViewContext;
  clusteringId: number;
  patternId: number;
  heatmapMembers: Set<number> | null;
}) {
  const { route, run } = context;
  const filters = filtersOf(route);
  const pages = useMemberPages(clusteringId, patternId, route.order, filters);
  const selected = useMemo(() => new Set(route.selection), [route.selection]);
  return (
    <section class="panel" aria-labelledby="members-title">
      <div class="panel-heading">
        <h2 id="members-title">
          {patternId === -1 ? 'Inputs' : 'Core members'}{' '}
          {pages.total !== undefined && (
            <span class="count">
              {formatCount(pages.total)}
              {isFiltering(filters) ? ' passing the filters' : ''}
            </span>
          )}
        </h2>
        <label class="field">
          <span>Order</span>
          <select
            value={route.order}
            onChange={(e) => navigate({ order: e.currentTarget.value as MemberOrder }, { replace: true })}
          >
            {MEMBER_ORDERS.map((order) => (
              <option key={order} value={order}>
                {ORDER_NAMES[order]}
              </option>
            ))}
          </select>
        </label>
        <span class="muted">Click images to select them; the Images view shows their patterns in every layer.</span>
      </div>
      {pages.error && <ErrorMessage error={pages.error} />}
      {pages.total === undefined && !pages.error && <Loading what="members" />}
      {pages.total !== undefined && (
        <VirtualGrid
          count={pages.total}
          itemWidth={MEMBER_TILE}
          itemHeight={MEMBER_TILE}
          gap={4}
          overscanRows={4}
          label="Members"
          className="member-grid"
          onRangeChange={pages.request}
          renderItem={(position) => {
            const input = pages.at(position);
            return input ? (
              <ImageTile
                runId={run!.runId}
                input={input}
                size={MEMBER_TILE - 2}
                clusteringId={patternId >= 0 ? clusteringId : undefined}
                selected={selected.has(input.inputIndex)}
                onToggle={(i) => toggleSelection(route, i)}
                overlay={
                  heatmapMembers?.has(input.inputIndex)
                    ? heatmapImage(clusteringId, patternId, input.inputIndex)
                    : undefined
                }
              />
            ) : (
              <div class="tile placeholder" style={{ width: `${MEMBER_TILE}px`, height: `${MEMBER_TILE}px` }} />
            );
          }}
        />
      )}
    </section>
  );
}

/**
 * A pattern's statistics per column: per unit of the layer (with mean_std or min_max, which columns are
 * which statistic), or, for a unit pattern, per position of the unit's spatial map.
 */
function PatternStatistics({
  name,
  layer,
  unit,
  stats,
  layerStats,
  route,
}: {
  name: string;
  layer: LayerSummary;
  unit: number | null;
  stats: Loaded<UnitStatsResponse>;
  layerStats: UnitStatsResponse | undefined;
  route: ViewContext['route'];
}) {
  const columnName =
    unit === null
      ? (column: number) => aggregatedColumnName(layer.aggregation, layer.dim, column)
      : (column: number) => positionColumnName(unit, column);
  const empty = stats.data !== undefined && stats.data.unit.length === 0;
  return (
    <section class="panel" aria-labelledby="unit-stats-title">
      <div class="panel-heading">
        <h2 id="unit-stats-title">
          {unit === null ? 'Unit statistics' : `Statistics over the positions of unit ${unit}`}
        </h2>
        <UnitChartControls route={route} canSortByDifference={Boolean(layerStats)} />
        <span class="legend">
          <span class="swatch" style={{ background: ACCENT }} /> pattern: dot mean, bar q1–q3, line whiskers{' '}
          {layerStats && (
            <>
              <span class="swatch band" /> layer q1–q3
            </>
          )}
          {unit === null && pairsStatistics(layer.aggregation) && (
            <span class="legend-item aggregation-note">
              {layer.aggregation === 'mean_std'
                ? 'μn: unit n’s mean over positions, σn: its standard deviation'
                : '↓n: unit n’s minimum over positions, ↑n: its maximum'}
            </span>
          )}
        </span>
      </div>
      {stats.error &&
        (stats.error.status === 404 ? (
          <p class="muted">No unit statistics are stored for the patterns of this clustering.</p>
        ) : (
          <ErrorMessage error={stats.error} />
        ))}
      {empty && (
        <p class="muted">
          No statistics are stored for this clustering: it was analyzed before nap kept them for unit patterns. Run{' '}
          <span class="mono">nap analyze</span> again to add them.
        </p>
      )}
      {stats.data && !empty && (
        <UnitStatsChart
          series={[{ name, color: ACCENT, stats: stats.data }]}
          reference={layerStats}
          hideNearZero={route.hideNearZero}
          sort={route.unitSort}
          label={
            unit === null ? `Unit statistics of ${name}` : `Statistics of ${name} over the positions of unit ${unit}`
          }
          onUnitSelect={unit === null ? (column) => navigate({ view: 'maxact', unit: column }) : undefined}
          columnName={columnName}
        />
      )}
      {!stats.data && !stats.error && <Loading what="statistics" />}
    </section>
  );
}

function neighbours(
  patterns: PatternsResponse,
  sort: ViewContext['route']['sort'],
  patternId: number,
): { previous?: number; next?: number } {
  const ordered = sortPatterns(patterns.patterns, sort).map((p) => p.patternId);
  const at = ordered.indexOf(patternId);
  if (at < 0) return {};
  return { previous: ordered[at - 1], next: ordered[at + 1] };
}

export function PatternView({ context }: { context: ViewContext }) {
  const { route, run, layer, clustering } = context;
  const patternId = route.pattern ?? 0;
  const filters = filtersOf(route);
  const patterns = useQuery(
    'patterns',
    clustering ? { clusteringId: clustering.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  const stats = useQuery(
    'patternStats',
    clustering && patternId >= 0 ? { clusteringId: clustering.clusteringId, patternId } : null,
  );
  // Heatmaps exist only where `nap heatmaps` stored them; a 404 (no such route data) just hides the toggle.
  const heatmaps = useQuery(
    'heatmaps',
    clustering && patternId >= 0 ? { clusteringId: clustering.clusteringId, patternId } : null,
  );
  const heatmapOn = route.heatmap && heatmaps.data?.hasMean === true;
  const heatmapMembers = useMemo(() => new Set(heatmaps.data?.inputIndex ?? []), [heatmaps.data]);
  const layerStats = useQuery('layerStats', run && layer ? { runId: run.runId, layer: layer.layer } : null);
  const memberships = useMembershipTable(clustering?.clusteringId ?? null);
  const inputs = useInputTable(isFiltering(filters) ? (run?.runId ?? null) : null);
  const colorIndex = useMemo(() => labelColorIndex(run), [run]);

  const probabilities = useMemo(() => {
    if (!memberships.data) return undefined;
    if (isFiltering(filters) && !inputs.data) return undefined;
    const rows = memberRows(memberships.data, inputs.data, patternId, filters);
    return Float64Array.from(rows, (row) => memberships.data!.probability[row]!);
  }, [memberships.data, inputs.data, patternId, filters.label, filters.prediction, filters.misclassified]);

  if (!run || !layer || !clustering) return <p class="empty">Choose a run and a layer.</p>;
  if (patterns.error) return <ErrorMessage error={patterns.error} />;
  if (!patterns.data) return <Loading what="pattern" />;
  const summary: PatternSummary | undefined =
    patternId === -1 ? patterns.data.noise : patterns.data.patterns[patternId];
  if (!summary) {
    return (
      <p class="empty">
        {layer.layer} has no pattern {patternId}; its patterns are 0 to {patterns.data.patterns.length - 1}.{' '}
        <a href={hrefOf(route, { view: 'layer', pattern: null })}>Back to the patterns.</a>
      </p>
    );
  }
  const name = patternName(patternId);
  const pin = { clusteringId: clustering.clusteringId, patternId };
  const pinned = route.pins.some((p) => samePin(p, pin));
  const { previous, next } = neighbours(patterns.data, route.sort, patternId);
  const units = unitClusterings(layer);
  // Lineage follows the layer's own patterns (its newest layer clustering).
  const isLayerDefault = defaultClustering(layer) === clustering;

  return (
    <section class="view pattern-view" aria-labelledby="pattern-title">
      <div class="view-heading">
        <a class="back" href={hrefOf(route, { view: 'layer', pattern: null })}>
          ← all patterns of {layer.layer}
        </a>
        <h1 id="pattern-title">
          {name} <span class="muted">of</span> <span class="mono">{layer.layer}</span>
          {clustering.unit !== null && <span class="muted"> unit {clustering.unit}</span>}
        </h1>
        <div class="heading-actions">
          {previous !== undefined && (
            <a class="button" href={hrefOf(route, { pattern: previous })} aria-label={`Previous pattern ${previous}`}>
              ← #{previous}
            </a>
          )}
          {next !== undefined && (
            <a class="button" href={hrefOf(route, { pattern: next })} aria-label={`Next pattern ${next}`}>
              #{next} →
            </a>
          )}
          {isLayerDefault && (
            <a
              class="button"
              href={hrefOf(route, { view: 'lineage' })}
              title="Where its members are in every other layer"
            >
              Lineage
            </a>
          )}
          {heatmaps.data?.hasMean && (
            <button
              type="button"
              class={`button${route.heatmap ? ' on' : ''}`}
              aria-pressed={route.heatmap}
              title="Lay the heatmaps (where the pattern lives in the image) over the average image and the members"
              onClick={() => navigate({ heatmap: !route.heatmap }, { replace: true })}
            >
              Heatmap
            </button>
          )}
          <button
            type="button"
            class={`button${pinned ? ' on' : ''}`}
            aria-pressed={pinned}
            onClick={() =>
              navigate(
                { pins: pinned ? route.pins.filter((p) => !samePin(p, pin)) : [...route.pins, pin] },
                { replace: true },
              )
            }
          >
            {pinned ? '★ Pinned' : '☆ Pin'}
          </button>
          <button
            type="button"
            class="button"
            onClick={() =>
              void loadMembershipTable(clustering.clusteringId).then((table) =>
                addToSelection(route, memberIndices(table, undefined, patternId)),
              )
            }
          >
            Select all members
          </button>
        </div>
      </div>
      <TagEditor targets={[{ kind: 'pattern', clusteringId: clustering.clusteringId, patternId }]} what={name} />
      <FilterBar run={run} filters={filters} />
      <div class="pattern-summary panel">
        <div class="average-frame">
          <AverageImage clusteringId={clustering.clusteringId} patternId={patternId} size={128} />
          {heatmapOn && (
            <SourceImage
              class="overlay"
              source={heatmapImage(clustering.clusteringId, patternId)}
              width={128}
              height={128}
              alt={`Mean heatmap of ${name}`}
            />
          )}
        </div>
        <dl class="facts">
          <dt>members</dt>
          <dd>{formatCount(summary.size)}</dd>
          {isFiltering(filters) && (
            <>
              <dt>passing filters</dt>
              <dd>{probabilities ? formatCount(probabilities.length) : '…'}</dd>
            </>
          )}
          {patternId >= 0 && (
            <>
              <dt>
                <Metric name="persistence">persistence</Metric>
              </dt>
              <dd>{formatNumber(summary.persistence)}</dd>
            </>
          )}
          <dt>
            <Metric name="purity">label purity</Metric>
          </dt>
          <dd>
            {formatShare(summary.labelPurity)}{' '}
            {summary.dominantLabel !== null && <span class="muted">“{summary.dominantLabel}”</span>}
          </dd>
          <dt>misclassified</dt>
          <dd>{formatCount(summary.misclassifiedCount)}</dd>
          <dt>
            <Metric name="glosh">outliers</Metric>
          </dt>
          <dd>
            {formatCount(summary.outlierCount)} ({formatShare(summary.outlierShare)})
          </dd>
          <dt>
            <Metric name="membership">mean membership</Metric>
          </dt>
          <dd>{formatNumber(summary.meanProbability)}</dd>
        </dl>
        <div class="chart-block">
          <div class="chart-title">
            <Metric name="membership">Membership probability</Metric>
            {isFiltering(filters) ? ' (filtered)' : ''}
          </div>
          {probabilities ? (
            <Histogram values={probabilities} label="Membership probability histogram" />
          ) : (
            <Loading what="probabilities" />
          )}
        </div>
        <LabelBars
          mix={summary.labels}
          colorIndex={colorIndex}
          active={route.label}
          onSelect={(label) => navigate({ label })}
          title="Labels"
        />
        {summary.predictions.label.some((l) => l !== null) && (
          <LabelBars
            mix={summary.predictions}
            colorIndex={colorIndex}
            active={route.prediction}
            onSelect={(prediction) => navigate({ prediction })}
            title="Predictions"
          />
        )}
      </div>
      {patternId >= 0 && (
        <FeatureImages
          runId={run.runId}
          layer={layer.layer}
          shows={(image) =>
            (image.objective === 'pattern' || image.objective === 'pattern_contrast') &&
            image.clusteringId === clustering.clusteringId &&
            image.target === patternId
          }
          what={name.toLowerCase()}
        />
      )}
      {patternId >= 0 && (
        <PatternStatistics
          name={name}
          layer={layer}
          unit={clustering.unit}
          stats={stats}
          layerStats={clustering.unit === null ? layerStats.data : undefined}
          route={route}
        />
      )}
      {units.length > 0 && memberships.data && (
        <UnitPatterns context={context} units={units} memberships={memberships.data} patternId={patternId} />
      )}
      {patternId >= 0 ? (
        <NearMembers
          context={context}
          clusteringId={clustering.clusteringId}
          patternId={patternId}
          coreSize={summary.size}
        />
      ) : (
        <NoiseNearestPatterns context={context} clusteringId={clustering.clusteringId} />
      )}
      <Members
        context={context}
        clusteringId={clustering.clusteringId}
        patternId={patternId}
        heatmapMembers={heatmapOn ? heatmapMembers : null}
      />
    </section>
  );
}
