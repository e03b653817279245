/**
 * The patterns among the selected points (all points without a selection), most points first. Choosing one
 * highlights its points on the map and narrows the gallery to it; its link opens the pattern page.
 */
import type { PatternsResponse } from '../../../../src/results/api-types.js';
import { formatCount, formatShare, patternName } from '../../format.js';
import { hrefOf, navigate, type Route } from '../../route.js';
import { patternRgb, rgbString } from './map-colors.js';

export interface MapPatternListProps {
  route: Route;
  /** Points per pattern among the selection; index p + 1 holds pattern p, index 0 the noise. */
  counts: Int32Array;
  patterns: PatternsResponse | undefined;
  selecting: boolean;
}

export function MapPatternList({ route, counts, patterns, selecting }: MapPatternListProps) {
  const rows: { patternId: number; count: number }[] = [];
  counts.forEach((count, i) => {
    if (count > 0) rows.push({ patternId: i - 1, count });
  });
  rows.sort(
    (a, b) =>
      (a.patternId === -1 ? 1 : 0) - (b.patternId === -1 ? 1 : 0) || b.count - a.count || a.patternId - b.patternId,
  );
  const highlighted = route.pattern;
  return (
    <section class="panel map-patterns" aria-labelledby="map-patterns-title">
      <div class="panel-heading">
        <h2 id="map-patterns-title">
          {selecting ? 'Patterns in the selection' : 'Patterns'}{' '}
          <span class="count">{formatCount(rows.filter((r) => r.patternId >= 0).length)}</span>
        </h2>
        {highlighted !== null && (
          <button type="button" class="link-button" onClick={() => navigate({ pattern: null }, { replace: true })}>
            Clear highlight
          </button>
        )}
      </div>
      {rows.length === 0 && <p class="note">No points in the selection.</p>}
      <ul class="map-pattern-list" aria-label="Patterns (choose one to highlight its points)">
        {rows.map(({ patternId, count }) => {
          const summary = patternId === -1 ? patterns?.noise : patterns?.patterns[patternId];
          const on = highlighted === patternId;
          const name = patternName(patternId);
          return (
            <li key={patternId} class={`map-pattern${on ? ' on' : ''}`} data-pattern={patternId}>
              <button
                type="button"
                class="map-pattern-toggle"
                aria-pressed={on}
                aria-label={`${on ? 'Stop highlighting' : 'Highlight'} ${name}`}
                onClick={() => navigate({ pattern: on ? null : patternId }, { replace: true })}
              >
                <span class="swatch" style={{ background: rgbString(patternRgb(patternId)) }} />
                <span class="map-pattern-name">{name}</span>
                <span class="map-pattern-count">
                  {formatCount(count)}
                  {summary && selecting && <span class="muted"> of {formatCount(summary.size)}</span>}
                </span>
                {summary && summary.dominantLabel !== null && (
                  <span class="muted map-pattern-label">
                    “{summary.dominantLabel}” {formatShare(summary.labelPurity)}
                  </span>
                )}
              </button>
              <a
                class="map-pattern-open"
                href={hrefOf(route, { view: 'pattern', pattern: patternId })}
                aria-label={`Open ${name}`}
                title={`Open ${name}`}
              >
                →
              </a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
