/**
 * Triage of one layer: members whose label disagrees with their pattern's majority label or with the
 * model's prediction, most outlying first. Rows are selected like images anywhere (the selection is the
 * run's selected inputs) and the selected rows export as CSV or JSON, made in the browser.
 */
import { useMemo, useState } from 'preact/hooks';
import {
  TRIAGE_REASONS,
  type PatternsResponse,
  type TriageReasonFilter,
  type TriageResponse,
} from '../../../../src/results/api-types.js';
import { triageCsv, triageJson, triageRecords } from '../../../../src/results/triage-records.js';
import { useQuery } from '../../api.js';
import { describeInput, ImageTile } from '../../components/ImageTile.js';
import { CARD_EXAMPLES } from '../../components/PatternCard.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import { addToSelection, toggleSelection, type ViewContext } from '../../context.js';
import { formatCount, formatNumber, formatShare, patternName, plural, shortPatternName } from '../../format.js';
import { hrefOf, navigate } from '../../route.js';
import { downloadText, fileNamePart } from './download.js';

const PAGE_ROWS = 200;

const REASON_NAMES: Record<TriageReasonFilter, string> = {
  any: 'either',
  majority: 'majority label',
  prediction: 'prediction',
};

function Controls({ context, patterns }: { context: ViewContext; patterns: PatternsResponse | undefined }) {
  const { route } = context;
  return (
    <div class="controls">
      <label class="field">
        <span>Pattern</span>
        <select
          value={route.pattern === null ? '' : String(route.pattern)}
          onChange={(e) => {
            const value = e.currentTarget.value;
            navigate({ pattern: value === '' ? null : Number(value) }, { replace: true });
          }}
        >
          <option value="">All patterns</option>
          {(patterns?.patterns ?? []).map((p) => (
            <option key={p.patternId} value={String(p.patternId)}>
              {patternName(p.patternId)} ({formatCount(p.size)}, {p.dominantLabel ?? '–'})
            </option>
          ))}
        </select>
      </label>
      <span class="field">
        <span>Disagrees with</span>
        <span class="segmented" role="group" aria-label="Disagrees with">
          {TRIAGE_REASONS.map((reason) => (
            <button
              type="button"
              key={reason}
              class={route.reason === reason ? 'on' : ''}
              aria-pressed={route.reason === reason}
              onClick={() => navigate({ reason }, { replace: true })}
            >
              {REASON_NAMES[reason]}
            </button>
          ))}
        </span>
      </span>
    </div>
  );
}

function Reasons({ triage, row }: { triage: TriageResponse; row: number }) {
  return (
    <span class="reasons">
      {triage.disagreesWithMajority[row] && <span class="reason majority">majority</span>}
      {triage.disagreesWithPrediction[row] && <span class="reason prediction">prediction</span>}
    </span>
  );
}

