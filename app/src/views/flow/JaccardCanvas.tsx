/**
 * The Jaccard matrix on a canvas, so that 1,000 × 1,000 patterns draw at once: cells shaded by Jaccard
 * index (each row's best column outlined), a band of majority-label colour along each side, pattern names
 * where they fit without overlapping. The wheel zooms around the pointer, dragging pans, hovering a cell
 * tells its numbers; clicking a cell opens the row's pattern.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CHART_FONT, prepareCanvas, useWidth } from '../../charts/canvas.js';
import { categoryColor, GRID, heat, INK, MUTED } from '../../charts/colors.js';
import { markDrawn } from '../../charts/drawn.js';
import { hideTooltip, showTooltip } from '../../components/Tooltip.js';
import { formatCount, formatNumber, patternName, shortPatternName } from '../../format.js';
import type { JaccardModel } from './jaccard-model.js';

export interface SideInfo {
  layer: string;
  /** Members of each pattern id (-1: noise). */
  size: (patternId: number) => number;
  /** Majority label of each pattern id, null when none (noise, unlabelled). */
  majority: (patternId: number) => string | null;
}

interface Props {
  model: JaccardModel;
  rowSide: SideInfo;
  colSide: SideInfo;
  colorIndex: (label: string | null) => number;
  onOpenRow: (patternId: number) => void;
}

const LEFT = 92;
const TOP = 64;
const BAND = 8;
const MAX_CELL = 26;
const MAX_PLOT_HEIGHT = 760;
/** Names are drawn only where a row (column) is at least this tall (wide) on screen. */
const NAME_ROOM = 13;
const NOISE_BAND = '#c9ced6';

interface View {
  scale: number;
  /** Plot pixels scrolled off to the left and top. */
  x: number;
  y: number;
}

function clampView(view: View, plotWidth: number, plotHeight: number): View {
  const scale = Math.max(1, Math.min(64, view.scale));
  return {
    scale,
    x: Math.max(0, Math.min(plotWidth * scale - plotWidth, view.x)),
    y: Math.max(0, Math.min(plotHeight * scale - plotHeight, view.y)),
  };
}

