/**
 * One input: a thumbnail drawn from a sprite sheet (an image, a row of numbers drawn as a sparkline over a
 * heat strip, an image named per row), or for a text its content as text (truncated, whole in the tooltip),
 * with a misclassified badge, a selected state (click toggles it) and a tooltip with content, file, label,
 * prediction, probability and outlier score.
 */
import { Fragment } from 'preact';
import { thumbnailImage, type ImageSource } from '../api.js';
import { formatNumber, formatShare } from '../format.js';
import {
  finiteOrNull,
  showsInputContents,
  showsInputText,
  useInputTable,
  type InputTable,
  type MembershipTable,
} from '../data/tables.js';
import { SourceImage } from './SourceImage.js';
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
  /** The input's content when it is not an image (text, numbers); null or absent: show its thumbnail. */
  content?: string | null;
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
    info.content = inputs.content[row] ?? null;
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
  if (input.content) rows.push(['Content', input.content]);
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
          <dd class={key === 'Prediction' && input.misclassified ? 'wrong' : key === 'Content' ? 'content' : undefined}>
            {value}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** Characters of an input's content a tile shows; the tooltip shows all of it. */
const TILE_TEXT = 120;

export interface ImageTileProps {
  runId: number;
  input: TileInput;
  size: number;
  selected?: boolean;
  onToggle?: (inputIndex: number) => void;
  /** A line under the image, e.g. an activation value. */
  caption?: string;
  /** An image laid over the thumbnail (a heatmap), scaled to it. */
  overlay?: ImageSource;
  /** The clustering of the pattern gallery the tile is in (a static export keeps a pattern's thumbnails together). */
  clusteringId?: number;
}

/**
 * The input's content when its run's inputs are not images (else undefined): as the view gave it, or from
 * the run's input table (empty while it loads), else the input's name.
 */
function useContent(runId: number, input: TileInput): string | undefined {
  const shows = showsInputContents(runId);
  const table = useInputTable(shows && input.content == null ? runId : null);
  if (!shows) return undefined;
  if (input.content != null) return input.content;
  if (!table.data) return '';
  const row = table.data.rows.rowOf(input.inputIndex);
  return (row >= 0 ? table.data.content[row] : null) ?? input.path ?? `#${input.inputIndex}`;
}

export function ImageTile({
  runId,
  input: given,
  size,
  selected = false,
  onToggle,
  caption,
  overlay,
  clusteringId,
}: ImageTileProps) {
  const content = useContent(runId, given);
  const input: TileInput = content === undefined ? given : { ...given, content };
  const text = showsInputText(runId) ? (content ?? '') : undefined;
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
      {text !== undefined ? (
        <span class="tile-text" style={{ width: `${size}px`, height: `${size}px` }}>
          {text.length > TILE_TEXT ? `${text.slice(0, TILE_TEXT)}…` : text}
        </span>
      ) : (
        <SourceImage
          class="thumb"
          source={thumbnailImage(runId, input.inputIndex, size, clusteringId)}
          width={size}
          height={size}
        />
      )}
      {overlay !== undefined && text === undefined && (
        <SourceImage class="overlay" source={overlay} width={size} height={size} />
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
