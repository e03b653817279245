/**
 * One floating tooltip for the whole app, shown next to the element under the pointer or with keyboard
 * focus. Elements describe themselves with `tooltipHandlers(content)`.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

interface TooltipState {
  content: ComponentChildren;
  anchor: DOMRect;
}

let publish: (state: TooltipState | null) => void = () => {};

export function showTooltip(anchor: Element | DOMRect, content: ComponentChildren): void {
  publish({ content, anchor: anchor instanceof Element ? anchor.getBoundingClientRect() : anchor });
}

export function hideTooltip(): void {
  publish(null);
}

/** Event handlers that show `content` while the element is hovered or focused. */
export function tooltipHandlers(content: () => ComponentChildren) {
  const show = (event: Event) => showTooltip(event.currentTarget as Element, content());
  return { onMouseEnter: show, onFocus: show, onMouseLeave: hideTooltip, onBlur: hideTooltip };
}

export function TooltipHost() {
  const [state, setState] = useState<TooltipState | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState({ left: -9999, top: -9999 });
  useEffect(() => {
    publish = setState;
    const hide = () => setState(null);
    window.addEventListener('scroll', hide, { passive: true });
    return () => {
      publish = () => {};
      window.removeEventListener('scroll', hide);
    };
  }, []);
  useLayoutEffect(() => {
    if (!state || !box.current) return;
    const { width, height } = box.current.getBoundingClientRect();
    const margin = 8;
    let left = state.anchor.left + state.anchor.width / 2 - width / 2;
    left = Math.max(margin, Math.min(left, window.innerWidth - width - margin));
    let top = state.anchor.bottom + margin;
    if (top + height > window.innerHeight - margin) top = state.anchor.top - height - margin;
    setPosition({ left, top: Math.max(margin, top) });
  }, [state]);
  if (!state) return null;
  return (
    <div ref={box} class="tooltip" role="tooltip" style={{ left: `${position.left}px`, top: `${position.top}px` }}>
      {state.content}
    </div>
  );
}
