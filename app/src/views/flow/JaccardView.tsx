/**
 * The Jaccard matrix of two layers of a run: rows are the patterns of one layer, columns those of another,
 * each cell |A ∩ B| / |A ∪ B| of their members. By default the largest patterns of each side (by size or
 * persistence; "all" shows every one), seriated so that patterns sharing members line up along the
 * diagonal, with bands of majority-label colour; drawn on a canvas (see JaccardCanvas).
 */
import { useMemo, useState } from 'preact/hooks';
import type { PatternsResponse } from '../../../../src/results/api-types.js';
import { useQuery } from '../../api.js';
import { LabelLegend } from '../../charts/label-legend.js';
import { CARD_EXAMPLES } from '../../components/PatternCard.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { labelColorIndex } from '../../data/labels.js';
import { formatCount } from '../../format.js';
import { hrefOf, navigate } from '../../route.js';
import { FlowNav, flowLayers } from './FlowNav.js';
import { Metric } from '../../components/Metric.js';
import { JaccardCanvas, type SideInfo } from './JaccardCanvas.js';
import { jaccardModel, type RankBy } from './jaccard-model.js';

const SHOWN_CHOICES: { k: number; name: string }[] = [
  { k: 50, name: 'top 50' },
  { k: 200, name: 'top 200' },
  { k: Number.POSITIVE_INFINITY, name: 'all' },
];

function sideInfo(layer: string, patterns: PatternsResponse): SideInfo {
  const summary = (id: number) => (id < 0 ? patterns.noise : patterns.patterns[id]);
  return {
    layer,
    size: (id) => summary(id)?.size ?? 0,
    majority: (id) => (id < 0 ? null : (summary(id)?.dominantLabel ?? null)),
  };
}

export function JaccardView({ context }: { context: ViewContext }) {
  const { route, run, layer } = context;
  const [rankBy, setRankBy] = useState<RankBy>('size');
  const [k, setK] = useState(SHOWN_CHOICES[0]!.k);
  const layers = flowLayers(context);
  const from = layer && layers.includes(layer.layer) ? layer.layer : layers[0];
  const fromAt = from === undefined ? -1 : layers.indexOf(from);
  const to =
    route.to !== null && layers.includes(route.to) && route.to !== from
      ? route.to
      : (layers[fromAt + 1] ?? layers[fromAt - 1]);
  const flow = useQuery(
    'layerFlow',
    run && from !== undefined && to !== undefined ? { runId: run.runId, from, to } : null,
  );
  const rowPatterns = useQuery(
    'patterns',
    flow.data ? { clusteringId: flow.data.from.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  const colPatterns = useQuery(
    'patterns',
    flow.data ? { clusteringId: flow.data.to.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  const colorIndex = useMemo(() => labelColorIndex(run), [run]);
  const ready = flow.data && rowPatterns.data && colPatterns.data ? flow.data : undefined;
  const model = useMemo(
    () =>
      ready && rowPatterns.data && colPatterns.data
        ? jaccardModel(ready, {
            k,
            rankBy,
            noise: route.noise,
            rowPersistence: rowPatterns.data.patterns.map((p) => p.persistence),
            colPersistence: colPatterns.data.patterns.map((p) => p.persistence),
          })
        : undefined,
    [ready, rowPatterns.data, colPatterns.data, k, rankBy, route.noise],
  );
  if (!run) return <p class="empty">Choose a run.</p>;
  const choose = (label: string, value: string | undefined, onChange: (layer: string) => void, exclude?: string) => (
    <label class="field">
      <span>{label}</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value)}>
        {layers
          .filter((name) => name !== exclude)
          .map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
      </select>
    </label>
  );
  const error = flow.error ?? rowPatterns.error ?? colPatterns.error;
  const rowSide = ready && rowPatterns.data ? sideInfo(ready.from.layer, rowPatterns.data) : undefined;
  const colSide = ready && colPatterns.data ? sideInfo(ready.to.layer, colPatterns.data) : undefined;
  const shownLabels =
    model && rowSide && colSide
      ? run.labels.filter((label) =>
          [...model.rows.map((id) => rowSide.majority(id)), ...model.cols.map((id) => colSide.majority(id))].includes(
            label,
          ),
        )
      : [];
  return (
    <section class="view jaccard-view" aria-labelledby="jaccard-title">
      <div class="view-heading">
        <h1 id="jaccard-title">
          <Metric name="jaccard">Jaccard</Metric> matrix
        </h1>
        <FlowNav context={context} />
      </div>
      {layers.length < 2 ? (
        <p class="empty">Fewer than two layers of this run have patterns.</p>
      ) : (
        <>
          <div class="controls">
            {choose('Rows', from, (name) =>
              navigate(
                { layer: name, clustering: null, pattern: null, to: name === to ? from : to },
                { replace: true },
              ),
            )}
            {choose('Columns', to, (name) => navigate({ to: name }, { replace: true }), from)}
            <label class="field">
              <span>Patterns</span>
              <select value={String(k)} onChange={(e) => setK(Number(e.currentTarget.value))}>
                {SHOWN_CHOICES.map((choice) => (
                  <option key={choice.name} value={String(choice.k)}>
                    {choice.name}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span>Largest by</span>
              <select value={rankBy} onChange={(e) => setRankBy(e.currentTarget.value as RankBy)}>
                <option value="size">size</option>
                <option value="persistence">persistence</option>
              </select>
            </label>
            <label class="field check">
              <input
                type="checkbox"
                checked={route.noise}
                onChange={(e) => navigate({ noise: e.currentTarget.checked }, { replace: true })}
              />
              <span>Show noise</span>
            </label>
          </div>
          {error && <ErrorMessage error={error} />}
          {!model && !error && <Loading what="the Jaccard matrix" />}
          {model && ready && rowSide && colSide && (
            <div class="panel">
              <p class="summary-line">
                {formatCount(ready.total)} inputs in both layers · {formatCount(model.rows.length)} of{' '}
                {formatCount(ready.from.patternCount)} row and {formatCount(model.cols.length)} of{' '}
                {formatCount(ready.to.patternCount)} column patterns, ordered so that patterns sharing members sit
                together · darker: more shared members · outlined: each row’s closest column
              </p>
              <LabelLegend labels={shownLabels} colorIndex={colorIndex} />
              <JaccardCanvas
                model={model}
                rowSide={rowSide}
                colSide={colSide}
                colorIndex={colorIndex}
                onOpenRow={(patternId) =>
                  navigate({ view: 'pattern', layer: ready.from.layer, pattern: patternId, clustering: null, to: null })
                }
              />
              <p class="muted small">
                <a href={hrefOf(route, { view: 'flow' })}>Alluvial diagram</a> of the same layers.
              </p>
            </div>
          )}
        </>
      )}
    </section>
  );
}
