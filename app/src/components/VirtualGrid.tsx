/**
 * A grid of equally sized cells that renders only the rows near the viewport (the page scrolls, not the
 * grid), so galleries of 50,000 images and 1,000 pattern cards stay fast. Arrow keys, Home and End move
 * focus between cells; the focused cell is scrolled into view and rendered even when it was far away.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualGridProps {
  count: number;
  /** Cell width in CSS pixels; 'full' makes one column as wide as the grid. */
  itemWidth: number | 'full';
  itemHeight: number;
  /** Space between cells; default 8. */
  gap?: number;
  /** Rows rendered beyond the viewport on each side; default 2. */
  overscanRows?: number;
  renderItem: (index: number) => ComponentChildren;
  /** Called with the first and last rendered index when they change (to load pages of data). */
  onRangeChange?: (first: number, last: number) => void;
  label: string;
  className?: string;
}

interface Viewport {
  width: number;
  /** Viewport top and bottom relative to the grid's top edge. */
  top: number;
  bottom: number;
}

function measure(element: HTMLElement): Viewport {
  const rect = element.getBoundingClientRect();
  return { width: element.clientWidth, top: -rect.top, bottom: window.innerHeight - rect.top };
}

export function VirtualGrid({
  count,
  itemWidth,
  itemHeight,
  gap = 8,
  overscanRows = 2,
  renderItem,
  onRangeChange,
  label,
  className,
}: VirtualGridProps) {
  const container = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Viewport>({ width: 0, top: 0, bottom: 800 });
  const focusTarget = useRef<number | null>(null);

  const update = useCallback(() => {
    const element = container.current;
    if (!element) return;
    const next = measure(element);
    setViewport((prev) =>
      prev.width === next.width && prev.top === next.top && prev.bottom === next.bottom ? prev : next,
    );
  }, []);

  useLayoutEffect(() => {
    update();
    let frame = 0;
    const schedule = () => {
      if (frame === 0)
        frame = requestAnimationFrame(() => {
          frame = 0;
          update();
        });
    };
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    const observer = new ResizeObserver(schedule);
    if (container.current) observer.observe(container.current);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
      observer.disconnect();
    };
  }, [update]);

  const width = Math.max(viewport.width, 1);
  const columns = itemWidth === 'full' ? 1 : Math.max(1, Math.floor((width + gap) / (itemWidth + gap)));
  const cellWidth = itemWidth === 'full' ? width : itemWidth;
  const rowHeight = itemHeight + gap;
  const rows = Math.ceil(count / columns);
  const totalHeight = rows === 0 ? 0 : rows * rowHeight - gap;
  const firstRow = Math.max(0, Math.floor(viewport.top / rowHeight) - overscanRows);
  const lastRow = Math.min(rows - 1, Math.floor(viewport.bottom / rowHeight) + overscanRows);
  let first = firstRow * columns;
  let last = Math.min(count - 1, (lastRow + 1) * columns - 1);
  const pending = focusTarget.current;
  const extra = pending !== null && pending < count && (pending < first || pending > last) ? pending : null;
  if (last < first) {
    first = 0;
    last = -1;
  }

  useEffect(() => {
    if (last >= first) onRangeChange?.(first, last);
  }, [first, last, onRangeChange]);

  /** Focuses the cell when it is rendered; true when it was. */
  const focusCell = useCallback((target: number) => {
    const cell = container.current?.querySelector<HTMLElement>(`[data-cell="${target}"]`);
    const focusable = cell?.matches('a, button, [tabindex]')
      ? cell
      : cell?.querySelector<HTMLElement>('a, button, [tabindex]');
    if (!focusable) return false;
    focusable.focus({ preventScroll: true });
    focusable.scrollIntoView({ block: 'nearest' });
    return true;
  }, []);

  useLayoutEffect(() => {
    if (focusTarget.current !== null && focusCell(focusTarget.current)) focusTarget.current = null;
  });

  const onKeyDown = (event: KeyboardEvent) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('[data-cell]');
    if (!cell || event.altKey || event.ctrlKey || event.metaKey) return;
    const index = Number(cell.dataset.cell);
    const moves: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      ArrowDown: index + columns,
      ArrowUp: index - columns,
      Home: 0,
      End: count - 1,
    };
    const target = moves[event.key];
    if (target === undefined || target < 0 || target >= count) return;
    event.preventDefault();
    if (focusCell(target)) return;
    // Far away: scroll there, render it, then focus it.
    focusTarget.current = target;
    const element = container.current!;
    const rowTop = Math.floor(target / columns) * rowHeight;
    const gridTop = element.getBoundingClientRect().top + window.scrollY;
    const margin = 80;
    if (
      rowTop + gridTop < window.scrollY + margin ||
      rowTop + itemHeight + gridTop > window.scrollY + window.innerHeight
    ) {
      window.scrollTo({ top: Math.max(0, gridTop + rowTop - margin) });
    }
    update();
    setViewport((prev) => ({ ...prev }));
  };

  const cells: ComponentChildren[] = [];
  const place = (index: number) => {
    const row = Math.floor(index / columns);
    const column = index % columns;
    cells.push(
      <div
        key={index}
        class="vgrid-cell"
        data-cell={index}
        role="listitem"
        aria-posinset={index + 1}
        aria-setsize={count}
        style={{
          transform: `translate(${column * (cellWidth + gap)}px, ${row * rowHeight}px)`,
          width: `${cellWidth}px`,
          height: `${itemHeight}px`,
        }}
      >
        {renderItem(index)}
      </div>,
    );
  };
  for (let index = first; index <= last; index++) place(index);
  if (extra !== null) place(extra);

  return (
    <div
      ref={container}
      class={`vgrid ${className ?? ''}`}
      role="list"
      aria-label={label}
      style={{ height: `${totalHeight}px` }}
      onKeyDown={onKeyDown}
    >
      {cells}
    </div>
  );
}
