/**
 * The patterns of a layer: filters, sorting, the label x pattern chart and a virtualized grid of cards.
 */
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { icicleLayout, patternsUnder } from '../../../src/results/icicle-layout.js';
import { activeNode, IciclePanel, SubtreeMembers, SubtreePanel } from '../components/HierarchyPanel.js';
import { type PatternsResponse, type PatternSummary } from '../../../src/results/api-types.js';
import { useQuery } from '../api.js';
import { LabelPatternChart } from '../charts/LabelPatternChart.js';
import { CoverageLine } from '../components/CoverageLine.js';
import { CoverageGoal } from '../components/CoverageGoal.js';
import { CoverageStep } from '../components/CoverageStep.js';
import { FilterBar } from '../components/FilterBar.js';
import { GranularityControl } from '../components/GranularityControl.js';
import { KeepClustering } from '../components/KeepClustering.js';
import { CARD_EXAMPLES, CARD_HEIGHT, CARD_WIDTH, PatternCard } from '../components/PatternCard.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import { VirtualGrid } from '../components/VirtualGrid.js';
import { addToSelection, type ViewContext } from '../context.js';
import { labelCounts } from '../../../src/results/label-counts.js';
import { filteredSizes, memberIndices } from '../../../src/results/members.js';
import { hardCoverage } from '../data/coverage.js';
import { filtersOf, isFiltering } from '../data/filters.js';
import { nearestPatterns } from '../data/near.js';
import { labelColorIndex, predictionLabelsOf } from '../data/labels.js';
import {
  allowsSingleCluster,
  granularityKey,
  granularityRoute,
  markChangeTime,
  reselect,
  reselectorOf,
  routeGranularity,
  sameGranularity,
  selectAt,
  storedGranularity,
  takeChangeTime,
  type Granularity,
} from '../data/reselection.js';
import { SORT_NAMES, sortPatterns } from '../data/patterns.js';
import { loadMembershipTable, useInputTable, useMembershipTable } from '../data/tables.js';
import { formatCount, formatShare, plural } from '../format.js';
import { hrefOf, navigate, PATTERN_SORTS, type PatternSort, type Route } from '../route.js';
import { Metric } from '../components/Metric.js';

export function LayerToolbar({ route, patterns }: { route: Route; patterns: PatternsResponse }) {
  return (
    <div class="toolbar">
      <label class="field">
        <span>Sort by</span>
        <select value={route.sort} onChange={(e) => navigate({ sort: e.currentTarget.value as PatternSort })}>
          {PATTERN_SORTS.map((sort) => (
            <option key={sort} value={sort}>
              {SORT_NAMES[sort]}
            </option>
          ))}
        </select>
      </label>
      <label class="field check">
        <input type="checkbox" checked={route.noise} onChange={(e) => navigate({ noise: e.currentTarget.checked })} />
        <span>Show noise ({formatCount(patterns.noise.size)})</span>
      </label>
    </div>
  );
}

/**
 * Calls `done` once the next frame has been drawn (a message posted from the frame's animation callback is
 * handled after its style, layout and paint); returns a function that cancels it.
 */
function afterNextPaint(done: () => void): () => void {
  let live = true;
  const frame = requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      if (live) done();
    };
    channel.port2.postMessage(null);
  });
  return () => {
    live = false;
    cancelAnimationFrame(frame);
  };
}

