/**
 * The Jaccard matrix of two layers of a run: rows are the patterns of one layer, columns those of another,
 * each cell |A ∩ B| / |A ∪ B| of their members. The best column of each row is outlined; row and column
 * names open the patterns. Only cells with shared members are drawn (the tables are sparse: each input
 * is in one cell), so layers with hundreds of patterns stay light.
 */
import { type LayerFlowResponse } from '../../../../src/results/api-types.js';
import { useQuery } from '../../api.js';
import { heat } from '../../charts/colors.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { formatCount, formatNumber, patternName, shortPatternName } from '../../format.js';
import { hrefOf, navigate } from '../../route.js';
import { FlowNav, flowLayers } from './FlowNav.js';
import { Metric } from '../../components/Metric.js';

const LABEL_WIDTH = 70;
const HEADER_HEIGHT = 76;

/** Labels of the table's rows (or columns): patterns 0..n-1, then noise. */
function labelsOf(patternCount: number, showNoise: boolean): number[] {
  const ids = Array.from({ length: patternCount }, (_, p) => p);
  return showNoise ? [...ids, -1] : ids;
}

function Matrix({ context, flow }: { context: ViewContext; flow: LayerFlowResponse }) {
  const { route } = context;
  const rows = labelsOf(flow.from.patternCount, route.noise);
  const cols = labelsOf(flow.to.patternCount, route.noise);
  const stride = flow.to.patternCount + 1;
  const cellOf = (rowId: number, colId: number) =>
    (rowId < 0 ? flow.from.patternCount : rowId) * stride + (colId < 0 ? flow.to.patternCount : colId);
  const cell = Math.max(10, Math.min(34, Math.floor(900 / Math.max(1, cols.length))));
  const showValues = cell >= 30;
  const max = Math.max(1e-9, ...rows.flatMap((r) => cols.map((c) => flow.jaccard[cellOf(r, c)]!)));
  const best = rows.map((r) => {
    let bestCol = -2;
    let bestValue = 0;
    for (const c of cols) {
      if (c === -1) continue;
      const value = flow.jaccard[cellOf(r, c)]!;
      if (value > bestValue) [bestCol, bestValue] = [c, value];
    }
    return bestCol;
  });
  const patternHref = (layer: string, patternId: number) =>
    hrefOf(route, { view: 'pattern', layer, pattern: patternId, clustering: null, to: null });
  // Room on the right for the last rotated column name.
  const width = LABEL_WIDTH + cols.length * cell + 50;
  const height = HEADER_HEIGHT + rows.length * cell;
  return (
    <svg
      class="jaccard"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Jaccard index of the patterns of ${flow.from.layer} (rows) and ${flow.to.layer} (columns)`}
    >
      <rect
        class="jaccard-background"
        x={LABEL_WIDTH}
        y={HEADER_HEIGHT}
        width={cols.length * cell - 1}
        height={rows.length * cell - 1}
      />
      {cols.map((c, j) => (
        <a key={`c${c}`} href={patternHref(flow.to.layer, c)} class="jaccard-col">
          <text
            x={LABEL_WIDTH + j * cell + cell / 2}
            y={HEADER_HEIGHT - 6}
            text-anchor="start"
            transform={`rotate(-60 ${LABEL_WIDTH + j * cell + cell / 2} ${HEADER_HEIGHT - 6})`}
          >
            {shortPatternName(c)}{' '}
            <tspan class="muted">({formatCount(flow.colSums[c < 0 ? flow.to.patternCount : c]!)})</tspan>
          </text>
        </a>
      ))}
      {rows.map((r, i) => (
        <g key={`r${r}`}>
          <a href={patternHref(flow.from.layer, r)} class="jaccard-row">
            <text x={LABEL_WIDTH - 6} y={HEADER_HEIGHT + i * cell + cell / 2} dy="0.35em" text-anchor="end">
              {shortPatternName(r)}{' '}
              <tspan class="muted">({formatCount(flow.rowSums[r < 0 ? flow.from.patternCount : r]!)})</tspan>
            </text>
          </a>
          {cols.map((c, j) => {
            const index = cellOf(r, c);
            const value = flow.jaccard[index]!;
            if (flow.counts[index] === 0) return null;
            return (
              <g
                key={c}
                class={`jaccard-cell${best[i] === c ? ' best' : ''}`}
                data-row={r}
                data-col={c}
                data-jaccard={value.toFixed(6)}
              >
                <rect
                  x={LABEL_WIDTH + j * cell}
                  y={HEADER_HEIGHT + i * cell}
                  width={cell - 1}
                  height={cell - 1}
                  fill={heat(value / max)}
                />
                {showValues && value > 0 && (
                  <text
                    x={LABEL_WIDTH + j * cell + cell / 2}
                    y={HEADER_HEIGHT + i * cell + cell / 2}
                    dy="0.35em"
                    text-anchor="middle"
                    class={value / max > 0.6 ? 'on-dark' : undefined}
                  >
                    {value.toFixed(2).replace(/^0/, '')}
                  </text>
                )}
                <title>
                  {`${patternName(r)} of ${flow.from.layer} × ${patternName(c)} of ${flow.to.layer}: Jaccard ${formatNumber(value)}, ${formatCount(flow.counts[index]!)} shared inputs`}
                </title>
              </g>
            );
          })}
        </g>
      ))}
    </svg>
  );
}

export function JaccardView({ context }: { context: ViewContext }) {
  const { route, run, layer } = context;
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
            <label class="field check">
              <input
                type="checkbox"
                checked={route.noise}
                onChange={(e) => navigate({ noise: e.currentTarget.checked }, { replace: true })}
              />
              <span>Show noise</span>
            </label>
          </div>
          {flow.error && <ErrorMessage error={flow.error} />}
          {!flow.data && !flow.error && <Loading what="the Jaccard matrix" />}
          {flow.data && (
            <div class="panel">
              <p class="summary-line">
                {formatCount(flow.data.total)} inputs in both layers · darker: more shared members · outlined: the
                closest pattern of <span class="mono">{flow.data.to.layer}</span> for each row
              </p>
              <div class="table-scroll">
                <Matrix context={context} flow={flow.data} />
              </div>
            </div>
          )}
        </>
      )}
    </section>
  );
}
