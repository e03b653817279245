/**
 * The map of a layer: its inputs as points of a 2-D projection (UMAP or PCA, made by nap analyze or nap
 * project), coloured by pattern, label, prediction or a value, linked to the patterns. Hover shows the
 * input, a click opens its pattern, a lasso or box selects points (the polygon is kept in the URL), which
 * narrows the pattern list and fills the gallery; choosing a pattern in the list highlights its points.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ProjectionPoints } from '../../../../src/results/api-types.js';
import { useQuery } from '../../api.js';
import { PointGrid } from '../../charts/scatter-grid.js';
import type { ScatterTool } from '../../charts/scatter-controller.js';
import { ScatterPlot } from '../../charts/ScatterPlot.js';
import { CARD_EXAMPLES } from '../../components/PatternCard.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import { hideTooltip, showTooltip } from '../../components/Tooltip.js';
import type { ViewContext } from '../../context.js';
import { labelColorIndex } from '../../data/labels.js';
import { isStatic } from '../../data/source.js';
import { strongestNear } from '../../data/near.js';
import { useInputTable, useMembershipTable } from '../../data/tables.js';
import { formatCount, plural } from '../../format.js';
import { MAP_COLORS, navigate, roundRegion, type MapColor } from '../../route.js';
import { colorPoints, emphasize } from './map-colors.js';
import { countByPattern, joinMemberships, toMapPoints, type MapPoints } from './map-data.js';
import { MapGallery } from './MapGallery.js';
import { MapLegend } from './MapLegend.js';
import { MapPatternList } from './MapPatternList.js';
import { MapTooltip } from './MapTooltip.js';

const COLOR_NAMES: Record<MapColor, string> = {
  pattern: 'Pattern',
  strongest: 'Strongest pattern (near members too)',
  label: 'Label',
  prediction: 'Prediction',
  confidence: 'Probability of the prediction',
  membership: 'Membership probability',
  outlier: 'Outlier score',
};

const TOOLS: { tool: ScatterTool; name: string; hint: string }[] = [
  { tool: 'pan', name: 'Pan', hint: 'Drag to move the map' },
  { tool: 'lasso', name: 'Lasso', hint: 'Drag a free-hand outline around points to select them' },
  { tool: 'box', name: 'Box', hint: 'Drag a rectangle around points to select them' },
];

function mapHeight(): number {
  return Math.round(Math.max(420, Math.min(720, window.innerHeight - 260)));
}

function NoProjection({ layer, runId, hint }: { layer: string; runId: number; hint: string | undefined }) {
  return (
    <div class="empty" role="status">
      <p>
        Layer <span class="mono">{layer}</span> of run {runId} has no map yet.{' '}
        {isStatic()
          ? 'Make one in the store, then export the run again:'
          : 'Stop nap serve, make the maps of the run’s layers, then start nap serve again:'}
      </p>
      <pre class="command">nap project &lt;db&gt;</pre>
      {hint && <p class="muted">{hint}</p>}
    </div>
  );
}

export function MapView({ context }: { context: ViewContext }) {
  const { run, layer } = context;
  // null: the store says that the layer has none (undefined, from an older export: ask anyway).
  const none = layer?.projection === null;
  const projection = useQuery('projection', run && layer && !none ? { runId: run.runId, layer: layer.layer } : null);
  const points = useMemo(() => {
    if (!projection.data) return undefined;
    try {
      return toMapPoints(projection.data);
    } catch (error) {
      return error as Error;
    }
  }, [projection.data]);

  if (!run || !layer) return <p class="empty">Choose a run and a layer.</p>;
  if (none) return <NoProjection layer={layer.layer} runId={run.runId} hint={undefined} />;
  if (projection.error)
    return projection.error.status === 404 ? (
      <NoProjection layer={layer.layer} runId={run.runId} hint={projection.error.hint} />
    ) : (
      <ErrorMessage error={projection.error} />
    );
  if (!points || !projection.data) return <Loading what={`the map of ${layer.layer}`} />;
  if (points instanceof Error) return <ErrorMessage error={points} />;
  return <MapExplorer context={context} points={points} projection={projection.data} />;
}

function MapExplorer({
  context,
  points,
  projection,
}: {
  context: ViewContext;
  points: MapPoints;
  projection: ProjectionPoints;
}) {
  const { route, run, layer, clustering } = context;
  const [tool, setTool] = useState<ScatterTool>('pan');
  const [height] = useState(mapHeight);
  const memberships = useMembershipTable(clustering?.clusteringId ?? null);
  const inputs = useInputTable(run?.runId ?? null);
  const patterns = useQuery(
    'patterns',
    clustering ? { clusteringId: clustering.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  const colorIndex = useMemo(() => labelColorIndex(run), [run]);
  const patternCount = clustering?.patternCount ?? 0;

  const grid = useMemo(() => PointGrid.build(points.x, points.y), [points]);
  const joined = useMemo(() => joinMemberships(points, memberships.data), [points, memberships.data]);
  const regionKey = route.region.join(',');
  const selectedRows = useMemo(
    () => (route.region.length >= 6 ? grid.inPolygon(route.region) : null),
    [grid, regionKey],
  );
  const highlight = route.pattern;
  const coverage = useQuery(
    'coverage',
    clustering && route.mapColor === 'strongest' ? { clusteringId: clustering.clusteringId } : null,
  );
  const near = useMemo(() => (coverage.data ? strongestNear(coverage.data) : undefined), [coverage.data]);
  const coloring = useMemo(
    () => colorPoints(route.mapColor, { points, memberships: joined, inputs: inputs.data, colorIndex, near }),
    [route.mapColor, points, joined, inputs.data, colorIndex, near],
  );
  const emphasis = useMemo(() => {
    if (highlight !== null) return Uint8Array.from(joined.patternId, (p) => (p === highlight ? 1 : 0));
    if (!selectedRows) return null;
    const marks = new Uint8Array(points.count);
    selectedRows.forEach((row) => (marks[row] = 1));
    return marks;
  }, [highlight, selectedRows, joined, points]);
  const rgba = useMemo(() => emphasize(coloring.rgb, joined, emphasis), [coloring, joined, emphasis]);
  const counts = useMemo(
    () => countByPattern(joined, patternCount, selectedRows),
    [joined, patternCount, selectedRows],
  );
  const galleryRows = useMemo(() => {
    if (highlight === null) return selectedRows;
    const rows: number[] = [];
    const inPattern = (row: number) => joined.patternId[row] === highlight && rows.push(row);
    if (selectedRows) selectedRows.forEach(inPattern);
    else for (let row = 0; row < points.count; row++) inPattern(row);
    return Int32Array.from(rows);
  }, [highlight, selectedRows, joined, points]);

  useEffect(() => hideTooltip, []);

  if (!run || !layer) return null;
  const describe = (index: number) => (
    <MapTooltip
      runId={run.runId}
      inputIndex={points.inputIndex[index]!}
      inputs={inputs.data}
      patternId={joined.patternId[index]!}
      membership={joined.membership[index]!}
      outlierScore={joined.outlierScore[index]!}
    />
  );
  const selecting = selectedRows !== null;

  return (
    <section class="view map-view" aria-labelledby="map-title">
      <div class="view-heading">
        <h1 id="map-title">
          Map of <span class="mono">{layer.layer}</span>
        </h1>
        <p class="summary-line">
          <strong>{plural(points.count, 'input')}</strong> · {projection.method === 'umap' ? 'UMAP' : 'PCA'} of the
          layer’s normalized activations
          {clustering ? ` · ${plural(clustering.patternCount, 'pattern')}` : ' · not clustered'} · hover a point to see
          its input, click it to open its pattern
        </p>
      </div>
      <div class="toolbar map-toolbar">
        <span class="segmented" role="group" aria-label="Dragging on the map">
          {TOOLS.map(({ tool: t, name, hint }) => (
            <button
              type="button"
              key={t}
              class={tool === t ? 'on' : ''}
              aria-pressed={tool === t}
              title={hint}
              onClick={() => setTool(t)}
            >
              {name}
            </button>
          ))}
        </span>
        <label class="field">
          <span>Colour by</span>
          <select
            value={route.mapColor}
            onChange={(e) => navigate({ mapColor: e.currentTarget.value as MapColor }, { replace: true })}
          >
            {MAP_COLORS.map((mode) => (
              <option key={mode} value={mode}>
                {COLOR_NAMES[mode]}
              </option>
            ))}
          </select>
        </label>
        {selecting && (
          <span class="map-selection" role="status">
            <strong>{formatCount(selectedRows.length)}</strong> of {formatCount(points.count)} points selected{' '}
            <button type="button" class="button" onClick={() => navigate({ region: [], pattern: null })}>
              Clear selection
            </button>
          </span>
        )}
        {!selecting && <span class="muted">Choose Lasso or Box, then drag on the map to select points.</span>}
      </div>
      <div class="map-layout">
        <div class="panel map-panel">
          <ScatterPlot
            x={points.x}
            y={points.y}
            colors={rgba}
            height={height}
            tool={tool}
            region={route.region}
            label={`Map of ${layer.layer}: ${plural(points.count, 'input')} coloured by ${COLOR_NAMES[route.mapColor].toLowerCase()}`}
            onHover={(index, anchor) => (index >= 0 && anchor ? showTooltip(anchor, describe(index)) : hideTooltip())}
            onPointClick={(index) => {
              const patternId = joined.patternId[index]!;
              if (patternId < -1 || !clustering) return;
              hideTooltip();
              navigate({ view: 'pattern', pattern: patternId });
            }}
            onRegion={(polygon) => navigate({ region: roundRegion(polygon), pattern: null })}
          />
          <MapLegend legend={coloring.legend} />
        </div>
        <MapPatternList route={route} counts={counts} patterns={patterns.data} selecting={selecting} />
      </div>
      <MapGallery
        route={route}
        runId={run.runId}
        rows={galleryRows}
        points={points}
        inputs={inputs.data}
        memberships={memberships.data}
        highlight={highlight}
        selecting={selecting}
      />
    </section>
  );
}
