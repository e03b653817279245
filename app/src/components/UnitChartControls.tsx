/** The statistics chart settings kept in the URL: hide near-zero units, order of units. */
import { NEAR_ZERO } from '../charts/unit-order.js';
import { navigate, type Route, type UnitSort } from '../route.js';

export function UnitChartControls({ route, canSortByDifference }: { route: Route; canSortByDifference: boolean }) {
  return (
    <span class="inline-controls">
      <label class="field check" title={`Hide units whose statistics all stay within ±${NEAR_ZERO}`}>
        <input
          type="checkbox"
          checked={route.hideNearZero}
          onChange={(e) => navigate({ hideNearZero: e.currentTarget.checked }, { replace: true })}
        />
        <span>Hide near-zero units</span>
      </label>
      {canSortByDifference && (
        <label class="field">
          <span>Units</span>
          <select
            value={route.unitSort}
            onChange={(e) => navigate({ unitSort: e.currentTarget.value as UnitSort }, { replace: true })}
          >
            <option value="unit">by number</option>
            <option value="difference">by difference from layer</option>
          </select>
        </label>
      )}
    </span>
  );
}
