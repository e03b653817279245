/**
 * Horizontal bars of label (or prediction) counts; each bar is a button that toggles the matching filter.
 */
import { useState } from 'preact/hooks';
import type { LabelMix } from '../../../src/results/api-types.js';
import { formatCount, formatShare } from '../format.js';
import { categoryColor } from './colors.js';

export interface LabelBarsProps {
  mix: LabelMix;
  /** Category index of a label, for its color. */
  colorIndex: (label: string | null) => number;
  active: string | null;
  onSelect?: (label: string | null) => void;
  /** Bars shown before "more"; default 10. */
  limit?: number;
  title: string;
}

export function LabelBars({ mix, colorIndex, active, onSelect, limit = 10, title }: LabelBarsProps) {
  const [expanded, setExpanded] = useState(false);
  const total = mix.count.reduce((sum, c) => sum + c, 0);
  const max = Math.max(1, ...mix.count);
  const shown = expanded ? mix.label.length : Math.min(limit, mix.label.length);
  return (
    <div class="label-bars" role="group" aria-label={title}>
      <div class="chart-title">{title}</div>
      {mix.label.slice(0, shown).map((label, i) => {
        const count = mix.count[i]!;
        const isActive = active !== null && label === active;
        const text = label ?? '(none)';
        return (
          <button
            type="button"
            key={text}
            class={`label-bar${isActive ? ' active' : ''}`}
            aria-pressed={isActive}
            disabled={!onSelect || label === null}
            title={`${text}: ${formatCount(count)} (${formatShare(count / Math.max(1, total))})${onSelect ? ' — click to filter' : ''}`}
            onClick={() => onSelect?.(isActive ? null : label)}
          >
            <span class="label-name">{text}</span>
            <span class="label-track">
              <span
                class="label-fill"
                style={{ width: `${(count / max) * 100}%`, background: categoryColor(colorIndex(label)) }}
              />
            </span>
            <span class="label-count">{formatCount(count)}</span>
          </button>
        );
      })}
      {mix.label.length > limit && (
        <button type="button" class="link-button" onClick={() => setExpanded(!expanded)}>
          {expanded ? 'fewer' : `${mix.label.length - limit} more`}
        </button>
      )}
    </div>
  );
}

/** A thin stacked bar of a label mix (on pattern cards). */
export function MixBar({
  mix,
  colorIndex,
  label,
}: {
  mix: LabelMix;
  colorIndex: (label: string | null) => number;
  label: string;
}) {
  const total = mix.count.reduce((sum, c) => sum + c, 0);
  const parts = mix.label.map((l, i) => `${l ?? '(none)'} ${formatShare(mix.count[i]! / Math.max(1, total))}`);
  return (
    <div
      class="mix-bar"
      role="img"
      aria-label={`${label}: ${parts.slice(0, 5).join(', ')}`}
      title={`${label}: ${parts.slice(0, 8).join(', ')}${parts.length > 8 ? ', …' : ''}`}
    >
      {mix.label.map((l, i) => (
        <span key={l ?? '(none)'} style={{ flexGrow: mix.count[i], background: categoryColor(colorIndex(l)) }} />
      ))}
    </div>
  );
}
