/**
 * One input image: a lazily loaded server thumbnail with a misclassified badge, a selected state (click
 * toggles it) and a tooltip with file, label, prediction, probability and outlier score.
 */
import { Fragment } from 'preact';
import { thumbnailUrl } from '../api.js';
import { formatNumber, formatShare } from '../format.js';
import { finiteOrNull, type InputTable, type MembershipTable } from '../data/tables.js';
import { tooltipHandlers } from './Tooltip.js';

/** What a tile knows about its input; fields are absent while the tables load. */
export interface TileInput {
  inputIndex: number;
  path?: string | null;
  label?: string | null;
  predictionLabel?: string | null;
  probability?: number | null;
  misclassified?: boolean;
  outlierScore?: number | null;
  membershipProbability?: number | null;
}

/** Everything the run's tables say about an input. */
export function describeInput(inputIndex: number, inputs?: InputTable, memberships?: MembershipTable): TileInput {
  const info: TileInput = { inputIndex };
  const row = inputs ? inputs.rows.rowOf(inputIndex) : -1;
  if (inputs && row >= 0) {
    info.path = inputs.path[row] ?? null;
    info.label = inputs.label[row] ?? null;
    info.predictionLabel = inputs.predictionLabel[row] ?? null;
    info.probability = finiteOrNull(inputs.probability[row]);
    info.misclassified = inputs.misclassified[row] === 1;
  }
  const member = memberships ? memberships.rows.rowOf(inputIndex) : -1;
  if (memberships && member >= 0) {
    info.outlierScore = memberships.outlierScore[member] ?? null;
    info.membershipProbability = memberships.probability[member] ?? null;
  }
  return info;
}

function TooltipBody({ input }: { input: TileInput }) {
  const rows: [string, string][] = [['Input', `#${input.inputIndex}`]];
  if (input.path !== undefined) rows.push(['File', input.path ?? '–']);
  if (input.label !== undefined) rows.push(['Label', input.label ?? '–']);
  if (input.predictionLabel !== undefined)
    rows.push([
      'Prediction',
      `${input.predictionLabel ?? '–'}${input.probability != null ? ` (${formatShare(input.probability)})` : ''}`,
    ]);
  if (input.membershipProbability != null) rows.push(['Membership', formatNumber(input.membershipProbability)]);
  if (input.outlierScore != null) rows.push(['Outlier score', formatNumber(input.outlierScore)]);
  return (
    <dl class="tip-table">
      {rows.map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd class={key === 'Prediction' && input.misclassified ? 'wrong' : undefined}>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

export interface ImageTileProps {
  runId: number;
  input: TileInput;
  size: number;
  selected?: boolean;
  onToggle?: (inputIndex: number) => void;
  /** A line under the image, e.g. an activation value. */
  caption?: string;
  /** An image laid over the thumbnail (a heatmap), scaled to it. */
  overlayUrl?: string;
}

export function ImageTile({ runId, input, size, selected = false, onToggle, caption, overlayUrl }: ImageTileProps) {
  const name = `Input ${input.inputIndex}${input.label != null ? `, label ${input.label}` : ''}${input.predictionLabel != null ? `, predicted ${input.predictionLabel}` : ''}${input.misclassified ? ', misclassified' : ''}`;
  return (
    <button
      type="button"
      class={`tile${selected ? ' selected' : ''}${input.misclassified ? ' wrong' : ''}`}
      style={{ width: `${size + 2}px` }}
      aria-pressed={onToggle ? selected : undefined}
      aria-label={name}
      onClick={onToggle ? () => onToggle(input.inputIndex) : undefined}
      {...tooltipHandlers(() => <TooltipBody input={input} />)}
    >
      <img
        src={thumbnailUrl(runId, input.inputIndex, size)}
        width={size}
        height={size}
        loading="lazy"
        decoding="async"
        alt=""
        draggable={false}
      />
      {overlayUrl !== undefined && (
        <img
          class="overlay"
          src={overlayUrl}
          width={size}
          height={size}
          loading="lazy"
          decoding="async"
          alt=""
          draggable={false}
        />
      )}
      {input.misclassified && (
        <span class="badge-wrong" aria-hidden="true">
          {input.predictionLabel ?? '✗'}
        </span>
      )}
      {selected && (
        <span class="badge-selected" aria-hidden="true">
          ✓
        </span>
      )}
      {caption !== undefined && <span class="tile-caption">{caption}</span>}
    </button>
  );
}