export function JaccardCanvas({ model, rowSide, colSide, colorIndex, onOpenRow }: Props) {
  const [wrapper, available] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const [hover, setHover] = useState<{ i: number; j: number } | null>(null);
  const drag = useRef<{ x: number; y: number; view: View; moved: boolean } | null>(null);
  const { rows, cols } = model;
  const cell = Math.max(
    0.25,
    Math.min(MAX_CELL, (available - LEFT - 8) / Math.max(1, cols.length), MAX_PLOT_HEIGHT / Math.max(1, rows.length)),
  );
  const plotWidth = cols.length * cell;
  const plotHeight = rows.length * cell;
  const width = Math.max(LEFT + plotWidth + 8, 200);
  const height = TOP + plotHeight + 4;
  const size = cell * view.scale;
  const cellIndex = useMemo(() => new Map(model.cells.map((c) => [c.i * model.cols.length + c.j, c])), [model]);

  useEffect(() => setView({ scale: 1, x: 0, y: 0 }), [model]);

  useEffect(() => {
    if (!canvas.current || available === 0) return;
    const g = prepareCanvas(canvas.current, width, height);
    const sx = (j: number) => LEFT + j * size - view.x;
    const sy = (i: number) => TOP + i * size - view.y;
    g.save();
    g.beginPath();
    g.rect(LEFT, TOP, plotWidth, plotHeight);
    g.clip();
    g.fillStyle = '#fafbfc';
    g.fillRect(LEFT, TOP, plotWidth, plotHeight);
    const gap = size >= 4 ? 1 : 0;
    const max = Math.max(1e-9, model.max);
    for (const c of model.cells) {
      const x = sx(c.j);
      const y = sy(c.i);
      if (x > LEFT + plotWidth || y > TOP + plotHeight || x + size < LEFT || y + size < TOP) continue;
      g.fillStyle = heat(Math.sqrt(c.jaccard / max));
      g.fillRect(x, y, Math.max(0.6, size - gap), Math.max(0.6, size - gap));
    }
    if (size >= 5) {
      g.strokeStyle = INK;
      g.lineWidth = 1.2;
      for (const c of model.cells) if (c.best) g.strokeRect(sx(c.j) + 0.6, sy(c.i) + 0.6, size - 2.2, size - 2.2);
    }
    if (hover) {
      g.strokeStyle = '#e8590c';
      g.lineWidth = 1.5;
      g.strokeRect(sx(hover.j) - 0.75, sy(hover.i) - 0.75, size + 0.5, size + 0.5);
    }
    g.restore();
    g.strokeStyle = GRID;
    g.strokeRect(LEFT - 0.5, TOP - 0.5, plotWidth + 1, plotHeight + 1);

    // Majority-label bands, clipped to the plot's extent on their axis.
    const bandColor = (side: SideInfo, id: number) =>
      id < 0 ? NOISE_BAND : categoryColor(colorIndex(side.majority(id)));
    g.save();
    g.beginPath();
    g.rect(LEFT - BAND - 2, TOP, BAND, plotHeight);
    g.rect(LEFT, TOP - BAND - 2, plotWidth, BAND);
    g.clip();
    rows.forEach((id, i) => {
      g.fillStyle = bandColor(rowSide, id);
      g.fillRect(LEFT - BAND - 2, sy(i), BAND, Math.max(0.6, size));
    });
    cols.forEach((id, j) => {
      g.fillStyle = bandColor(colSide, id);
      g.fillRect(sx(j), TOP - BAND - 2, Math.max(0.6, size), BAND);
    });
    g.restore();

    // Names where a row or column has room for one; none overlap (one name per NAME_ROOM pixels at most).
    g.font = CHART_FONT;
    g.fillStyle = MUTED;
    if (size >= NAME_ROOM) {
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      rows.forEach((id, i) => {
        const y = sy(i) + size / 2;
        if (y >= TOP + 4 && y <= TOP + plotHeight - 4) g.fillText(shortPatternName(id), LEFT - BAND - 6, y);
      });
      g.textAlign = 'left';
      cols.forEach((id, j) => {
        const x = sx(j) + size / 2;
        if (x < LEFT + 4 || x > LEFT + plotWidth - 4) return;
        g.save();
        g.translate(x, TOP - BAND - 6);
        g.rotate(-Math.PI / 2);
        g.fillText(shortPatternName(id), 0, 0);
        g.restore();
      });
    }
    g.fillStyle = INK;
    g.textAlign = 'left';
    g.textBaseline = 'alphabetic';
    g.fillText(`↓ ${rowSide.layer}`, 4, TOP - 24, LEFT - BAND - 12);
    g.fillText(`→ ${colSide.layer}`, 4, TOP - 10, LEFT - BAND - 12);
    markDrawn('jaccard');
  });

  const cellAt = (event: MouseEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    const x = event.clientX - rect.left - LEFT + view.x;
    const y = event.clientY - rect.top - TOP + view.y;
    if (event.clientX - rect.left < LEFT || event.clientY - rect.top < TOP) return null;
    const i = Math.floor(y / size);
    const j = Math.floor(x / size);
    return i >= 0 && i < rows.length && j >= 0 && j < cols.length ? { i, j } : null;
  };

  const describe = (i: number, j: number) => {
    const row = rows[i]!;
    const col = cols[j]!;
    const found = cellIndex.get(i * cols.length + j);
    const side = (info: SideInfo, id: number) =>
      `${patternName(id)} of ${info.layer} (${formatCount(info.size(id))}${info.majority(id) !== null ? `, mostly ${info.majority(id)}` : ''})`;
    return (
      <div class="jaccard-tip">
        <div>{side(rowSide, row)}</div>
        <div>× {side(colSide, col)}</div>
        <strong>
          Jaccard {formatNumber(found?.jaccard ?? 0)} · {formatCount(found?.count ?? 0)} shared
        </strong>
        {row >= 0 && <div class="muted small">Click to open the row’s pattern</div>}
      </div>
    );
  };

  const onMouseMove = (event: MouseEvent) => {
    const dragging = drag.current;
    if (dragging && event.buttons === 1) {
      const dx = event.clientX - dragging.x;
      const dy = event.clientY - dragging.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) dragging.moved = true;
      setView(clampView({ ...dragging.view, x: dragging.view.x - dx, y: dragging.view.y - dy }, plotWidth, plotHeight));
      hideTooltip();
      return;
    }
    const at = cellAt(event);
    setHover(at);
    if (!at) return hideTooltip();
    const rect = canvas.current!.getBoundingClientRect();
    showTooltip(
      new DOMRect(rect.left + LEFT + at.j * size - view.x, rect.top + TOP + at.i * size - view.y, size, size),
      describe(at.i, at.j),
    );
  };

  const onWheel = (event: WheelEvent) => {
    event.preventDefault();
    const rect = canvas.current!.getBoundingClientRect();
    const px = Math.max(0, Math.min(plotWidth, event.clientX - rect.left - LEFT));
    const py = Math.max(0, Math.min(plotHeight, event.clientY - rect.top - TOP));
    const factor = Math.exp(-event.deltaY * 0.002);
    const scale = Math.max(1, Math.min(64, view.scale * factor));
    const ratio = scale / view.scale;
    setView(clampView({ scale, x: (view.x + px) * ratio - px, y: (view.y + py) * ratio - py }, plotWidth, plotHeight));
  };

  // Preact's onWheel is passive in some browsers; the listener must be able to stop the page from scrolling.
  useEffect(() => {
    const element = canvas.current;
    if (!element) return undefined;
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  });

  return (
    <div ref={wrapper} class="jaccard-canvas">
      <div class="jaccard-toolbar">
        <span class="muted small">
          {rows.length} × {cols.length} · wheel to zoom, drag to pan
          {view.scale > 1 && ` · zoom ${view.scale.toFixed(1)}×`}
        </span>
        {view.scale > 1 && (
          <button type="button" class="link-button" onClick={() => setView({ scale: 1, x: 0, y: 0 })}>
            reset zoom
          </button>
        )}
      </div>
      <canvas
        ref={canvas}
        class="jaccard"
        role="img"
        aria-label={`Jaccard index of ${rows.length} patterns of ${rowSide.layer} (rows) and ${cols.length} of ${colSide.layer} (columns)`}
        data-rows={rows.join(',')}
        data-cols={cols.join(',')}
        data-cells={model.cells.length}
        style={{ cursor: drag.current ? 'grabbing' : 'crosshair' }}
        onMouseDown={(event) => {
          drag.current = { x: event.clientX, y: event.clientY, view, moved: false };
        }}
        onMouseUp={(event) => {
          const dragging = drag.current;
          drag.current = null;
          if (dragging?.moved) return;
          const at = cellAt(event);
          if (at && rows[at.i]! >= 0) onOpenRow(rows[at.i]!);
        }}
        onMouseMove={onMouseMove}
        onMouseLeave={() => {
          drag.current = null;
          setHover(null);
          hideTooltip();
        }}
      />
    </div>
  );
}
