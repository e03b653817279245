/**
 * The interactive part of the WebGL scatter plot, independent of Preact: it owns the view (pan, zoom), the
 * grid index for hit-testing, the pointer, wheel and keyboard handlers, and a 2-D overlay canvas for the
 * selection outline, the lasso or box being drawn, and the hovered point. Everything is redrawn in one
 * animation frame after a change; pan and zoom touch no buffer.
 *
 * The canvas carries its current view as data-view="centerX centerY scale" (scale in CSS pixels per data
 * unit), so that tests and tools can map screen positions to data coordinates, and data-render-mode
 * (see scatter-gl.ts).
 */
import { ScatterRenderer } from './scatter-gl.js';
import { PointGrid } from './scatter-grid.js';
import { simplifyPath } from './scatter-path.js';
import {
  boundsOf,
  fitViewport,
  panBy,
  resized,
  toDataX,
  toDataY,
  toScreenX,
  toScreenY,
  zoomAt,
  ZOOM_IN_LIMIT,
  ZOOM_OUT_LIMIT,
  type Viewport,
} from './scatter-viewport.js';

export type ScatterTool = 'pan' | 'lasso' | 'box';

export type ScatterStatus = 'ready' | 'lost' | 'unavailable';

export interface ScatterCallbacks {
  /** The point under the pointer changed (-1: none); `anchor` is its box in viewport coordinates. */
  onHover(index: number, anchor: DOMRect | null): void;
  /** A click (no drag) on a point. */
  onPointClick(index: number): void;
  /** A lasso or box was drawn: its polygon, flat x0, y0, x1, y1, ... in data coordinates. */
  onRegion(polygon: number[]): void;
  onStatus(status: ScatterStatus, detail?: string): void;
}

/** A press that moves less than this (CSS pixels) is a click. */
const CLICK_SLOP = 4;
/** Lasso vertices closer than this to the previous one are skipped. */
const LASSO_STEP = 2;
/** A finished lasso is simplified within this (CSS pixels), which keeps polygons (and URLs) short. */
const LASSO_TOLERANCE = 1;
const KEY_PAN = 60;
const KEY_ZOOM = 1.5;
const WHEEL_ZOOM_PER_PIXEL = 0.002;

/** Disc diameter in CSS pixels at the fitted zoom: smaller discs for denser plots. */
export function defaultPointSize(count: number): number {
  return count <= 1_000 ? 7 : count <= 10_000 ? 4 : count <= 50_000 ? 3 : 2;
}

interface Gesture {
  tool: ScatterTool;
  pointerId: number;
  startX: number;
  startY: number;
  lastX: number;
  lastY: number;
  moved: boolean;
  /** Lasso vertices (screen) so far. */
  path: number[];
}

