/** Colors shared by every chart, so a label or a pinned pattern has one color everywhere. */
import { LABEL_PALETTE } from '../../../src/results/label-palette.js';

const CATEGORICAL = LABEL_PALETTE;

/** Color of the i-th category (label, prediction class, pin); beyond the palette, spread hues evenly. */
export function categoryColor(index: number): string {
  if (index < 0) return '#9aa0a6';
  if (index < CATEGORICAL.length) return CATEGORICAL[index]!;
  const hue = (index * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 55% 52%)`;
}

export const INK = '#1f2328';
export const MUTED = '#6a737d';
export const GRID = '#e6e8eb';
export const ACCENT = '#2f6fdd';
export const LAYER_BAND = '#d7dce2';
export const WARN = '#d1242f';

/** A color ramp from white to the accent for heatmap cells, t in [0, 1]. */
export function heat(t: number): string {
  const v = Math.max(0, Math.min(1, t));
  const r = Math.round(255 + (30 - 255) * v);
  const g = Math.round(255 + (90 - 255) * v);
  const b = Math.round(255 + (190 - 255) * v);
  return `rgb(${r},${g},${b})`;
}
