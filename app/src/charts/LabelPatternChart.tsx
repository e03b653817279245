/**
 * Label x pattern distribution: a heatmap with one column per pattern and one row per label; a cell's shade
 * is the share of the pattern's members with that label, and a strip above each column shows its majority
 * label's colour. Columns go by label mix (patterns of one majority label together, purest first) or in the
 * card order; when there are more patterns than room (3 px a column), neighbouring columns are summed into
 * bins. Clicking a label filters by it; clicking a cell opens the pattern (a bin's first) filtered by the
 * label. Arrow keys move a cell cursor, Enter opens it.
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LabelCountsResponse } from '../../../src/results/api-types.js';
import { binColumns, majorityRow, orderByLabelMix, type ColumnBin } from '../../../src/results/label-order.js';
import { formatCount, formatShare, plural, shortPatternName } from '../format.js';
import { hideTooltip, showTooltip } from '../components/Tooltip.js';
import { CHART_FONT, prepareCanvas, useWidth } from './canvas.js';
import { ACCENT, categoryColor, GRID, heat, MUTED } from './colors.js';
import { markDrawn } from './drawn.js';

export interface LabelPatternChartProps {
  /** Pattern ids in column order (-1: noise). */
  patterns: number[];
  /** Row labels in order. */
  labels: string[];
  counts: LabelCountsResponse;
  /** Category index of a label, for its color. */
  colorIndex: (label: string | null) => number;
  activeLabel: string | null;
  onLabel: (label: string | null) => void;
  onCell: (patternId: number, label: string) => void;
  title: string;
}

const LABEL_WIDTH = 84;
/** Room above the cells for the majority-label strip. */
const TOP = 10;
const STRIP = 6;
const BOTTOM = 18;
/** Narrowest column; more patterns than fit at this width are binned. */
const MIN_COLUMN = 3;
type ColumnOrder = 'mix' | 'cards';

interface Grid {
  cells: Float64Array;
  counts: Int32Array;
  totals: Int32Array;
}

/** Label counts of each pattern (by label row) and its members' total, labelled or not. */
function countsByPattern(patterns: number[], labels: string[], counts: LabelCountsResponse) {
  const row = new Map(labels.map((l, i) => [l, i]));
  const byPattern = new Map(patterns.map((p) => [p, { counts: new Int32Array(labels.length), total: 0 }]));
  counts.patternId.forEach((patternId, i) => {
    const entry = byPattern.get(patternId);
    if (!entry) return;
    entry.total += counts.count[i]!;
    const r = row.get(counts.label[i] ?? '');
    if (r !== undefined) entry.counts[r] = counts.count[i]!;
  });
  return byPattern;
}

/** The grid of `bins` columns over `columns` (pattern ids in order): summed counts and shares. */
function tabulate(
  columns: number[],
  bins: ColumnBin[],
  labels: string[],
  byPattern: ReturnType<typeof countsByPattern>,
): Grid {
  const width = bins.length;
  const grid: Grid = {
    cells: new Float64Array(width * labels.length),
    counts: new Int32Array(width * labels.length),
    totals: new Int32Array(width),
  };
  bins.forEach((bin, c) => {
    for (let k = bin.start; k < bin.end; k++) {
      const entry = byPattern.get(columns[k]!)!;
      grid.totals[c]! += entry.total;
      for (let r = 0; r < labels.length; r++) grid.counts[r * width + c]! += entry.counts[r]!;
    }
  });
  for (let r = 0; r < labels.length; r++) {
    for (let c = 0; c < width; c++) {
      const at = r * width + c;
      grid.cells[at] = grid.totals[c]! > 0 ? grid.counts[at]! / grid.totals[c]! : 0;
    }
  }
  return grid;
}

