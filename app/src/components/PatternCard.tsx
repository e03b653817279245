/**
 * A pattern as a card: id, size (and size after filters), persistence, label and prediction mix, average
 * image, most and least stable members and top outliers, with pin and select-all buttons.
 */
import { useEffect, useState } from 'preact/hooks';
import type { PatternSummary } from '../../../src/results/api-types.js';
import { MixBar } from '../charts/LabelBars.js';
import { toggleSelection } from '../context.js';
import type { InputTable, MembershipTable } from '../data/tables.js';
import { formatCount, formatNumber, formatShare, patternName } from '../format.js';
import { hrefOf, navigate, samePin, type Route } from '../route.js';
import { AverageImage } from './AverageImage.js';
import { describeInput, ImageTile } from './ImageTile.js';
import { Metric } from './Metric.js';

export const CARD_WIDTH = 330;
export const CARD_HEIGHT = 292;
export const CARD_EXAMPLES = 6;
const TILE = 38;

export interface PatternCardProps {
  route: Route;
  runId: number;
  clusteringId: number;
  pattern: PatternSummary;
  /** A pattern re-selected in the page: it has no stored page, average image or pin. */
  reselected?: boolean;
  /** Members that pass the filters; undefined when no filter is active (or while loading). */
  filteredSize: number | undefined;
  /** Near members counted with the pattern (noise inputs whose strongest membership it is); undefined: none shown. */
  near?: number;
  inputs: InputTable | undefined;
  memberships: MembershipTable | undefined;
  colorIndex: (label: string | null) => number;
  onSelectAll: (patternId: number) => void;
}

/**
 * `value` from the frame after it changes (undefined before): a card's new facts are painted first and its
 * tiles, whose thumbnails arrive from sprite sheets later anyway, one frame after. A re-cut redraws every
 * card at once, and its tiles are most of that work.
 */
function useAfterPaint<T>(value: T): T | undefined {
  const [shown, setShown] = useState<T | undefined>(undefined);
  useEffect(() => setShown(value), [value]);
  return shown === value ? value : undefined;
}

function TileRow({ title, ids: given, props }: { title: string; ids: number[]; props: PatternCardProps }) {
  const { route, runId, inputs, memberships } = props;
  const ids = useAfterPaint(given);
  if (ids === undefined) {
    return (
      <div class="tile-row">
        <span class="tile-row-title">{title}</span>
        <div class="tile-row-tiles" style={{ height: `${TILE + 2}px` }} />
      </div>
    );
  }
  return (
    <div class="tile-row">
      <span class="tile-row-title">{title}</span>
      <div class="tile-row-tiles">
        {ids.slice(0, CARD_EXAMPLES).map((id) => (
          <ImageTile
            key={id}
            runId={runId}
            input={describeInput(id, inputs, memberships)}
            size={TILE}
            selected={route.selection.includes(id)}
            onToggle={(i) => toggleSelection(route, i)}
          />
        ))}
        {ids.length === 0 && <span class="muted">none</span>}
      </div>
    </div>
  );
}

export function PatternCard(props: PatternCardProps) {
  const { route, clusteringId, pattern, reselected = false, filteredSize, colorIndex, onSelectAll } = props;
  const pin = { clusteringId, patternId: pattern.patternId };
  const pinned = route.pins.some((p) => samePin(p, pin));
  const isNoise = pattern.patternId === -1;
  const name = patternName(pattern.patternId);
  return (
    <article class={`card${isNoise ? ' noise' : ''}${filteredSize === 0 ? ' dimmed' : ''}`} aria-label={name}>
      <header class="card-header">
        {reselected ? (
          <span class="card-title">{name}</span>
        ) : (
          <a
            class="card-title"
            href={hrefOf(route, { view: 'pattern', pattern: pattern.patternId, clustering: route.clustering })}
          >
            {name}
          </a>
        )}
        <span class="card-size" title="members (members passing the filters)">
          {formatCount(pattern.size)}
          {filteredSize !== undefined && <span class="filtered"> · {formatCount(filteredSize)} shown</span>}
          {props.near !== undefined && <span class="card-near"> + {formatCount(props.near)} near</span>}
        </span>
        <span class="card-actions">
          {!reselected && (
            <button
              type="button"
              class={`icon-button${pinned ? ' on' : ''}`}
              aria-pressed={pinned}
              aria-label={`${pinned ? 'Unpin' : 'Pin'} ${name}`}
              title={pinned ? 'Unpin' : 'Pin to compare'}
              onClick={() =>
                navigate(
                  { pins: pinned ? route.pins.filter((p) => !samePin(p, pin)) : [...route.pins, pin] },
                  { replace: true },
                )
              }
            >
              {pinned ? '★' : '☆'}
            </button>
          )}
          <button
            type="button"
            class="icon-button"
            aria-label={`Select all members of ${name}`}
            title="Select all members"
            onClick={() => onSelectAll(pattern.patternId)}
          >
            ☑
          </button>
        </span>
      </header>
      <div class="card-summary">
        {!reselected && <AverageImage clusteringId={clusteringId} patternId={pattern.patternId} size={72} />}
        <dl class="facts">
          {!isNoise && (
            <>
              <dt>
                <Metric name="persistence">persistence</Metric>
              </dt>
              <dd>{formatNumber(pattern.persistence)}</dd>
            </>
          )}
          <dt>
            <Metric name="purity">purity</Metric>
          </dt>
          <dd>
            {formatShare(pattern.labelPurity)}
            {pattern.dominantLabel !== null && <span class="muted"> “{pattern.dominantLabel}”</span>}
          </dd>
          <dt>
            <Metric name="glosh">outliers</Metric>
          </dt>
          <dd>{formatShare(pattern.outlierShare)}</dd>
          <dt>misclassified</dt>
          <dd>{formatCount(pattern.misclassifiedCount)}</dd>
        </dl>
      </div>
      <div class="mixes">
        <MixBar mix={pattern.labels} colorIndex={colorIndex} label="Labels" />
        <MixBar mix={pattern.predictions} colorIndex={colorIndex} label="Predictions" />
      </div>
      <TileRow title="stable" ids={pattern.mostStable} props={props} />
      <TileRow title="unstable" ids={pattern.leastStable} props={props} />
      <TileRow title="outliers" ids={pattern.topOutliers} props={props} />
    </article>
  );
}
