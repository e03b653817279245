/**
 * The WebGL scatter plot as a Preact component: a canvas for the points, an overlay canvas for outlines,
 * zoom buttons, and messages when WebGL is missing or its context was lost. Drag pans (or draws a lasso or
 * box, by `tool`), the wheel zooms around the pointer; with focus, arrow keys pan, + and - zoom, 0 resets.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ScatterController, type ScatterStatus, type ScatterTool } from './scatter-controller.js';

export interface ScatterPlotProps {
  /** Point positions in data coordinates, one x and one y per point. */
  x: Float32Array;
  y: Float32Array;
  /** RGBA per point; alpha is the draw priority (255 on top), not opacity. */
  colors: Uint8Array;
  /** Height in CSS pixels; the width follows the container. */
  height: number;
  tool: ScatterTool;
  /** The selection outline, flat x0, y0, x1, y1, ... in data coordinates (empty: none). */
  region: readonly number[];
  /** Accessible name of the plot. */
  label: string;
  onHover?: (index: number, anchor: DOMRect | null) => void;
  onPointClick?: (index: number) => void;
  onRegion?: (polygon: number[]) => void;
}

const ZOOM_STEP = 1.5;

export function ScatterPlot(props: ScatterPlotProps) {
  const { x, y, colors, height, tool, region, label } = props;
  const wrapper = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const controller = useRef<ScatterController | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const [status, setStatus] = useState<{ status: ScatterStatus; detail?: string }>({ status: 'ready' });

  useLayoutEffect(() => {
    const created = new ScatterController(canvas.current!, overlay.current!, {
      onHover: (index, anchor) => latest.current.onHover?.(index, anchor),
      onPointClick: (index) => latest.current.onPointClick?.(index),
      onRegion: (polygon) => latest.current.onRegion?.(polygon),
      onStatus: (next, detail) => setStatus({ status: next, detail }),
    });
    controller.current = created;
    const element = wrapper.current!;
    const observer = new ResizeObserver(() => created.setSize(element.clientWidth, latest.current.height));
    observer.observe(element);
    return () => {
      observer.disconnect();
      created.dispose();
      controller.current = null;
    };
  }, []);

  // In declaration order: new points first, then the colours for them.
  useLayoutEffect(() => controller.current?.setPoints(x, y), [x, y]);
  useLayoutEffect(() => controller.current?.setColors(colors), [x, y, colors]);
  useLayoutEffect(() => {
    if (controller.current) controller.current.tool = tool;
  }, [tool]);
  useLayoutEffect(() => controller.current?.setRegion(region), [region]);
  useLayoutEffect(() => {
    if (wrapper.current) controller.current?.setSize(wrapper.current.clientWidth, height);
  }, [height]);

  return (
    <div ref={wrapper} class="scatter" style={{ height: `${height}px` }} data-tool={tool}>
      <canvas
        ref={canvas}
        class="scatter-canvas"
        tabIndex={status.status === 'unavailable' ? -1 : 0}
        role="application"
        aria-roledescription="scatter plot"
        aria-label={`${label}. Arrow keys pan, plus and minus zoom, 0 resets the view.`}
        data-points={x.length}
      />
      <canvas ref={overlay} class="scatter-overlay" aria-hidden="true" />
      {status.status !== 'unavailable' && (
        <div class="scatter-zoom" role="group" aria-label="Zoom">
          <button
            type="button"
            class="icon-button"
            aria-label="Zoom in"
            title="Zoom in (+)"
            onClick={() => controller.current?.zoomBy(ZOOM_STEP)}
          >
            +
          </button>
          <button
            type="button"
            class="icon-button"
            aria-label="Zoom out"
            title="Zoom out (−)"
            onClick={() => controller.current?.zoomBy(1 / ZOOM_STEP)}
          >
            −
          </button>
          <button
            type="button"
            class="icon-button"
            aria-label="Reset view"
            title="Show everything (0)"
            onClick={() => controller.current?.resetView()}
          >
            ⤢
          </button>
        </div>
      )}
      {status.status === 'unavailable' && (
        <div class="scatter-message" role="alert">
          This browser offers no WebGL, which the map needs to draw its points. Turn on hardware acceleration (or WebGL)
          in the browser settings, or open the page in another browser.
          {status.detail && <div class="muted small">{status.detail}</div>}
        </div>
      )}
      {status.status === 'lost' && (
        <div class="scatter-message" role="status">
          The graphics context was lost; the map comes back when the browser restores it.
        </div>
      )}
    </div>
  );
}
