/** The legend of the label colours a chart uses: a swatch and the label, in the run's label order. */
import { categoryColor } from './colors.js';

export function LabelLegend({
  labels,
  colorIndex,
  title = 'Majority label',
}: {
  labels: readonly string[];
  colorIndex: (label: string | null) => number;
  title?: string;
}) {
  if (labels.length === 0) return null;
  return (
    <div class="legend label-legend" aria-label={`${title} colours`}>
      <span class="muted">{title}:</span>
      {labels.map((label) => (
        <span key={label} class="legend-item">
          <span class="swatch" style={{ background: categoryColor(colorIndex(label)) }} />
          {label}
        </span>
      ))}
    </div>
  );
}
