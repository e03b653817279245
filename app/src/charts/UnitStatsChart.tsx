/**
 * Per-unit box statistics on a canvas: for each unit a whisker (lower..upper), a q1..q3 bar and a mean dot
 * per series, over a grey band of the layer's q1..q3 and mean tick. Several series (pinned patterns) sit
 * side by side within each unit's column. Hover or arrow keys show a unit's numbers; click or Enter picks it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { UnitStatsResponse } from '../../../src/results/api-types.js';
import type { ColumnName } from '../../../src/results/unit-columns.js';
import { formatNumber } from '../format.js';
import type { UnitSort } from '../route.js';
import { hideTooltip, showTooltip } from '../components/Tooltip.js';
import { CHART_FONT, prepareCanvas, useWidth } from './canvas.js';
import { GRID, INK, LAYER_BAND, MUTED } from './colors.js';
import { unitOrder } from './unit-order.js';

export interface StatsSeries {
  name: string;
  color: string;
  stats: UnitStatsResponse;
}

export interface UnitStatsChartProps {
  series: StatsSeries[];
  /** The layer's statistics, drawn behind the series as a grey band. */
  reference?: UnitStatsResponse;
  hideNearZero: boolean;
  sort: UnitSort;
  height?: number;
  label: string;
  onUnitSelect?: (unit: number) => void;
  /** What a column is (e.g. a unit's mean or standard deviation); default "Unit n". */
  columnName?: (column: number) => ColumnName;
}

const unitName = (column: number): ColumnName => ({ short: String(column), long: `Unit ${column}` });

const MARGIN = { left: 36, right: 8, top: 8, bottom: 22 };
const MIN_COLUMN = 5;
const MAX_COLUMN = 40;

