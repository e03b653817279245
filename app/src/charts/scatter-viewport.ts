/**
 * The scatter plot's view: which data point sits at the centre of the canvas and how many CSS pixels one
 * data unit spans (the same on both axes, so a map is not distorted). Screen y grows downwards, data y
 * upwards. Pan and zoom only change these numbers; the GPU applies them as a uniform.
 */

export interface Viewport {
  /** Data coordinates at the centre of the canvas. */
  centerX: number;
  centerY: number;
  /** CSS pixels per data unit. */
  scale: number;
  /** Canvas size in CSS pixels. */
  width: number;
  height: number;
}

export interface Bounds {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** How far the view may zoom out from and into the fitted view, as factors of its scale. */
export const ZOOM_OUT_LIMIT = 1 / 4;
export const ZOOM_IN_LIMIT = 2000;

/** Bounds of the finite points; a unit square around the origin when there are none. */
export function boundsOf(x: Float32Array, y: Float32Array): Bounds {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const px = x[i]!;
    const py = y[i]!;
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
  }
  if (minX > maxX) return { minX: -0.5, maxX: 0.5, minY: -0.5, maxY: 0.5 };
  return { minX, maxX, minY, maxY };
}

/** The view that shows all of `bounds` with `marginPx` CSS pixels to spare on every side. */
export function fitViewport(bounds: Bounds, width: number, height: number, marginPx = 16): Viewport {
  const spanX = Math.max(bounds.maxX - bounds.minX, 1e-9);
  const spanY = Math.max(bounds.maxY - bounds.minY, 1e-9);
  const usableW = Math.max(width - 2 * marginPx, 1);
  const usableH = Math.max(height - 2 * marginPx, 1);
  return {
    centerX: (bounds.minX + bounds.maxX) / 2,
    centerY: (bounds.minY + bounds.maxY) / 2,
    scale: Math.min(usableW / spanX, usableH / spanY),
    width,
    height,
  };
}

export function toScreenX(view: Viewport, x: number): number {
  return (x - view.centerX) * view.scale + view.width / 2;
}

export function toScreenY(view: Viewport, y: number): number {
  return view.height / 2 - (y - view.centerY) * view.scale;
}

export function toDataX(view: Viewport, screenX: number): number {
  return (screenX - view.width / 2) / view.scale + view.centerX;
}

export function toDataY(view: Viewport, screenY: number): number {
  return (view.height / 2 - screenY) / view.scale + view.centerY;
}

/** The view moved by a drag of (dx, dy) CSS pixels: the content follows the pointer. */
export function panBy(view: Viewport, dx: number, dy: number): Viewport {
  return { ...view, centerX: view.centerX - dx / view.scale, centerY: view.centerY + dy / view.scale };
}

/**
 * The view zoomed by `factor` (> 1 zooms in) around the screen point (sx, sy), which keeps showing the same
 * data point; the scale stays within [minScale, maxScale].
 */
export function zoomAt(
  view: Viewport,
  factor: number,
  sx: number,
  sy: number,
  minScale: number,
  maxScale: number,
): Viewport {
  const scale = Math.min(maxScale, Math.max(minScale, view.scale * factor));
  const anchorX = toDataX(view, sx);
  const anchorY = toDataY(view, sy);
  const zoomed = { ...view, scale };
  return {
    ...zoomed,
    centerX: anchorX - (sx - view.width / 2) / scale,
    centerY: anchorY - (view.height / 2 - sy) / scale,
  };
}

/** The same view on a canvas of a new size (the centre and scale stay). */
export function resized(view: Viewport, width: number, height: number): Viewport {
  return { ...view, width, height };
}
