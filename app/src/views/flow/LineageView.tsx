/**
 * The lineage of one pattern: in every other layer of the run, the patterns that hold most of its members,
 * as a stacked bar of shares and links to those patterns. Reached from a pattern page and the alluvial view.
 */
import type { LayerSummary, LineageResponse } from '../../../../src/results/api-types.js';
import { averageImage, useQuery } from '../../api.js';
import { SourceImage } from '../../components/SourceImage.js';
import { showsPatternWords } from '../../data/tables.js';
import { categoryColor } from '../../charts/colors.js';
import { AverageImage } from '../../components/AverageImage.js';
import { CARD_EXAMPLES } from '../../components/PatternCard.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { formatCount, formatShare, patternName, plural, shortPatternName } from '../../format.js';
import { hrefOf, navigate } from '../../route.js';
import { FlowNav } from './FlowNav.js';

const shareColor = (patternId: number) => (patternId === -1 ? '#b8bec6' : categoryColor(patternId));

function Step({ context, step }: { context: ViewContext; step: LineageResponse['steps'][number] }) {
  const { route } = context;
  const href = (patternId: number) =>
    hrefOf(route, { view: 'pattern', layer: step.layer, clustering: null, pattern: patternId, to: null });
  return (
    <li class="lineage-step" data-layer={step.layer}>
      <div class="lineage-layer">
        <span class="mono layer-label">{step.layer}</span>
        <span class="muted">{plural(step.members, 'member')}</span>
      </div>
      <div
        class="lineage-bar"
        role="img"
        aria-label={`Shares in ${step.layer}: ${step.shares.map((s) => `${shortPatternName(s.patternId)} ${formatShare(s.share)}`).join(', ')}`}
      >
        {step.shares.map((share) => (
          <span
            key={share.patternId}
            style={{ width: `${share.share * 100}%`, background: shareColor(share.patternId) }}
          />
        ))}
      </div>
      <div class="chips">
        {step.shares.map((share) => (
          <a
            key={share.patternId}
            class={`chip lineage-chip${share.patternId === -1 ? ' noise' : ''}`}
            href={href(share.patternId)}
            title={`${patternName(share.patternId)} of ${step.layer}: ${plural(share.count, 'member')}`}
          >
            {share.patternId >= 0 && !showsPatternWords(step.clusteringId) && (
              <SourceImage source={averageImage(step.clusteringId, share.patternId, 24)} width={24} height={24} />
            )}
            <span>{shortPatternName(share.patternId)}</span>
            <span class="share">{formatShare(share.share)}</span>
          </a>
        ))}
        {step.otherShare > 0 && <span class="muted small">other patterns {formatShare(step.otherShare)}</span>}
      </div>
    </li>
  );
}

function PatternPicker({ context }: { context: ViewContext }) {
  const { clustering, layer } = context;
  const patterns = useQuery(
    'patterns',
    clustering ? { clusteringId: clustering.clusteringId, examples: CARD_EXAMPLES } : null,
  );
  if (patterns.error) return <ErrorMessage error={patterns.error} />;
  if (!patterns.data) return <Loading what="patterns" />;
  return (
    <label class="field">
      <span>Pattern of {layer?.layer}</span>
      <select value="" onChange={(e) => navigate({ pattern: Number(e.currentTarget.value) })}>
        <option value="">Choose a pattern…</option>
        {[...patterns.data.patterns, patterns.data.noise].map((p) => (
          <option key={p.patternId} value={String(p.patternId)}>
            {patternName(p.patternId)} ({formatCount(p.size)})
          </option>
        ))}
      </select>
    </label>
  );
}

/** The steps of a lineage in model order, the pattern's own layer among them. */
export function LineageSteps({
  context,
  lineage,
  layer,
  clusteringId,
  ownHref,
}: {
  context: ViewContext;
  lineage: LineageResponse;
  layer: LayerSummary;
  clusteringId: number;
  /** The pattern's own page. */
  ownHref: string;
}) {
  const { run } = context;
  const { patternId } = lineage;
  const layerOrder = new Map((run?.layers ?? []).map((l) => [l.layer, l.order]));
  const before = lineage.steps.filter((step) => (layerOrder.get(step.layer) ?? 0) < layer.order);
  const after = lineage.steps.filter((step) => (layerOrder.get(step.layer) ?? 0) > layer.order);
  return (
    <ol class="lineage panel">
      {before.map((step) => (
        <Step key={step.layer} context={context} step={step} />
      ))}
      <li class="lineage-step own" data-layer={layer.layer} aria-current="true">
        <div class="lineage-layer">
          <span class="mono layer-label">{layer.layer}</span>
          <span class="muted">{plural(lineage.size, 'member')}</span>
        </div>
        <a class="lineage-own" href={ownHref}>
          <AverageImage clusteringId={clusteringId} patternId={patternId} size={40} />
          <span>{patternName(patternId)}: this pattern</span>
        </a>
      </li>
      {after.map((step) => (
        <Step key={step.layer} context={context} step={step} />
      ))}
    </ol>
  );
}

export function LineageView({ context }: { context: ViewContext }) {
  const { route, run, layer, clustering } = context;
  const patternId = route.pattern;
  const lineage = useQuery(
    'lineage',
    run && layer && patternId !== null ? { runId: run.runId, layer: layer.layer, patternId } : null,
  );
  if (!run || !layer) return <p class="empty">Choose a run and a layer.</p>;
  const heading = (
    <div class="view-heading">
      <h1 id="lineage-title">
        Lineage{patternId !== null && <> of {patternName(patternId)}</>} <span class="muted">of</span>{' '}
        <span class="mono">{layer.layer}</span>
      </h1>
      <FlowNav context={context} />
    </div>
  );
  if (patternId === null || !clustering) {
    return (
      <section class="view lineage-view" aria-labelledby="lineage-title">
        {heading}
        <p class="summary-line">
          Where the members of one pattern are in every other layer. Choose a pattern, or click a bar of the alluvial
          diagram.
        </p>
        <PatternPicker context={context} />
      </section>
    );
  }
  return (
    <section class="view lineage-view" aria-labelledby="lineage-title">
      {heading}
      <p class="summary-line">
        Where the members of this pattern are in every other layer: the patterns holding at least 5% of them, largest
        first (at most five per layer).
      </p>
      {lineage.error && <ErrorMessage error={lineage.error} />}
      {!lineage.data && !lineage.error && <Loading what="the lineage" />}
      {lineage.data && (
        <LineageSteps
          context={context}
          lineage={lineage.data}
          layer={layer}
          clusteringId={clustering.clusteringId}
          ownHref={hrefOf(route, { view: 'pattern', pattern: patternId })}
        />
      )}
    </section>
  );
}