export function LayerView({ context }: { context: ViewContext }) {
  const { route, run, layer, clustering } = context;
  const filters = filtersOf(route);
  const filtering = isFiltering(filters);
  const patterns = useQuery(
    'patterns',
    clustering ? { clusteringId: clustering.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  // The whole-run tables (tooltips, filtered sizes) and the chart wait for the cards, so the server answers the cards first.
  const cardsReady = patterns.data !== undefined;
  const inputs = useInputTable(cardsReady ? (run?.runId ?? null) : null);
  const memberships = useMembershipTable(cardsReady ? (clustering?.clusteringId ?? null) : null);
  const colorIndex = useMemo(() => labelColorIndex(run), [run]);
  const coverage = useQuery(
    'coverage',
    clustering && clustering.unit === null ? { clusteringId: clustering.clusteringId } : null,
  );

  // A granularity other than the stored one (in the URL): patterns re-selected in the page from the layer's stored tree.
  const stored = useMemo(() => (clustering ? storedGranularity(clustering) : undefined), [clustering]);
  const asked = stored && clustering?.unit === null ? routeGranularity(route, stored) : undefined;
  const wanted = asked && stored && !sameGranularity(asked, stored) ? asked : undefined;
  const wantedKey = wanted ? `${clustering!.clusteringId}/${granularityKey(wanted)}` : '';
  // The stored patterns' label counts (a re-cut counts its own).
  const storedCounts = useQuery(
    'labelCounts',
    cardsReady && clustering && !wanted ? { clusteringId: clustering.clusteringId, by: route.chartBy } : null,
  );
  // The redraw is timed from the control's change (or, for back / forward and a loaded URL, from the first
  // render that asks for the granularity) ...
  const asking = useRef({ key: '', at: 0 });
  if (asking.current.key !== wantedKey) asking.current = { key: wantedKey, at: takeChangeTime(wantedKey) };
  // nap demo's first view opens both panels (route.hierarchy); a person opens and closes them.
  const [hierarchyOpen, setHierarchyOpen] = useState(route.hierarchy || route.node !== null);
  const [granularityOpen, setGranularityOpen] = useState(route.hierarchy);
  const needTree = Boolean(wanted) || hierarchyOpen || granularityOpen || route.node !== null;
  const linkage = useQuery(
    'linkage',
    needTree && clustering && clustering.unit === null ? { clusteringId: clustering.clusteringId } : null,
  );
  const tree = linkage.data ? reselectorOf(linkage.data) : undefined;
  // ... or from the moment the last of the tree and the tables it re-selects over arrived, if later.
  const tablesReady = useRef(0);
  if (!tree || !memberships.data || !inputs.data) tablesReady.current = 0;
  else if (tablesReady.current === 0) tablesReady.current = performance.now();
  const reselected = useMemo(
    () =>
      wanted && tree && clustering && memberships.data && inputs.data
        ? reselect(tree, wanted, allowsSingleCluster(clustering), memberships.data, inputs.data, CARD_EXAMPLES)
        : undefined,
    [wantedKey, tree, clustering, memberships.data, inputs.data],
  );
  // ... to the redrawn page: counts, coverage, cards in the DOM and the chart and icicle canvases drawn (they
  // draw in layout effects, which run before this one), then also to the painted frame. The note is written
  // directly (a state change would render the whole view again).
  const reselectionNote = useRef<HTMLParagraphElement>(null);
  useLayoutEffect(() => {
    const note = reselectionNote.current;
    if (!reselected || !note) return undefined;
    const start = Math.max(asking.current.at, tablesReady.current);
    const redrawn = performance.now() - start;
    note.dataset.redrawMs = redrawn.toFixed(1);
    return afterNextPaint(() => {
      const painted = performance.now() - start;
      note.dataset.paintedMs = painted.toFixed(1);
      note.querySelector('.redraw-ms')!.textContent =
        `, redrawn ${redrawn.toFixed(1)} ms after the change (painted after ${painted.toFixed(1)} ms)`;
    });
  }, [reselected]);
  // The selection the icicle plot and a subtree draw (none while neither is shown): the re-cut, or the
  // stored granularity re-selected from the tree.
  const drawsTree = hierarchyOpen || route.node !== null;
  const cut = useMemo(() => {
    if (!drawsTree || !tree || !stored || !clustering) return undefined;
    if (reselected) return reselected.selection;
    return selectAt(tree, stored, allowsSingleCluster(clustering));
  }, [reselected, drawsTree, tree, stored, clustering]);
  const layout = useMemo(() => (cut ? icicleLayout(cut.condensedTree, cut.selectedClusters) : undefined), [cut]);
  const subtreePatterns = useMemo(() => {
    const node = layout ? activeNode(layout, route.node) : -1;
    return layout && node >= 0 ? new Set(patternsUnder(layout, node)) : undefined;
  }, [layout, route.node]);
  const changeGranularity = (granularity: Granularity, replace: boolean) => {
    if (!stored || !clustering) return;
    markChangeTime(`${clustering.clusteringId}/${granularityKey(granularity)}`);
    navigate({ ...granularityRoute(granularity, stored), node: null }, { replace });
  };
  const shownMemberships = reselected ? reselected.memberships : memberships.data;
  const counts = useMemo(
    () =>
      reselected && inputs.data && clustering
        ? {
            data: {
              clusteringId: clustering.clusteringId,
              by: route.chartBy,
              ...labelCounts(reselected.memberships, inputs.data, route.chartBy),
            },
          }
        : { data: wanted ? undefined : storedCounts.data },
    [reselected, inputs.data, clustering, route.chartBy, wanted, storedCounts.data],
  );

  const sizes = useMemo(
    () =>
      filtering && inputs.data && shownMemberships && clustering
        ? filteredSizes(
            shownMemberships,
            inputs.data,
            filters,
            reselected ? reselected.patterns.length : clustering.patternCount,
          )
        : undefined,
    [filtering, inputs.data, shownMemberships, clustering, filters.label, filters.prediction, filters.misclassified],
  );

  const ordered = useMemo(() => {
    const shown = reselected ?? patterns.data;
    if (!shown) return [];
    const list: PatternSummary[] = sortPatterns(shown.patterns, route.sort);
    if (route.noise) list.unshift(reselected ? reselected.noise() : patterns.data!.noise);
    const inSubtree = subtreePatterns ? list.filter((p) => subtreePatterns.has(p.patternId)) : list;
    return sizes ? inSubtree.filter((p) => sizes[p.patternId + 1]! > 0) : inSubtree;
  }, [patterns.data, reselected, route.sort, route.noise, sizes, subtreePatterns]);

  // Near members counted on the cards of the stored patterns (a re-cut has none stored).
  const nearCounts = useMemo(() => {
    if (route.nearStrength === null || reselected || !coverage.data) return undefined;
    const counts = new Map<number, number>();
    for (const p of nearestPatterns(coverage.data, route.nearStrength)) counts.set(p.patternId, p.count);
    return counts;
  }, [route.nearStrength, reselected, coverage.data]);

  const selectAll = useCallback(
    (patternId: number) => {
      if (!clustering) return;
      if (reselected) {
        addToSelection(route, memberIndices(reselected.memberships, undefined, patternId));
        return;
      }
      void loadMembershipTable(clustering.clusteringId).then((table) => {
        addToSelection(route, memberIndices(table, undefined, patternId));
      });
    },
    [clustering, route, reselected],
  );

  if (!run || !layer) return <p class="empty">Choose a run and a layer.</p>;
  if (!clustering) return <p class="empty">Layer “{layer.layer}” has not been clustered yet.</p>;
  if (patterns.error) return <ErrorMessage error={patterns.error} />;
  if (!patterns.data) return <Loading what={`patterns of ${layer.layer}`} />;
  const data = patterns.data;
  const shownPatternCount = reselected ? reselected.patterns.length : data.clustering.patternCount;
  const hidden = sizes ? shownPatternCount + (route.noise ? 1 : 0) - ordered.length : 0;
  const chartLabels = route.chartBy === 'label' ? run.labels : predictionLabelsOf(run);
  const activeChartLabel = route.chartBy === 'label' ? route.label : route.prediction;
  const unit = clustering.unit;

  return (
    <section class="view layer-view" aria-labelledby="layer-title">
      <div class="view-heading">
        <h1 id="layer-title">
          {unit === null ? 'Patterns' : `Unit ${unit} patterns`} of <span class="mono">{layer.layer}</span>
        </h1>
        <p class="summary-line">
          <strong>{plural(shownPatternCount, 'pattern')}</strong>
          {reselected && ' (re-selected)'} ·{' '}
          {formatCount(reselected ? reselected.noiseSize : data.clustering.noiseCount)} noise ·{' '}
          {formatCount(run.inputCount)} inputs ·{' '}
          <span class="coverage">
            {formatShare(
              reselected
                ? reselected.inPattern / reselected.inputs
                : hardCoverage(data.clustering, run.inputCount).share,
            )}{' '}
            of the inputs <Metric name="coverage">in a pattern</Metric>
          </span>{' '}
          · <Metric name="glosh">outlier score</Metric> above {(reselected ?? data).outlierThreshold.toFixed(3)} (the{' '}
          {Math.round(data.outlierQuantile * 100)}th percentile) counts as outlier
          {' · '}
          <a href={hrefOf(route, { view: 'map', pattern: null })}>see them on the map</a>
          {coverage.data && !reselected && (
            <>
              {' · '}
              <CoverageStep coverage={coverage.data} strength={route.nearStrength} />
            </>
          )}
          {unit !== null && (
            <>
              {' · '}
              <a href={hrefOf(route, { clustering: null, pattern: null })}>layer patterns</a>
            </>
          )}
        </p>
      </div>
      {unit === null && stored && (
        <details
          class="panel granularity-panel"
          open={granularityOpen}
          onToggle={(e) => setGranularityOpen(e.currentTarget.open)}
        >
          <summary>Coverage and granularity</summary>
          {!reselected && !wanted && <CoverageLine clustering={data.clustering} />}
          <GranularityControl
            stored={stored}
            value={wanted ?? stored}
            inputs={run.inputCount}
            onChange={changeGranularity}
          />
          {tree && (
            <CoverageGoal
              reselector={tree}
              stored={stored}
              storedShare={hardCoverage(data.clustering, run.inputCount).share ?? 0}
              value={wanted ?? stored}
              allowSingleCluster={allowsSingleCluster(clustering)}
              onChange={(granularity) => changeGranularity(granularity, false)}
            />
          )}
          {wanted && linkage.error && <ErrorMessage error={linkage.error} />}
          {wanted && !reselected && !linkage.error && <Loading what="the layer's tree" />}
          {reselected && (
            <p
              class="note reselection"
              data-redraw-ms=""
              data-painted-ms=""
              ref={reselectionNote}
              key={granularityKey(reselected.granularity)}
            >
              Re-selected in the page from the stored tree: {plural(reselected.patterns.length, 'pattern')},{' '}
              {formatShare(reselected.inPattern / reselected.inputs)} in a pattern; selection{' '}
              {reselected.selectMs.toFixed(1)} ms, summaries {reselected.summaryMs.toFixed(1)} ms
              <span class="redraw-ms" />. Average images and pattern pages belong to the stored patterns; store this one
              with nap recluster --layer {layer.layer} --min-cluster-size {reselected.granularity.minClusterSize}{' '}
              --selection {reselected.granularity.selection}
              {reselected.granularity.epsilon > 0 ? ` --epsilon ${reselected.granularity.epsilon}` : ''}, or{' '}
              <KeepClustering
                route={route}
                clusteringId={clustering.clusteringId}
                granularity={reselected.granularity}
              />
            </p>
          )}
        </details>
      )}
      {unit === null && (
        <details
          class="panel hierarchy-panel"
          open={hierarchyOpen}
          onToggle={(e) => {
            const open = e.currentTarget.open;
            setHierarchyOpen(open);
            if (!open && route.hierarchy) navigate({ hierarchy: false }, { replace: true });
          }}
        >
          <summary>Hierarchy (condensed tree)</summary>
          {linkage.error && <ErrorMessage error={linkage.error} />}
          {hierarchyOpen && !layout && !linkage.error && <Loading what="the layer's tree" />}
          {hierarchyOpen && layout && memberships.data && (
            <IciclePanel context={context} layout={layout} memberships={memberships.data} inputs={inputs.data} />
          )}
        </details>
      )}
      {layout && memberships.data && (
        <SubtreePanel context={context} layout={layout} memberships={memberships.data} inputs={inputs.data} />
      )}
      <div class="controls">
        <FilterBar run={run} filters={filters} />
        <LayerToolbar route={route} patterns={data} />
      </div>
      {chartLabels.length > 0 && counts.data && (
        <details class="panel" open>
          <summary>
            {route.chartBy === 'label' ? 'Label' : 'Prediction'} × pattern distribution{' '}
            <span class="segmented" role="group" aria-label="Rows of the chart">
              {(['label', 'prediction'] as const).map((by) => (
                <button
                  type="button"
                  key={by}
                  class={route.chartBy === by ? 'on' : ''}
                  aria-pressed={route.chartBy === by}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate({ chartBy: by }, { replace: true });
                  }}
                >
                  {by === 'label' ? 'labels' : 'predictions'}
                </button>
              ))}
            </span>
          </summary>
          <LabelPatternChart
            patterns={ordered.map((p) => p.patternId)}
            labels={chartLabels}
            counts={counts.data}
            colorIndex={colorIndex}
            activeLabel={activeChartLabel}
            onLabel={(label) => navigate(route.chartBy === 'label' ? { label } : { prediction: label })}
            onCell={(patternId, label) =>
              navigate({
                view: 'pattern',
                pattern: patternId,
                ...(route.chartBy === 'label' ? { label } : { prediction: label }),
              })
            }
            title={`Share of each pattern's members per ${route.chartBy === 'label' ? 'input label' : 'predicted class'}`}
          />
        </details>
      )}
      {filtering && !sizes && <Loading what="filtered sizes" />}
      {hidden > 0 && <p class="note">{plural(hidden, 'pattern')} without members passing the filters hidden.</p>}
      <VirtualGrid
        count={ordered.length}
        itemWidth={CARD_WIDTH}
        itemHeight={CARD_HEIGHT}
        gap={12}
        label={`Patterns of ${layer.layer}`}
        className="card-grid"
        renderItem={(index) => {
          const pattern = ordered[index]!;
          return (
            <PatternCard
              route={route}
              runId={run.runId}
              clusteringId={clustering.clusteringId}
              pattern={pattern}
              reselected={reselected !== undefined}
              filteredSize={sizes ? sizes[pattern.patternId + 1] : undefined}
              near={nearCounts && pattern.patternId >= 0 ? (nearCounts.get(pattern.patternId) ?? 0) : undefined}
              inputs={inputs.data}
              memberships={shownMemberships}
              colorIndex={colorIndex}
              onSelectAll={selectAll}
            />
          );
        }}
      />
      {ordered.length === 0 && <p class="empty">No patterns to show.</p>}
      {layout && memberships.data && (
        <SubtreeMembers context={context} layout={layout} memberships={memberships.data} inputs={inputs.data} />
      )}
    </section>
  );
}
