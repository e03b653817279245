/** A histogram of values in [0, 1] (membership probabilities) as SVG bars. */
import { formatCount } from '../format.js';
import { ACCENT, GRID, MUTED } from './colors.js';

export interface HistogramProps {
  values: ArrayLike<number>;
  /** Number of equal-width bins over [0, 1]; default 20. */
  bins?: number;
  width?: number;
  height?: number;
  label: string;
}

export function binCounts(values: ArrayLike<number>, bins: number): Int32Array {
  const counts = new Int32Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]!++;
  }
  return counts;
}

export function Histogram({ values, bins = 20, width = 280, height = 120, label }: HistogramProps) {
  const counts = binCounts(values, bins);
  const max = Math.max(1, ...counts);
  const left = 34;
  const bottom = 18;
  const plotW = width - left - 6;
  const plotH = height - bottom - 6;
  const barW = plotW / bins;
  return (
    <svg
      class="chart"
      width={width}
      height={height}
      role="img"
      aria-label={`${label}: ${formatCount(values.length)} values`}
    >
      <title>{label}</title>
      <line x1={left} x2={left + plotW} y1={6 + plotH} y2={6 + plotH} stroke={GRID} />
      {Array.from(counts, (count, bin) => {
        const h = (count / max) * plotH;
        return (
          <rect
            key={bin}
            x={left + bin * barW + 0.5}
            y={6 + plotH - h}
            width={Math.max(1, barW - 1)}
            height={h}
            fill={ACCENT}
            opacity={0.85}
          >
            <title>{`${(bin / bins).toFixed(2)}–${((bin + 1) / bins).toFixed(2)}: ${formatCount(count)}`}</title>
          </rect>
        );
      })}
      <text x={left - 4} y={10} text-anchor="end" class="axis">
        {formatCount(max)}
      </text>
      <text x={left - 4} y={6 + plotH} text-anchor="end" class="axis">
        0
      </text>
      <text x={left} y={height - 4} class="axis" fill={MUTED}>
        0
      </text>
      <text x={left + plotW / 2} y={height - 4} text-anchor="middle" class="axis">
        0.5
      </text>
      <text x={left + plotW} y={height - 4} text-anchor="end" class="axis">
        1
      </text>
    </svg>
  );
}
