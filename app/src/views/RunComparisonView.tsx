/**
 * Two runs of the store side by side: per layer they share (by name), how well their partitions of the
 * shared inputs agree (ARI, NMI) and the one-to-one matching of their patterns, with both average images.
 */
import { type LayerComparisonSummary, type RunSummary } from '../../../src/results/api-types.js';
import { useQuery } from '../api.js';
import { AverageImage } from '../components/AverageImage.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import type { ViewContext } from '../context.js';
import { formatCount, formatNumber, plural, shortPatternName } from '../format.js';
import { hrefOf, navigate } from '../route.js';
import { Metric } from '../components/Metric.js';

function RunPicker({
  label,
  runs,
  value,
  onChange,
}: {
  label: string;
  runs: RunSummary[];
  value: number | null;
  onChange: (runId: number) => void;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <select value={value === null ? '' : String(value)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        {value === null && <option value="">Choose a run…</option>}
        {runs.map((run) => (
          <option key={run.runId} value={String(run.runId)}>
            {run.name} (run {run.runId}, {formatCount(run.inputCount)} inputs)
          </option>
        ))}
      </select>
    </label>
  );
}

function PatternLink({
  context,
  runId,
  layer,
  clusteringId,
  patternId,
}: {
  context: ViewContext;
  runId: number;
  layer: string;
  clusteringId: number;
  patternId: number;
}) {
  const href = hrefOf(context.route, {
    view: 'pattern',
    run: runId,
    layer,
    clustering: null,
    pattern: patternId,
    runB: null,
    selection: [],
  });
  return (
    <a class="versus-pattern" href={href}>
      <AverageImage clusteringId={clusteringId} patternId={patternId} size={32} />
      <span>{shortPatternName(patternId)}</span>
    </a>
  );
}

function LayerPanel({
  context,
  layer,
  runA,
  runB,
}: {
  context: ViewContext;
  layer: LayerComparisonSummary;
  runA: number;
  runB: number;
}) {
  const name = layer.layerA === layer.layerB ? layer.layerA : `${layer.layerA} ~ ${layer.layerB}`;
  const { pairs } = layer;
  return (
    <section class="panel versus-layer" aria-label={`Layer ${name}`} data-layer={name}>
      <div class="panel-heading">
        <h2 class="mono">{name}</h2>
        <span class="muted">
          {formatCount(layer.inputs)} shared inputs · {plural(layer.patternsA, 'pattern')} in A,{' '}
          {plural(layer.patternsB, 'pattern')} in B
        </span>
      </div>
      <table class="table compact versus-agreement">
        <thead>
          <tr>
            <th />
            <th>Inputs</th>
            <th>
              <Metric name="ari">ARI</Metric>
            </th>
            <th>
              <Metric name="nmi">NMI</Metric>
            </th>
          </tr>
        </thead>
        <tbody>
          {(
            [
              ['noise as a label', layer.withNoise],
              ['without noise', layer.withoutNoise],
            ] as const
          ).map(([what, agreement]) => (
            <tr key={what}>
              <th scope="row">{what}</th>
              <td>{formatCount(agreement.inputs)}</td>
              <td class="ari">{formatNumber(agreement.adjustedRandIndex)}</td>
              <td class="nmi">{formatNumber(agreement.normalizedMutualInformation)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Matched patterns ({formatCount(pairs.patternA.length)})</h3>
      {pairs.patternA.length === 0 ? (
        <p class="muted">No pattern of A shares members with a pattern of B.</p>
      ) : (
        <table class="table compact versus-pairs">
          <thead>
            <tr>
              <th>Run A</th>
              <th>Run B</th>
              <th>
                <Metric name="jaccard">Jaccard</Metric>
              </th>
              <th>Shared</th>
            </tr>
          </thead>
          <tbody>
            {pairs.patternA.map((patternA, k) => (
              <tr key={patternA}>
                <td>
                  <PatternLink
                    context={context}
                    runId={runA}
                    layer={layer.layerA}
                    clusteringId={layer.clusteringA}
                    patternId={patternA}
                  />
                </td>
                <td>
                  <PatternLink
                    context={context}
                    runId={runB}
                    layer={layer.layerB}
                    clusteringId={layer.clusteringB}
                    patternId={pairs.patternB[k]!}
                  />
                </td>
                <td>{formatNumber(pairs.jaccard[k]!)}</td>
                <td>{formatCount(pairs.shared[k]!)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="small">
        Unmatched in A: {layer.unmatchedA.length > 0 ? layer.unmatchedA.map(shortPatternName).join(' ') : 'none'} ·
        unmatched in B: {layer.unmatchedB.length > 0 ? layer.unmatchedB.map(shortPatternName).join(' ') : 'none'}
      </p>
    </section>
  );
}

export function RunComparisonView({ context }: { context: ViewContext }) {
  const { route, catalog, run } = context;
  const runA = run?.runId ?? null;
  const runB = route.runB !== null && catalog.run(route.runB) ? route.runB : null;
  const comparison = useQuery('compareRuns', runA !== null && runB !== null ? { runA, runB } : null);
  return (
    <section class="view versus-view" aria-labelledby="versus-title">
      <div class="view-heading">
        <h1 id="versus-title">Compare runs</h1>
      </div>
      <p class="summary-line">
        Inputs are matched by their dataset path; layers by name. ARI and NMI are 1 when both runs group the shared
        inputs alike.
      </p>
      <div class="controls">
        <RunPicker
          label="Run A"
          runs={catalog.runs}
          value={runA}
          onChange={(runId) =>
            navigate({ run: runId, layer: null, clustering: null, pattern: null, selection: [] }, { replace: true })
          }
        />
        <RunPicker
          label="Run B"
          runs={catalog.runs}
          value={runB}
          onChange={(runId) => navigate({ runB: runId }, { replace: true })}
        />
      </div>
      {runA === null || runB === null ? (
        <p class="empty">
          Choose two runs of this store (for example, two checkpoints or aggregations over the same images).
        </p>
      ) : (
        <>
          {comparison.error && <ErrorMessage error={comparison.error} />}
          {!comparison.data && !comparison.error && <Loading what="the comparison" />}
          {comparison.data && (
            <>
              <p class="summary-line versus-summary">
                <strong>{formatCount(comparison.data.sharedInputs)}</strong> shared inputs; left out:{' '}
                {formatCount(comparison.data.unmatchedA)} of A, {formatCount(comparison.data.unmatchedB)} of B
              </p>
              {comparison.data.layers.map((layer) => (
                <LayerPanel
                  key={`${layer.layerA}|${layer.layerB}`}
                  context={context}
                  layer={layer}
                  runA={runA}
                  runB={runB}
                />
              ))}
            </>
          )}
        </>
      )}
    </section>
  );
}
