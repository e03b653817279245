/**
 * Label x pattern distribution: a heatmap with one column per pattern (in the card order) and one row per
 * label; a cell's shade is the share of the pattern's members with that label. Clicking a label filters by
 * it; clicking a cell opens the pattern filtered by the label. Arrow keys move a cell cursor, Enter opens it.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LabelCountsResponse } from '../../../src/results/api-types.js';
import { formatCount, formatShare, shortPatternName } from '../format.js';
import { hideTooltip, showTooltip } from '../components/Tooltip.js';
import { CHART_FONT, prepareCanvas, useWidth } from './canvas.js';
import { ACCENT, categoryColor, GRID, heat, MUTED } from './colors.js';

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
const TOP = 4;
const BOTTOM = 18;

interface Grid {
  cells: Float64Array;
  counts: Int32Array;
  totals: Int32Array;
}

function tabulate(patterns: number[], labels: string[], counts: LabelCountsResponse): Grid {
  const column = new Map(patterns.map((p, i) => [p, i]));
  const row = new Map(labels.map((l, i) => [l, i]));
  const grid: Grid = {
    cells: new Float64Array(patterns.length * labels.length),
    counts: new Int32Array(patterns.length * labels.length),
    totals: new Int32Array(patterns.length),
  };
  counts.patternId.forEach((patternId, i) => {
    const c = column.get(patternId);
    if (c === undefined) return;
    grid.totals[c]! += counts.count[i]!;
    const r = row.get(counts.label[i] ?? '');
    if (r !== undefined) grid.counts[r * patterns.length + c] = counts.count[i]!;
  });
  for (let r = 0; r < labels.length; r++) {
    for (let c = 0; c < patterns.length; c++) {
      const at = r * patterns.length + c;
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
  const grid = useMemo(() => tabulate(patterns, labels, counts), [patterns, labels, counts]);
  const rowHeight = Math.max(3, Math.min(16, Math.floor(200 / Math.max(1, labels.length))));
  const showNames = rowHeight >= 9;
  const left = showNames ? LABEL_WIDTH : 8;
  const columnWidth = Math.max(4, Math.min(28, (available - left - 8) / Math.max(1, patterns.length)));
  const width = Math.max(available, left + columnWidth * patterns.length + 8);
  const height = TOP + rowHeight * labels.length + BOTTOM;

  useEffect(() => {
    if (!canvas.current || available === 0) return;
    const g = prepareCanvas(canvas.current, width - left, height);
    g.font = CHART_FONT;
    for (let r = 0; r < labels.length; r++) {
      for (let c = 0; c < patterns.length; c++) {
        const share = grid.cells[r * patterns.length + c]!;
        if (share <= 0) continue;
        g.fillStyle = heat(Math.sqrt(share));
        g.fillRect(c * columnWidth, TOP + r * rowHeight, Math.max(1, columnWidth - 1), Math.max(1, rowHeight - 1));
      }
    }
    if (activeLabel !== null) {
      const r = labels.indexOf(activeLabel);
      if (r >= 0) {
        g.strokeStyle = ACCENT;
        g.lineWidth = 1.5;
        g.strokeRect(0.75, TOP + r * rowHeight + 0.25, patterns.length * columnWidth - 1.5, rowHeight - 0.5);
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
    g.strokeRect(0.5, TOP - 0.5, patterns.length * columnWidth, labels.length * rowHeight);
    g.fillStyle = MUTED;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    const every = Math.max(1, Math.ceil(26 / columnWidth));
    patterns.forEach((p, c) => {
      const x = (c + 0.5) * columnWidth;
      if (c % every === 0 && x >= 14 && x <= patterns.length * columnWidth - 10)
        g.fillText(shortPatternName(p), x, height - BOTTOM / 2);
    });
  });

  const describe = (row: number, column: number) => {
    const at = row * patterns.length + column;
    const patternId = patterns[column]!;
    return (
      <div>
        <strong>{patternId === -1 ? 'Noise' : `Pattern ${patternId}`}</strong> · {labels[row]}
        <br />
        {formatCount(grid.counts[at]!)} of {formatCount(grid.totals[column]!)} members ({formatShare(grid.cells[at]!)})
      </div>
    );
  };

  const cellAt = (event: MouseEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    const column = Math.floor((event.clientX - rect.left) / columnWidth);
    const row = Math.floor((event.clientY - rect.top - TOP) / rowHeight);
    return column >= 0 && column < patterns.length && row >= 0 && row < labels.length ? { row, column } : null;
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
        column: Math.max(0, Math.min(patterns.length - 1, from.column + (cursor ? move[1] : 0))),
      };
      show(next);
    } else if (event.key === 'Enter' && cursor) {
      onCell(patterns[cursor.column]!, labels[cursor.row]!);
    }
  };

  return (
    <div class="label-pattern-chart">
      <div class="chart-title">{title}</div>
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
            aria-label={`${title}: ${patterns.length} patterns by ${labels.length} labels. Arrow keys move between cells, Enter opens the pattern filtered by the label.`}
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
              if (cell) onCell(patterns[cell.column]!, labels[cell.row]!);
            }}
            onKeyDown={onKeyDown}
          />
        </div>
      </div>
    </div>
  );
}