export function TriageView({ context }: { context: ViewContext }) {
  const { route, run, layer, clustering } = context;
  const [shown, setShown] = useState(PAGE_ROWS);
  const isLayerClustering = clustering?.unit === null;
  const query = {
    layer: layer?.layer,
    pattern: route.pattern ?? undefined,
    reason: route.reason === 'any' ? undefined : route.reason,
  };
  const triage = useQuery('triage', run && layer && isLayerClustering ? { runId: run.runId, ...query } : null);
  const patterns = useQuery(
    'patterns',
    clustering && isLayerClustering ? { clusteringId: clustering.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  const selected = useMemo(() => new Set(route.selection), [route.selection]);
  const data = triage.data;
  const selectedRows = useMemo(
    () => (data ? data.inputIndex.flatMap((input, k) => (selected.has(input) ? [k] : [])) : []),
    [data, selected],
  );

  if (!run || !layer) return <p class="empty">Choose a run and a layer.</p>;
  if (!isLayerClustering) return <p class="empty">Layer “{layer.layer}” has no layer-wide patterns to triage.</p>;
  const baseName = `triage-run${run.runId}-${fileNamePart(layer.layer)}${route.pattern !== null ? `-pattern${route.pattern}` : ''}`;
  const exportAs = (format: 'csv' | 'json') => {
    if (!data) return;
    const records = triageRecords(data, selectedRows);
    if (format === 'csv') downloadText(`${baseName}.csv`, 'text/csv', triageCsv(records));
    else downloadText(`${baseName}.json`, 'application/json', triageJson(data.runId, data.reason, records));
  };
  const patternHref = (patternId: number) => hrefOf(route, { view: 'pattern', pattern: patternId });

  return (
    <section class="view triage-view" aria-labelledby="triage-title">
      <div class="view-heading">
        <h1 id="triage-title">
          Triage <span class="muted">of</span> <span class="mono">{layer.layer}</span>
          {route.pattern !== null && <span class="muted"> · {patternName(route.pattern)}</span>}
        </h1>
      </div>
      <p class="summary-line">
        Members whose label differs from their pattern’s majority label, or from the model’s prediction; most outlying
        (GLOSH) first. Select rows to export them or to follow them through the layers (Images).
      </p>
      <Controls context={context} patterns={patterns.data} />
      {triage.error && <ErrorMessage error={triage.error} />}
      {!data && !triage.error && <Loading what="triage" />}
      {data && (
        <section class="panel" aria-labelledby="candidates-title">
          <div class="panel-heading">
            <h2 id="candidates-title">
              Candidates <span class="count">{formatCount(data.total)}</span>
            </h2>
            <span class="muted triage-selected">{plural(selectedRows.length, 'row')} selected</span>
            <button
              type="button"
              class="button"
              disabled={data.total === 0}
              onClick={() => addToSelection(route, data.inputIndex.slice(0, shown))}
            >
              Select all shown
            </button>
            <button
              type="button"
              class="button"
              disabled={selectedRows.length === 0}
              onClick={() =>
                navigate(
                  { selection: route.selection.filter((input) => !data.inputIndex.includes(input)) },
                  { replace: true },
                )
              }
            >
              Clear
            </button>
            <button type="button" class="button" disabled={selectedRows.length === 0} onClick={() => exportAs('csv')}>
              Export CSV
            </button>
            <button type="button" class="button" disabled={selectedRows.length === 0} onClick={() => exportAs('json')}>
              Export JSON
            </button>
          </div>
          {data.total === 0 ? (
            <p class="empty">
              No member disagrees here: every labelled member carries its pattern’s majority label
              {route.reason !== 'majority' ? ' and the predicted label' : ''}.
            </p>
          ) : (
            <div class="table-scroll">
              <table class="table compact triage-table">
                <thead>
                  <tr>
                    <th>
                      <span class="sr-only">Selected</span>
                    </th>
                    <th>Image</th>
                    <th>Input</th>
                    <th>File</th>
                    <th>Label</th>
                    <th>Prediction</th>
                    <th>Pattern</th>
                    <th>Majority</th>
                    <th>Disagrees with</th>
                    <th>Outlier score</th>
                    <th>Membership</th>
                  </tr>
                </thead>
                <tbody>
                  {data.inputIndex.slice(0, shown).map((inputIndex, k) => {
                    const isSelected = selected.has(inputIndex);
                    return (
                      <tr
                        key={`${data.layer[k]}:${inputIndex}`}
                        class={isSelected ? 'current' : undefined}
                        data-input={inputIndex}
                      >
                        <td>
                          <input
                            type="checkbox"
                            checked={isSelected}
                            aria-label={`Select input ${inputIndex}`}
                            onChange={() => toggleSelection(route, inputIndex)}
                          />
                        </td>
                        <td>
                          <ImageTile
                            runId={run.runId}
                            input={{
                              ...describeInput(inputIndex),
                              path: data.path[k] ?? null,
                              label: data.label[k]!,
                              predictionLabel: data.predictionLabel[k] ?? null,
                              probability: data.probability[k] ?? null,
                              misclassified: data.disagreesWithPrediction[k]!,
                              outlierScore: data.outlierScore[k] ?? null,
                              membershipProbability: data.membershipProbability[k]!,
                            }}
                            size={36}
                            selected={isSelected}
                            onToggle={(index) => toggleSelection(route, index)}
                          />
                        </td>
                        <td>#{inputIndex}</td>
                        <td class="mono small triage-file">{data.path[k] ?? '–'}</td>
                        <td class="triage-label">{data.label[k]}</td>
                        <td class={data.disagreesWithPrediction[k] ? 'wrong' : undefined}>
                          {data.prediction[k]! >= 0
                            ? `${data.predictionLabel[k] ?? data.prediction[k]} (${formatShare(data.probability[k] ?? null)})`
                            : '–'}
                        </td>
                        <td>
                          <a href={patternHref(data.patternId[k]!)}>{shortPatternName(data.patternId[k]!)}</a>
                        </td>
                        <td>
                          {data.majorityLabel[k]} <span class="muted">({formatShare(data.majorityShare[k]!)})</span>
                        </td>
                        <td>
                          <Reasons triage={data} row={k} />
                        </td>
                        <td class="triage-outlier">{formatNumber(data.outlierScore[k] ?? null)}</td>
                        <td>{formatNumber(data.membershipProbability[k]!)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {shown < data.inputIndex.length && (
                <button type="button" class="button" onClick={() => setShown(shown + PAGE_ROWS)}>
                  Show {formatCount(Math.min(PAGE_ROWS, data.inputIndex.length - shown))} more of{' '}
                  {formatCount(data.inputIndex.length - shown)}
                </button>
              )}
            </div>
          )}
        </section>
      )}
    </section>
  );
}