export function UnitStatsChart({
  series,
  reference,
  hideNearZero,
  sort,
  height = 220,
  label,
  onUnitSelect,
  columnName = unitName,
}: UnitStatsChartProps) {
  const [wrapper, available] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [focus, setFocus] = useState<number | null>(null);
  const statsList = series.map((s) => s.stats);
  const rows = unitOrder(
    statsList.length > 0 ? statsList : reference ? [reference] : [],
    reference,
    hideNearZero,
    sort,
  );
  const perUnit = Math.max(MIN_COLUMN, series.length * 4);
  const widest = Math.max(MAX_COLUMN, series.length * 16);
  const plotWidth = Math.min(
    Math.max(available - MARGIN.left - MARGIN.right, rows.length * perUnit),
    rows.length * widest,
  );
  const column = rows.length > 0 ? plotWidth / rows.length : 0;
  const width = plotWidth + MARGIN.left + MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;

  let low = 0;
  let high = 0;
  for (const stats of reference ? [...statsList, reference] : statsList) {
    for (const row of rows) {
      low = Math.min(low, stats.lower[row]!, stats.mean[row]!);
      high = Math.max(high, stats.upper[row]!, stats.mean[row]!);
    }
  }
  if (high - low < 1e-9) high = low + 1;
  const y = (value: number) => MARGIN.top + ((high - value) / (high - low)) * plotHeight;

  useEffect(() => {
    if (!canvas.current || available === 0) return;
    const g = prepareCanvas(canvas.current, width, height);
    g.font = CHART_FONT;
    g.textBaseline = 'middle';
    // Grid lines and y axis labels.
    const ticks = [low, 0, high].concat(
      high >= 0.5 && low <= 0.5 ? [0.5] : [],
      low <= -0.5 && high >= -0.5 ? [-0.5] : [],
    );
    g.strokeStyle = GRID;
    g.fillStyle = MUTED;
    g.textAlign = 'right';
    for (const tick of new Set(ticks.map((t) => Number(t.toFixed(2))))) {
      g.beginPath();
      g.moveTo(MARGIN.left, Math.round(y(tick)) + 0.5);
      g.lineTo(width - MARGIN.right, Math.round(y(tick)) + 0.5);
      g.stroke();
      g.fillText(formatNumber(tick, 2), MARGIN.left - 4, y(tick));
    }
    rows.forEach((row, position) => {
      const x0 = MARGIN.left + position * column;
      if (focus === position) {
        g.fillStyle = 'rgba(47,111,221,0.12)';
        g.fillRect(x0, MARGIN.top, column, plotHeight);
      }
      if (reference) {
        g.fillStyle = LAYER_BAND;
        const top = y(reference.q3[row]!);
        g.fillRect(x0 + column * 0.08, top, column * 0.84, Math.max(1, y(reference.q1[row]!) - top));
        g.fillStyle = MUTED;
        g.fillRect(x0 + column * 0.08, y(reference.mean[row]!) - 0.5, column * 0.84, 1);
      }
      const sub = column / Math.max(1, series.length);
      series.forEach(({ stats, color }, s) => {
        const cx = x0 + sub * (s + 0.5);
        g.strokeStyle = color;
        g.fillStyle = color;
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(cx, y(stats.lower[row]!));
        g.lineTo(cx, y(stats.upper[row]!));
        g.stroke();
        const barWidth = Math.max(1.5, sub * 0.55);
        const top = y(stats.q3[row]!);
        g.globalAlpha = 0.55;
        g.fillRect(cx - barWidth / 2, top, barWidth, Math.max(1, y(stats.q1[row]!) - top));
        g.globalAlpha = 1;
        const radius = Math.max(1.5, Math.min(3.5, sub * 0.35));
        g.fillStyle = series.length > 1 ? color : INK;
        g.strokeStyle = INK;
        g.beginPath();
        g.arc(cx, y(stats.mean[row]!), radius, 0, Math.PI * 2);
        g.fill();
        if (series.length > 1) g.stroke();
      });
    });
    // Unit numbers under the axis, as many as fit.
    g.fillStyle = MUTED;
    g.textAlign = 'center';
    const every = Math.max(1, Math.ceil(28 / Math.max(column, 1e-9)));
    rows.forEach((row, position) => {
      if (position % every === 0)
        g.fillText(
          columnName(statsList[0]?.unit[row] ?? reference?.unit[row] ?? row).short,
          MARGIN.left + (position + 0.5) * column,
          height - MARGIN.bottom / 2,
        );
    });
  });

  const unitAt = (position: number) => {
    const row = rows[position]!;
    return statsList[0]?.unit[row] ?? reference?.unit[row] ?? row;
  };

  const describe = (position: number) => {
    const row = rows[position]!;
    return (
      <div class="tip-stats">
        <strong>{columnName(unitAt(position)).long}</strong>
        <table>
          <thead>
            <tr>
              <th />
              <th>mean</th>
              <th>q1–q3</th>
              <th>whiskers</th>
            </tr>
          </thead>
          <tbody>
            {series.map(({ name, color, stats }) => (
              <tr key={name}>
                <th>
                  <span class="swatch" style={{ background: color }} />
                  {name}
                </th>
                <td>{formatNumber(stats.mean[row]!)}</td>
                <td>
                  {formatNumber(stats.q1[row]!)}–{formatNumber(stats.q3[row]!)}
                </td>
                <td>
                  {formatNumber(stats.lower[row]!)}–{formatNumber(stats.upper[row]!)}
                </td>
              </tr>
            ))}
            {reference && (
              <tr>
                <th>
                  <span class="swatch" style={{ background: LAYER_BAND }} />
                  layer
                </th>
                <td>{formatNumber(reference.mean[row]!)}</td>
                <td>
                  {formatNumber(reference.q1[row]!)}–{formatNumber(reference.q3[row]!)}
                </td>
                <td>
                  {formatNumber(reference.lower[row]!)}–{formatNumber(reference.upper[row]!)}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    );
  };

  const showAt = (position: number) => {
    setFocus(position);
    const rect = canvas.current!.getBoundingClientRect();
    const x = rect.left + MARGIN.left + (position + 0.5) * column;
    showTooltip(new DOMRect(x - column / 2, rect.top + MARGIN.top, column, plotHeight), describe(position));
  };

  const positionOf = (event: MouseEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    const position = Math.floor((event.clientX - rect.left - MARGIN.left) / column);
    return position >= 0 && position < rows.length ? position : null;
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (rows.length === 0) return;
    const current = focus ?? -1;
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, PageDown: 10, PageUp: -10 };
    if (event.key in step) {
      event.preventDefault();
      const next = Math.max(0, Math.min(rows.length - 1, current + step[event.key]!));
      showAt(next);
      const scroller = wrapper.current!;
      const x = MARGIN.left + next * column;
      if (x < scroller.scrollLeft || x > scroller.scrollLeft + scroller.clientWidth - column)
        scroller.scrollLeft = x - scroller.clientWidth / 2;
    } else if (event.key === 'Enter' && focus !== null && onUnitSelect) {
      onUnitSelect(unitAt(focus));
    }
  };

  const shown = rows.length;
  const total = statsList[0]?.unit.length ?? reference?.unit.length ?? 0;
  return (
    <div class="unit-chart">
      <div ref={wrapper} class="unit-chart-scroll">
        <canvas
          ref={canvas}
          tabIndex={0}
          role="img"
          aria-label={`${label}: ${shown} of ${total} units. Arrow keys step through units${onUnitSelect ? ', Enter opens one' : ''}.`}
          style={{ cursor: onUnitSelect ? 'pointer' : 'default' }}
          onMouseMove={(event) => {
            const position = positionOf(event);
            if (position === null) {
              setFocus(null);
              hideTooltip();
            } else if (position !== focus) showAt(position);
          }}
          onMouseLeave={() => {
            setFocus(null);
            hideTooltip();
          }}
          onBlur={() => {
            setFocus(null);
            hideTooltip();
          }}
          onClick={(event) => {
            const position = positionOf(event);
            if (position !== null && onUnitSelect) onUnitSelect(unitAt(position));
          }}
          onKeyDown={onKeyDown}
        />
      </div>
      <div class="sr-only" aria-live="polite">
        {focus !== null && rows[focus] !== undefined
          ? `${columnName(unitAt(focus)).long}: ${series.map((s) => `${s.name} mean ${formatNumber(s.stats.mean[rows[focus]!]!)}`).join(', ')}`
          : ''}
      </div>
      {shown < total && <div class="chart-note">{total - shown} near-zero units hidden</div>}
    </div>
  );
}
