/** What the map's colours mean: swatches with counts for categories, a gradient with its range for values. */
import { formatCount, formatNumber } from '../../format.js';
import type { Legend } from './map-colors.js';

export function MapLegend({ legend }: { legend: Legend }) {
  if (legend.kind === 'ramp') {
    return (
      <div class="map-legend" role="group" aria-label={`Legend: ${legend.title}`}>
        <span class="map-legend-title">{legend.title}</span>
        <span class="map-ramp-value">{formatNumber(legend.min)}</span>
        <span
          class="map-ramp"
          style={{ background: `linear-gradient(to right, ${legend.stops.join(', ')})` }}
          role="img"
          aria-label={`from ${formatNumber(legend.min)} (dark) to ${formatNumber(legend.max)} (light)`}
        />
        <span class="map-ramp-value">{formatNumber(legend.max)}</span>
        {legend.missing > 0 && <span class="muted">· {formatCount(legend.missing)} without a value (light grey)</span>}
      </div>
    );
  }
  return (
    <div class="map-legend" role="group" aria-label={`Legend: ${legend.title}`}>
      <span class="map-legend-title">{legend.title}</span>
      <ul class="map-legend-entries">
        {legend.entries.map((entry) => (
          <li key={entry.label} class="map-legend-entry">
            <span class="swatch" style={{ background: entry.color }} />
            {entry.label} <span class="muted">{formatCount(entry.count)}</span>
          </li>
        ))}
        {legend.more > 0 && <li class="muted">and {formatCount(legend.more)} more</li>}
      </ul>
    </div>
  );
}