export class ScatterController {
  private readonly renderer: ScatterRenderer | null;
  private readonly overlayContext: CanvasRenderingContext2D | null;
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private grid: PointGrid = PointGrid.build(this.x, this.y);
  private view: Viewport = { centerX: 0, centerY: 0, scale: 1, width: 0, height: 0 };
  private fittedScale = 1;
  private fitted = false;
  private width = 0;
  private height = 0;
  private pixelRatio = 1;
  private frame = 0;
  private gesture: Gesture | null = null;
  private hovered = -1;
  private region: readonly number[] = [];
  private basePointSize = 4;
  tool: ScatterTool = 'pan';

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly callbacks: ScatterCallbacks,
  ) {
    let renderer: ScatterRenderer | null = null;
    let failure: string | undefined;
    try {
      renderer = ScatterRenderer.create(canvas, {
        onLost: () => callbacks.onStatus('lost'),
        onRestored: () => {
          callbacks.onStatus('ready');
          this.requestDraw();
        },
      });
    } catch (error) {
      failure = (error as Error).message;
    }
    this.renderer = renderer;
    this.overlayContext = overlay.getContext('2d');
    if (!renderer) {
      callbacks.onStatus('unavailable', failure);
      return;
    }
    canvas.addEventListener('pointerdown', this.onPointerDown);
    canvas.addEventListener('pointermove', this.onPointerMove);
    canvas.addEventListener('pointerup', this.onPointerUp);
    canvas.addEventListener('pointercancel', this.onPointerCancel);
    canvas.addEventListener('pointerleave', this.onPointerLeave);
    canvas.addEventListener('wheel', this.onWheel, { passive: false });
    canvas.addEventListener('keydown', this.onKeyDown);
    callbacks.onStatus('ready');
  }

  get available(): boolean {
    return this.renderer !== null;
  }

  /** New points (data coordinates): indexes them and fits the view to them. */
  setPoints(x: Float32Array, y: Float32Array): void {
    this.x = x;
    this.y = y;
    this.grid = PointGrid.build(x, y);
    this.basePointSize = defaultPointSize(x.length);
    this.hovered = -1;
    this.renderer?.setPoints(x, y);
    this.fitted = false;
    this.fit();
  }

  setColors(rgba: Uint8Array): void {
    this.renderer?.setColors(rgba);
    this.requestDraw();
  }

  /** The selection outline to show (flat data coordinates; empty: none). */
  setRegion(polygon: readonly number[]): void {
    this.region = polygon;
    this.requestDraw();
  }

  /** The canvas size in CSS pixels (the backing store follows the device pixel ratio). */
  setSize(width: number, height: number): void {
    this.width = Math.max(0, Math.floor(width));
    this.height = Math.max(0, Math.floor(height));
    this.syncBackingStore();
    if (this.fitted) this.view = resized(this.view, this.width, this.height);
    else this.fit();
    this.requestDraw();
  }

  resetView(): void {
    this.fitted = false;
    this.fit();
  }

  zoomBy(factor: number): void {
    this.applyZoom(factor, this.view.width / 2, this.view.height / 2);
  }

  panBy(dx: number, dy: number): void {
    this.view = panBy(this.view, dx, dy);
    this.requestDraw();
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const canvas = this.canvas;
    canvas.removeEventListener('pointerdown', this.onPointerDown);
    canvas.removeEventListener('pointermove', this.onPointerMove);
    canvas.removeEventListener('pointerup', this.onPointerUp);
    canvas.removeEventListener('pointercancel', this.onPointerCancel);
    canvas.removeEventListener('pointerleave', this.onPointerLeave);
    canvas.removeEventListener('wheel', this.onWheel);
    canvas.removeEventListener('keydown', this.onKeyDown);
    this.renderer?.dispose();
  }

  private fit(): void {
    if (this.width === 0 || this.height === 0) return;
    this.view = fitViewport(boundsOf(this.x, this.y), this.width, this.height);
    this.fittedScale = this.view.scale;
    this.fitted = true;
    this.requestDraw();
  }

  private applyZoom(factor: number, sx: number, sy: number): void {
    this.view = zoomAt(this.view, factor, sx, sy, this.fittedScale * ZOOM_OUT_LIMIT, this.fittedScale * ZOOM_IN_LIMIT);
    this.requestDraw();
  }

  private syncBackingStore(): void {
    this.pixelRatio = Math.min(window.devicePixelRatio || 1, 3);
    for (const canvas of [this.canvas, this.overlay]) {
      const w = Math.max(1, Math.round(this.width * this.pixelRatio));
      const h = Math.max(1, Math.round(this.height * this.pixelRatio));
      if (canvas.width !== w) canvas.width = w;
      if (canvas.height !== h) canvas.height = h;
      canvas.style.width = `${this.width}px`;
      canvas.style.height = `${this.height}px`;
    }
  }

  /** Point diameter now: it grows gently when zooming in, so that islands stay readable. */
  private pointSize(): number {
    const zoom = this.view.scale / this.fittedScale;
    return this.basePointSize * Math.min(3, Math.max(1, Math.sqrt(zoom)));
  }

  private requestDraw(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    if (!this.renderer || this.width === 0 || this.height === 0) return;
    if (Math.min(window.devicePixelRatio || 1, 3) !== this.pixelRatio) this.syncBackingStore();
    const unfinished = this.renderer.draw(this.view, this.pixelRatio, this.pointSize());
    this.canvas.dataset.view = `${this.view.centerX} ${this.view.centerY} ${this.view.scale}`;
    this.canvas.dataset.renderMode = this.renderer.mode;
    this.drawOverlay();
    if (unfinished) this.requestDraw();
  }

  private drawOverlay(): void {
    const context = this.overlayContext;
    if (!context) return;
    const ratio = this.pixelRatio;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, this.width, this.height);
    const view = this.view;
    if (this.region.length >= 6) {
      context.beginPath();
      for (let v = 0; v < this.region.length; v += 2)
        context.lineTo(toScreenX(view, this.region[v]!), toScreenY(view, this.region[v + 1]!));
      context.closePath();
      // No fill: the points inside keep their exact colours (the points outside are dimmed instead).
      context.setLineDash([5, 4]);
      context.strokeStyle = '#2f6fdd';
      context.lineWidth = 1.5;
      context.stroke();
      context.setLineDash([]);
    }
    const gesture = this.gesture;
    if (gesture && gesture.moved && gesture.tool !== 'pan') {
      const path =
        gesture.tool === 'box' ? boxPath(gesture.startX, gesture.startY, gesture.lastX, gesture.lastY) : gesture.path;
      context.beginPath();
      for (let v = 0; v < path.length; v += 2) context.lineTo(path[v]!, path[v + 1]!);
      context.closePath();
      context.fillStyle = 'rgba(47, 111, 221, 0.1)';
      context.fill();
      context.strokeStyle = '#1d4fa8';
      context.lineWidth = 1.5;
      context.stroke();
    }
    if (this.hovered >= 0) {
      context.beginPath();
      context.arc(
        toScreenX(view, this.x[this.hovered]!),
        toScreenY(view, this.y[this.hovered]!),
        this.pointSize() / 2 + 3,
        0,
        2 * Math.PI,
      );
      context.strokeStyle = '#1f2328';
      context.lineWidth = 1.5;
      context.stroke();
    }
  }

  private localPoint(event: MouseEvent): [number, number] {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  /** The point under the screen position, -1 when none is within reach. */
  private pick(sx: number, sy: number): number {
    const reach = Math.max(this.pointSize() / 2 + 3, 6) / this.view.scale;
    return this.grid.nearest(toDataX(this.view, sx), toDataY(this.view, sy), reach);
  }

  private setHovered(index: number): void {
    if (index === this.hovered) return;
    this.hovered = index;
    let anchor: DOMRect | null = null;
    if (index >= 0) {
      const rect = this.canvas.getBoundingClientRect();
      const radius = this.pointSize() / 2 + 2;
      anchor = new DOMRect(
        rect.left + toScreenX(this.view, this.x[index]!) - radius,
        rect.top + toScreenY(this.view, this.y[index]!) - radius,
        2 * radius,
        2 * radius,
      );
    }
    this.callbacks.onHover(index, anchor);
    this.requestDraw();
  }

  private readonly onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0) return;
    const [sx, sy] = this.localPoint(event);
    this.gesture = {
      tool: this.tool,
      pointerId: event.pointerId,
      startX: sx,
      startY: sy,
      lastX: sx,
      lastY: sy,
      moved: false,
      path: [sx, sy],
    };
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // Synthetic events (benchmarks) have no real pointer to capture; the drag still works inside the canvas.
    }
    this.canvas.focus({ preventScroll: true });
    event.preventDefault();
  };

  private readonly onPointerMove = (event: PointerEvent) => {
    const [sx, sy] = this.localPoint(event);
    const gesture = this.gesture;
    if (!gesture || gesture.pointerId !== event.pointerId) {
      this.setHovered(this.pick(sx, sy));
      return;
    }
    if (!gesture.moved && Math.hypot(sx - gesture.startX, sy - gesture.startY) < CLICK_SLOP) return;
    if (!gesture.moved) this.setHovered(-1);
    gesture.moved = true;
    if (gesture.tool === 'pan') this.view = panBy(this.view, sx - gesture.lastX, sy - gesture.lastY);
    else if (gesture.tool === 'lasso') {
      const path = gesture.path;
      if (Math.hypot(sx - path[path.length - 2]!, sy - path[path.length - 1]!) >= LASSO_STEP) path.push(sx, sy);
    }
    gesture.lastX = sx;
    gesture.lastY = sy;
    this.requestDraw();
  };

  private readonly onPointerUp = (event: PointerEvent) => {
    const gesture = this.gesture;
    if (!gesture || gesture.pointerId !== event.pointerId) return;
    this.gesture = null;
    const [sx, sy] = this.localPoint(event);
    if (!gesture.moved) {
      const index = this.pick(sx, sy);
      if (index >= 0) this.callbacks.onPointClick(index);
      return;
    }
    if (gesture.tool === 'pan') return;
    let screen: number[];
    if (gesture.tool === 'box') screen = boxPath(gesture.startX, gesture.startY, sx, sy);
    else {
      const path = gesture.path;
      if (Math.hypot(sx - path[path.length - 2]!, sy - path[path.length - 1]!) > 0) path.push(sx, sy);
      screen = simplifyPath(path, LASSO_TOLERANCE);
    }
    this.requestDraw();
    if (screen.length < 6) return;
    const polygon: number[] = [];
    for (let v = 0; v < screen.length; v += 2)
      polygon.push(toDataX(this.view, screen[v]!), toDataY(this.view, screen[v + 1]!));
    this.callbacks.onRegion(polygon);
  };

  private readonly onPointerCancel = () => {
    this.gesture = null;
    this.requestDraw();
  };

  private readonly onPointerLeave = () => {
    if (!this.gesture) this.setHovered(-1);
  };

  private readonly onWheel = (event: WheelEvent) => {
    event.preventDefault();
    const pixels =
      event.deltaMode === WheelEvent.DOM_DELTA_LINE
        ? event.deltaY * 16
        : event.deltaMode === WheelEvent.DOM_DELTA_PAGE
          ? event.deltaY * this.height
          : event.deltaY;
    const [sx, sy] = this.localPoint(event);
    this.setHovered(-1);
    this.applyZoom(Math.exp(-pixels * WHEEL_ZOOM_PER_PIXEL), sx, sy);
  };

  private readonly onKeyDown = (event: KeyboardEvent) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const pans: Record<string, [number, number]> = {
      ArrowLeft: [KEY_PAN, 0],
      ArrowRight: [-KEY_PAN, 0],
      ArrowUp: [0, KEY_PAN],
      ArrowDown: [0, -KEY_PAN],
    };
    const pan = pans[event.key];
    if (pan) this.panBy(pan[0], pan[1]);
    else if (event.key === '+' || event.key === '=') this.zoomBy(KEY_ZOOM);
    else if (event.key === '-' || event.key === '_') this.zoomBy(1 / KEY_ZOOM);
    else if (event.key === '0') this.resetView();
    else return;
    event.preventDefault();
  };
}

function boxPath(x0: number, y0: number, x1: number, y1: number): number[] {
  return [x0, y0, x1, y0, x1, y1, x0, y1];
}
