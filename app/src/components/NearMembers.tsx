/**
 * Near members on the pattern page: noise inputs whose strongest soft membership is this pattern, at least
 * as strong as the strength control (shared with the noise page and the map through the URL), shown apart
 * from the core members with how far they grow the pattern and the layer's coverage. On the noise page:
 * the patterns its inputs are nearest to.
 */
import { useMemo } from 'preact/hooks';
import { useQuery } from '../api.js';
import type { ViewContext } from '../context.js';
import { toggleSelection } from '../context.js';
import { nearestPatterns, nearOfPattern } from '../data/near.js';
import { useInputTable } from '../data/tables.js';
import { formatCount, formatNumber, formatShare, patternName, plural } from '../format.js';
import { DEFAULT_NEAR_STRENGTH, hrefOf, navigate } from '../route.js';
import { describeInput, ImageTile } from './ImageTile.js';
import { ErrorMessage, Loading } from './Status.js';
import { VirtualGrid } from './VirtualGrid.js';

const TILE = 60;

function StrengthControl({ strength }: { strength: number }) {
  return (
    <label class="field near-strength-field">
      <span>Strength ≥ {strength.toFixed(2)}</span>
      <input
        type="range"
        class="near-threshold"
        min={0}
        max={1}
        step={0.01}
        value={strength}
        aria-label="Near-member strength threshold"
        onInput={(e) => navigate({ nearStrength: Number(e.currentTarget.value) }, { replace: true })}
      />
    </label>
  );
}

export interface NearMembersProps {
  context: ViewContext;
  clusteringId: number;
  patternId: number;
  /** Core members of the pattern (its hard members). */
  coreSize: number;
}

export function NearMembers({ context, clusteringId, patternId, coreSize }: NearMembersProps) {
  const { route, run } = context;
  const coverage = useQuery('coverage', { clusteringId });
  const inputs = useInputTable(run?.runId ?? null);
  const strength = route.nearStrength ?? DEFAULT_NEAR_STRENGTH;
  const near = useMemo(
    () => (coverage.data ? nearOfPattern(coverage.data, patternId, strength) : undefined),
    [coverage.data, patternId, strength],
  );
  const selected = useMemo(() => new Set(route.selection), [route.selection]);
  if (coverage.error) return <ErrorMessage error={coverage.error} />;
  if (!coverage.data || !near) return <Loading what="near members" />;
  const data = coverage.data;
  if (!data.soft)
    return (
      <section class="panel near-members">
        <h2>Near members</h2>
        <p class="muted">No soft memberships are stored for this clustering (made by an older nap).</p>
      </section>
    );
  const grown = coreSize + near.inputIndex.length;
  return (
    <section class="panel near-members" aria-labelledby="near-title">
      <div class="panel-heading">
        <h2 id="near-title">
          Near members <span class="count near-count">{formatCount(near.inputIndex.length)}</span>
        </h2>
        <StrengthControl strength={strength} />
      </div>
      <p class="near-growth">
        Noise inputs whose strongest membership is {patternName(patternId)}, at least {strength.toFixed(2)} strong:{' '}
        <span class="near-pattern-size">
          {formatCount(coreSize)} core + {formatCount(near.inputIndex.length)} near = {formatCount(grown)} inputs
          {coreSize > 0 && ` (×${(grown / coreSize).toFixed(2)})`}
        </span>
        {' · '}
        <span class="near-layer-coverage">
          the layer's coverage {formatShare(data.inPattern / data.inputs)} →{' '}
          {formatShare((data.inPattern + near.allNear) / data.inputs)} with every pattern's near members
        </span>
      </p>
      {near.inputIndex.length > 0 && (
        <VirtualGrid
          count={near.inputIndex.length}
          itemWidth={TILE}
          itemHeight={TILE + 14}
          gap={4}
          label="Near members"
          className="near-grid"
          renderItem={(position) => {
            const inputIndex = near.inputIndex[position]!;
            return (
              <ImageTile
                runId={run!.runId}
                input={describeInput(inputIndex, inputs.data)}
                size={TILE - 2}
                caption={formatNumber(near.strength[position]!, 2)}
                selected={selected.has(inputIndex)}
                onToggle={(i) => toggleSelection(route, i)}
              />
            );
          }}
        />
      )}
    </section>
  );
}

/** The noise page: which patterns its inputs are nearest to (their strongest soft membership). */
export function NoiseNearestPatterns({ context, clusteringId }: { context: ViewContext; clusteringId: number }) {
  const { route } = context;
  const coverage = useQuery('coverage', { clusteringId });
  const strength = route.nearStrength ?? DEFAULT_NEAR_STRENGTH;
  const nearest = useMemo(
    () => (coverage.data ? nearestPatterns(coverage.data, strength) : undefined),
    [coverage.data, strength],
  );
  if (coverage.error) return <ErrorMessage error={coverage.error} />;
  if (!coverage.data || !nearest) return <Loading what="nearest patterns" />;
  const data = coverage.data;
  const noise = data.inputs - data.inPattern;
  const near = nearest.reduce((n, p) => n + p.count, 0);
  return (
    <section class="panel noise-nearest" aria-labelledby="nearest-title">
      <div class="panel-heading">
        <h2 id="nearest-title">Nearest patterns</h2>
        {data.soft && <StrengthControl strength={strength} />}
      </div>
      {!data.soft ? (
        <p class="muted">No soft memberships are stored for this clustering (made by an older nap).</p>
      ) : (
        <>
          <p class="noise-near-line">
            {formatCount(near)} of {plural(noise, 'noise input')} ({formatShare(noise > 0 ? near / noise : null)}) are
            near a pattern at strength ≥ {strength.toFixed(2)}; with them the layer's coverage is{' '}
            {formatShare((data.inPattern + near) / data.inputs)} (without: {formatShare(data.inPattern / data.inputs)}).
          </p>
          <ol class="nearest-list">
            {nearest.map((p) => (
              <li key={p.patternId}>
                <a href={hrefOf(route, { pattern: p.patternId })}>{patternName(p.patternId)}</a>:{' '}
                {plural(p.count, 'noise input')}, strongest {formatNumber(p.strongest, 2)}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