export function LabelPatternChart({
  patterns,
  labels,
  counts,
  colorIndex,
  activeLabel,
  onLabel,
  onCell,
  title,
}: LabelPatternChartProps) {
  const [wrapper, available] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [cursor, setCursor] = useState<{ row: number; column: number } | null>(null);
  const [order, setOrder] = useState<ColumnOrder>('mix');
  const rowHeight = Math.max(3, Math.min(16, Math.floor(200 / Math.max(1, labels.length))));
  const showNames = rowHeight >= 9;
  const left = showNames ? LABEL_WIDTH : 8;
  const room = Math.max(MIN_COLUMN, available - left - 8);
  const byPattern = useMemo(() => countsByPattern(patterns, labels, counts), [patterns, labels, counts]);
  const columns = useMemo(
    () =>
      order === 'cards'
        ? patterns
        : orderByLabelMix(patterns.map((patternId) => ({ patternId, counts: byPattern.get(patternId)!.counts }))),
    [order, patterns, byPattern],
  );
  const bins = useMemo(() => binColumns(columns.length, room / MIN_COLUMN), [columns.length, room]);
  const binned = bins.length < columns.length;
  const grid = useMemo(() => tabulate(columns, bins, labels, byPattern), [columns, bins, labels, byPattern]);
  const columnWidth = Math.max(MIN_COLUMN, Math.min(28, room / Math.max(1, bins.length)));
  const width = Math.max(available, left + columnWidth * bins.length + 8);
  const height = TOP + rowHeight * labels.length + BOTTOM;
  const binName = (bin: ColumnBin) =>
    bin.end - bin.start === 1
      ? shortPatternName(columns[bin.start]!)
      : `${shortPatternName(columns[bin.start]!)}…${shortPatternName(columns[bin.end - 1]!)}`;

  // Drawn before the browser paints, so that a redraw shows the new picture in its first frame.
  useLayoutEffect(() => {
    if (!canvas.current || available === 0) return;
    const g = prepareCanvas(canvas.current, width - left, height);
    g.font = CHART_FONT;
    const gap = columnWidth >= 4 ? 1 : 0;
    bins.forEach((_, c) => {
      const column = Int32Array.from(labels, (_, r) => grid.counts[r * bins.length + c]!);
      const majority = majorityRow(column);
      if (majority < 0) return;
      g.fillStyle = categoryColor(colorIndex(labels[majority]!));
      g.fillRect(c * columnWidth, TOP - STRIP - 2, Math.max(1, columnWidth - gap), STRIP);
    });
    for (let r = 0; r < labels.length; r++) {
      for (let c = 0; c < bins.length; c++) {
        const share = grid.cells[r * bins.length + c]!;
        if (share <= 0) continue;
        g.fillStyle = heat(Math.sqrt(share));
        g.fillRect(c * columnWidth, TOP + r * rowHeight, Math.max(1, columnWidth - gap), Math.max(1, rowHeight - 1));
      }
    }
    if (activeLabel !== null) {
      const r = labels.indexOf(activeLabel);
      if (r >= 0) {
        g.strokeStyle = ACCENT;
        g.lineWidth = 1.5;
        g.strokeRect(0.75, TOP + r * rowHeight + 0.25, bins.length * columnWidth - 1.5, rowHeight - 0.5);
      }
    }
    if (cursor) {
      g.strokeStyle = '#111';
      g.lineWidth = 1.5;
      g.strokeRect(
        cursor.column * columnWidth + 0.75,
        TOP + cursor.row * rowHeight + 0.75,
        columnWidth - 1.5,
        rowHeight - 1.5,
      );
    }
    g.strokeStyle = GRID;
    g.lineWidth = 1;
    g.strokeRect(0.5, TOP - 0.5, bins.length * columnWidth, labels.length * rowHeight);
    g.fillStyle = MUTED;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    // Names of single columns only, each at least 30 px from the next, so that none overlap.
    if (!binned) {
      const every = Math.max(1, Math.ceil(30 / columnWidth));
      bins.forEach((bin, c) => {
        const x = (c + 0.5) * columnWidth;
        if (c % every === 0 && x >= 14 && x <= bins.length * columnWidth - 10)
          g.fillText(binName(bin), x, height - BOTTOM / 2);
      });
    } else {
      g.textAlign = 'left';
      g.fillText(
        `${formatCount(columns.length)} patterns in ${formatCount(bins.length)} bins of ${bins[0]!.end - bins[0]!.start}`,
        2,
        height - BOTTOM / 2,
      );
    }
    markDrawn('label-pattern');
  });

  const describe = (row: number, column: number) => {
    const at = row * bins.length + column;
    const bin = bins[column]!;
    const patternId = columns[bin.start]!;
    const single = bin.end - bin.start === 1;
    return (
      <div>
        <strong>
          {single
            ? patternId === -1
              ? 'Noise'
              : `Pattern ${patternId}`
            : `${plural(bin.end - bin.start, 'pattern')} ${binName(bin)}`}
        </strong>{' '}
        · {labels[row]}
        <br />
        {formatCount(grid.counts[at]!)} of {formatCount(grid.totals[column]!)} members ({formatShare(grid.cells[at]!)})
        {!single && (
          <>
            <br />
            <span class="muted">Click to open {shortPatternName(patternId)}, the first of the bin</span>
          </>
        )}
      </div>
    );
  };
  const patternOf = (column: number) => columns[bins[column]!.start]!;

  const cellAt = (event: MouseEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    const column = Math.floor((event.clientX - rect.left) / columnWidth);
    const row = Math.floor((event.clientY - rect.top - TOP) / rowHeight);
    return column >= 0 && column < bins.length && row >= 0 && row < labels.length ? { row, column } : null;
  };

  const show = (cell: { row: number; column: number }) => {
    setCursor(cell);
    const rect = canvas.current!.getBoundingClientRect();
    showTooltip(
      new DOMRect(rect.left + cell.column * columnWidth, rect.top + TOP + cell.row * rowHeight, columnWidth, rowHeight),
      describe(cell.row, cell.column),
    );
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const moves: Record<string, [number, number]> = {
      ArrowRight: [0, 1],
      ArrowLeft: [0, -1],
      ArrowDown: [1, 0],
      ArrowUp: [-1, 0],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const from = cursor ?? { row: 0, column: 0 };
      const next = {
        row: Math.max(0, Math.min(labels.length - 1, from.row + (cursor ? move[0] : 0))),
        column: Math.max(0, Math.min(bins.length - 1, from.column + (cursor ? move[1] : 0))),
      };
      show(next);
    } else if (event.key === 'Enter' && cursor) {
      onCell(patternOf(cursor.column), labels[cursor.row]!);
    }
  };

  return (
    <div class="label-pattern-chart">
      <div class="chart-title">
        {title}{' '}
        <span class="segmented" role="group" aria-label="Order of the columns">
          {(['mix', 'cards'] as const).map((choice) => (
            <button
              type="button"
              key={choice}
              class={order === choice ? 'on' : ''}
              aria-pressed={order === choice}
              onClick={() => setOrder(choice)}
            >
              {choice === 'mix' ? 'by label mix' : 'card order'}
            </button>
          ))}
        </span>
      </div>
      <div class="legend label-pattern-legend">
        <span class="legend-item">
          <span class="swatch heat-ramp" /> share of the pattern’s members with the row’s label, 0 to 100%
        </span>
        <span class="legend-item">strip on top: the majority label’s colour (as in the row names)</span>
      </div>
      <div ref={wrapper} class="heatmap-scroll">
        <div class="heatmap" style={{ width: `${width}px`, height: `${height}px` }}>
          {showNames && (
            <div class="heatmap-labels" style={{ width: `${left}px`, paddingTop: `${TOP}px` }}>
              {labels.map((label) => (
                <button
                  type="button"
                  key={label}
                  class={`heatmap-label${label === activeLabel ? ' active' : ''}`}
                  style={{ height: `${rowHeight}px`, lineHeight: `${rowHeight}px` }}
                  aria-pressed={label === activeLabel}
                  title={`Filter by ${label}`}
                  onClick={() => onLabel(label === activeLabel ? null : label)}
                >
                  <span class="swatch" style={{ background: categoryColor(colorIndex(label)) }} />
                  {label}
                </button>
              ))}
            </div>
          )}
          <canvas
            ref={canvas}
            tabIndex={0}
            role="img"
            aria-label={`${title}: ${patterns.length} patterns${binned ? ` in ${bins.length} bins` : ''} by ${labels.length} labels. Arrow keys move between cells, Enter opens the pattern filtered by the label.`}
            data-columns={bins.length}
            data-order={columns.join(',')}
            style={{ position: 'absolute', left: `${left}px`, top: 0, cursor: 'pointer' }}
            onMouseMove={(event) => {
              const cell = cellAt(event);
              if (cell) show(cell);
              else {
                setCursor(null);
                hideTooltip();
              }
            }}
            onMouseLeave={() => {
              setCursor(null);
              hideTooltip();
            }}
            onBlur={() => {
              setCursor(null);
              hideTooltip();
            }}
            onClick={(event) => {
              const cell = cellAt(event);
              if (cell) onCell(patternOf(cell.column), labels[cell.row]!);
            }}
            onKeyDown={onKeyDown}
          />
        </div>
      </div>
    </div>
  );
}
