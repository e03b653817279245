/**
 * WebGL drawing of a scatter plot. Points come from two GPU buffers: positions (data coordinates), uploaded
 * once per data set, and colours, replaced when the colouring changes. Pan and zoom change uniforms only.
 * The alpha byte of a colour is not opacity but the point's draw priority (255 = on top): it becomes the
 * depth, so highlighted points cover dimmed ones whatever their order. Points are opaque discs with hard
 * edges, so their pixels have exactly their colour.
 *
 * Two ways to draw, chosen by timing one full draw when the points arrive:
 * - direct: every point in one draw call each frame (any real GPU, and small plots everywhere);
 * - cached: when one full draw takes longer than a frame allows (software WebGL, e.g. SwiftShader when the
 *   browser has no GPU), the points are drawn into an offscreen raster with a margin, and each frame copies
 *   that raster to the screen under the current pan and zoom (one textured rectangle). While the view
 *   differs from the raster's, a second raster is drawn for the current view a chunk of points per frame
 *   and replaces the first when complete; once the view rests, the picture is exact again.
 * - density: past DENSITY_POINTS points in view, whatever the GPU, discs would pile into an unreadable mass
 *   (and cost every frame): the points are binned into cells of a few pixels (scatter-density.ts) for the
 *   view with a margin around it, and that picture is drawn like a raster; it is binned again (in coarser
 *   cells while the view moves) when the view has rested or moved past the margin, and once a view holds
 *   fewer points the discs come back.
 * Works with WebGL 2 or WebGL 1. When the context is lost, the CPU copies of the buffers are kept and
 * uploaded again once the browser restores it.
 */
import {
  CORNER,
  COLOR,
  copyProgram,
  pointProgram,
  POSITION,
  type CopyProgram,
  type GL,
  type PointProgram,
} from './scatter-gl-programs.js';
import { RasterTarget } from './scatter-gl-raster.js';
import { hilbertOrder } from '../../../src/compute/projection/vertex-order.js';
import { DENSITY_CELL, densityPicture, MOVING_DENSITY_CELL, reorder } from './scatter-density.js';
import type { Viewport } from './scatter-viewport.js';

export type RenderMode = 'direct' | 'cached' | 'density';

/** More points than this in the view are drawn as a density picture. */
export const DENSITY_POINTS = 150_000;
/** Extra picture on each side of the view in density mode, as a share of the view's size. */
const DENSITY_MARGIN = 0.5;

/** Plots this small are always drawn directly. */
const ALWAYS_DIRECT = 20_000;
/** A full draw within this (ms) is drawn directly every frame. */
const DIRECT_BUDGET_MS = 10;
/** GPU time (ms) per frame that the cached mode spends on drawing the next raster. */
const CHUNK_BUDGET_MS = 7;
const MIN_CHUNK = 4_096;
/**
 * While the view moves, the raster is shifted and stretched; a new one is drawn when the view reaches past
 * the raster's margin or stretches it more than MAX_STRETCH times, and once the view has rested SETTLE_MS.
 */
const SETTLE_MS = 120;
const MAX_STRETCH = 1.5;

interface Gpu {
  points: PointProgram;
  copy: CopyProgram;
  positions: WebGLBuffer;
  colors: WebGLBuffer;
  corners: WebGLBuffer;
  maxPointSize: number;
  /** The two rasters of the cached mode, made on first use for the current canvas size. */
  targets: [RasterTarget, RasterTarget] | null;
  /** The density picture's texture. */
  density: WebGLTexture;
}

/** The last density binning: for which view, and whether that view was dense enough for the picture. */
interface Density {
  /** The view binned, without the margin. */
  exact: Viewport;
  /** The view the picture covers, margin included. */
  view: Viewport;
  pixelRatio: number;
  colorsVersion: number;
  dense: boolean;
  /** Binned in DENSITY_CELL cells (else in the coarser cells of a moving view). */
  fine: boolean;
}

/** A raster of the points as drawn for one view (its CSS size includes the margins). */
interface Raster {
  target: RasterTarget;
  view: Viewport;
  pointSize: number;
  pixelRatio: number;
  colorsVersion: number;
  drawn: number;
}

export interface ScatterRendererEvents {
  /** The browser took the GPU context away (driver reset, too many contexts); drawing pauses. */
  onLost?: () => void;
  /** The context is back and the buffers are uploaded again: draw now. */
  onRestored?: () => void;
}

function sameView(a: Viewport, b: Viewport): boolean {
  return a.centerX === b.centerX && a.centerY === b.centerY && a.scale === b.scale;
}

/** Whether a raster drawn for view `r` (margins included) can stand in for `view` while the view moves. */
function standsIn(r: Viewport, view: Viewport): boolean {
  const stretch = view.scale / r.scale;
  if (stretch > MAX_STRETCH || stretch < 1 / MAX_STRETCH) return false;
  // The data rectangle of the view lies inside the raster's.
  const slackX = r.width / 2 / r.scale - view.width / 2 / view.scale;
  const slackY = r.height / 2 / r.scale - view.height / 2 / view.scale;
  return Math.abs(view.centerX - r.centerX) <= slackX && Math.abs(view.centerY - r.centerY) <= slackY;
}

export class ScatterRenderer {
  private gpu: Gpu | null = null;
  private positions: Float32Array = new Float32Array(0);
  private colors: Uint8Array = new Uint8Array(0);
  private colorsVersion = 0;
  private count = 0;
  private front: Raster | null = null;
  private back: Raster | null = null;
  private chunk = Infinity;
  private calibrated = false;
  private renderMode: RenderMode = 'direct';
  /** The mode of the points when not dense: 'direct' or 'cached' (calibrated). */
  private pointsMode: RenderMode = 'direct';
  private density: Density | null = null;
  /** Plots of more than DENSITY_POINTS: the points along a Hilbert curve, and their colours in that order (of colorsVersion). */
  private spatial: { order: Int32Array; positions: Float32Array; colors: Uint8Array; colorsVersion: number } | null =
    null;
  private lastView: Viewport | null = null;
  private lastChange = 0;
  private readonly onLost = (event: Event) => {
    event.preventDefault(); // tells the browser that we want the context back
    this.gpu = null;
    this.front = null;
    this.back = null;
    this.events.onLost?.();
  };
  private readonly onRestored = () => {
    this.initialize();
    this.events.onRestored?.();
  };

  private constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly gl: GL,
    private readonly events: ScatterRendererEvents,
    private readonly forcedMode: RenderMode | undefined,
  ) {
    canvas.addEventListener('webglcontextlost', this.onLost);
    canvas.addEventListener('webglcontextrestored', this.onRestored);
    this.initialize();
  }

  /** A renderer on the canvas, or null when the browser offers no WebGL. `mode` skips the timing (tests, benchmarks). */
  static create(
    canvas: HTMLCanvasElement,
    events: ScatterRendererEvents = {},
    mode?: RenderMode,
  ): ScatterRenderer | null {
    const options: WebGLContextAttributes = {
      antialias: false,
      alpha: true,
      depth: true,
      premultipliedAlpha: true,
      powerPreference: 'high-performance',
    };
    const gl = (canvas.getContext('webgl2', options) as GL | null) ?? canvas.getContext('webgl', options);
    return gl ? new ScatterRenderer(canvas, gl, events, mode) : null;
  }

  get isLost(): boolean {
    return this.gpu === null;
  }

  get mode(): RenderMode {
    return this.renderMode;
  }

  /** Points in data coordinates; uploaded once. The colours must be set again for the new count. */
  setPoints(x: Float32Array, y: Float32Array): void {
    if (x.length !== y.length)
      throw new Error(`x has ${x.length} values but y has ${y.length}; give one of each per point`);
    const interleaved = new Float32Array(x.length * 2);
    for (let i = 0; i < x.length; i++) {
      interleaved[2 * i] = x[i]!;
      interleaved[2 * i + 1] = y[i]!;
    }
    this.positions = interleaved;
    this.count = x.length;
    this.spatial = null;
    if (this.count > DENSITY_POINTS) {
      const order = hilbertOrder(interleaved, this.count);
      this.spatial = { order, positions: reorder(interleaved, order, 2), colors: new Uint8Array(0), colorsVersion: -1 };
    }
    this.colors = new Uint8Array(this.count * 4);
    this.colorsVersion++;
    this.calibrated = false;
    this.upload();
  }

  /** RGBA per point (alpha = draw priority, see above), 4 bytes per point. */
  setColors(rgba: Uint8Array): void {
    if (rgba.length !== this.count * 4)
      throw new Error(`colours hold ${rgba.length / 4} points but the plot has ${this.count}; give 4 bytes per point`);
    this.colors = rgba;
    this.colorsVersion++;
    const gpu = this.gpu;
    if (!gpu) return;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.colors);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, rgba);
  }

  /**
   * Draws the points for the view; `pointSize` is the disc diameter in CSS pixels. Returns true when the
   * picture is not final yet (the cached mode is still drawing the current view): draw again next frame.
   */
  draw(view: Viewport, pixelRatio: number, pointSize: number): boolean {
    const gpu = this.gpu;
    if (!gpu) return false;
    if (this.count > DENSITY_POINTS && this.forcedMode === undefined) {
      const density = this.densityFor(gpu, view, pixelRatio);
      if (density.dense) {
        this.renderMode = 'density';
        this.copyTexture(gpu.density, density.view, view, density.view.scale !== view.scale);
        return !sameView(density.exact, view) || !density.fine;
      }
      this.renderMode = this.pointsMode;
    }
    // Timed only when discs are first drawn: a plot that opens as a density picture does not wait for it.
    if (!this.calibrated) this.calibrate(view, pixelRatio, pointSize);
    if (this.renderMode === 'direct') {
      this.drawPoints(null, view, pixelRatio, pointSize, 0, this.count);
      return false;
    }
    const targets = this.rasterTargets(gpu);
    if (!targets) {
      this.renderMode = 'direct';
      return this.draw(view, pixelRatio, pointSize);
    }
    const now = performance.now();
    if (!this.lastView || !sameView(this.lastView, view)) this.lastChange = now;
    this.lastView = view;
    const current = (raster: Raster | null) =>
      raster !== null && raster.colorsVersion === this.colorsVersion && raster.pixelRatio === pixelRatio;
    if (!current(this.front)) {
      // New colours or a new canvas: no old picture is worth showing, so draw it all now.
      this.back = null;
      this.front = this.beginRaster(targets[0], view, pixelRatio, pointSize);
      this.continueRaster(this.front, this.count);
    } else if (!sameView(this.front!.view, view) || this.front!.pointSize !== pointSize) {
      const settled = now - this.lastChange >= SETTLE_MS;
      if (!current(this.back) && (settled || !standsIn(this.front!.view, view)))
        this.back = this.beginRaster(
          this.front!.target === targets[0] ? targets[1] : targets[0],
          view,
          pixelRatio,
          pointSize,
        );
      if (this.back) this.continueRaster(this.back, this.chunk);
      if (this.back && this.back.drawn >= this.count) {
        this.front = this.back;
        this.back = null;
      }
    }
    const front = this.front!;
    this.copyTexture(front.target.texture, front.view, view, front.view.scale !== view.scale);
    return this.back !== null || !sameView(front.view, view) || front.pointSize !== pointSize;
  }

  dispose(): void {
    this.canvas.removeEventListener('webglcontextlost', this.onLost);
    this.canvas.removeEventListener('webglcontextrestored', this.onRestored);
    const gpu = this.gpu;
    const gl = this.gl;
    if (gpu && !gl.isContextLost()) {
      for (const buffer of [gpu.positions, gpu.colors, gpu.corners]) gl.deleteBuffer(buffer);
      gl.deleteTexture(gpu.density);
      gl.deleteProgram(gpu.points.program);
      gl.deleteProgram(gpu.copy.program);
      gpu.targets?.forEach((target) => target.dispose(gl));
    }
    this.gpu = null;
    // Chromium keeps a bounded number of live WebGL contexts; release this one now rather than at garbage
    // collection, so that opening the map again and again does not evict other contexts.
    if (!gl.isContextLost()) gl.getExtension('WEBGL_lose_context')?.loseContext();
  }

  private initialize(): void {
    const gl = this.gl;
    if (gl.isContextLost()) return;
    const range = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE) as Float32Array | null;
    const gpu: Gpu = {
      points: pointProgram(gl),
      copy: copyProgram(gl),
      positions: gl.createBuffer(),
      colors: gl.createBuffer(),
      corners: gl.createBuffer(),
      maxPointSize: range?.[1] ?? 64,
      targets: null,
      density: gl.createTexture(),
    };
    gl.bindTexture(gl.TEXTURE_2D, gpu.density);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.depthFunc(gl.LEQUAL);
    gl.disable(gl.BLEND);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.positions);
    gl.enableVertexAttribArray(POSITION);
    gl.vertexAttribPointer(POSITION, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.colors);
    gl.enableVertexAttribArray(COLOR);
    gl.vertexAttribPointer(COLOR, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.corners);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    gl.enableVertexAttribArray(CORNER);
    gl.vertexAttribPointer(CORNER, 2, gl.FLOAT, false, 0, 0);
    this.gpu = gpu;
    this.front = null;
    this.back = null;
    this.density = null;
    this.upload();
  }

  private upload(): void {
    const gpu = this.gpu;
    if (!gpu) return;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.positions);
    gl.bufferData(gl.ARRAY_BUFFER, this.positions, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.colors);
    gl.bufferData(gl.ARRAY_BUFFER, this.colors, gl.DYNAMIC_DRAW);
    this.front = null;
    this.back = null;
    this.density = null;
  }

  /**
   * The density binning for `view`: the last one while it still serves (the same view; or, while the view
   * moves, one whose margin still covers it), else a new one, uploaded when dense. One pass over the points
   * per rest of the view, and about one per half a view of panning or 1.5 times of zoom.
   */
  private densityFor(gpu: Gpu, view: Viewport, pixelRatio: number): Density {
    const now = performance.now();
    if (!this.lastView || !sameView(this.lastView, view)) this.lastChange = now;
    this.lastView = view;
    const last = this.density;
    const moving = now - this.lastChange < SETTLE_MS;
    if (last !== null && last.colorsVersion === this.colorsVersion && last.pixelRatio === pixelRatio) {
      if (sameView(last.exact, view) && (last.fine || moving)) return last;
      if (moving && standsIn(last.view, view)) return last;
    }
    const cell = moving ? MOVING_DENSITY_CELL : DENSITY_CELL;
    const wide = {
      ...view,
      width: Math.round(view.width * (1 + 2 * DENSITY_MARGIN)),
      height: Math.round(view.height * (1 + 2 * DENSITY_MARGIN)),
    };
    const spatial = this.spatial!;
    if (spatial.colorsVersion !== this.colorsVersion) {
      spatial.colors = reorder(this.colors, spatial.order, 4);
      spatial.colorsVersion = this.colorsVersion;
    }
    const picture = densityPicture(spatial.positions, spatial.colors, wide, view, cell);
    const dense = picture.inView > DENSITY_POINTS;
    // The picture covers whole cells: its view is as wide as they are.
    const covered = { ...wide, width: picture.width * cell, height: picture.height * cell };
    if (dense) {
      const gl = this.gl;
      gl.bindTexture(gl.TEXTURE_2D, gpu.density);
      gl.texImage2D(
        gl.TEXTURE_2D,
        0,
        gl.RGBA,
        picture.width,
        picture.height,
        0,
        gl.RGBA,
        gl.UNSIGNED_BYTE,
        picture.pixels,
      );
    }
    this.density = {
      exact: view,
      view: covered,
      pixelRatio,
      colorsVersion: this.colorsVersion,
      dense,
      fine: !moving,
    };
    return this.density;
  }

  /** Times one full draw (after a warm-up one) to choose the mode and the chunk size of the cached mode. */
  private calibrate(view: Viewport, pixelRatio: number, pointSize: number): void {
    this.calibrated = true;
    if (this.forcedMode !== undefined || this.count <= ALWAYS_DIRECT) {
      this.renderMode = this.forcedMode ?? 'direct';
      this.pointsMode = this.renderMode;
      this.chunk = Math.max(MIN_CHUNK, Math.ceil(this.count / 4));
      return;
    }
    const gl = this.gl;
    const pixel = new Uint8Array(4);
    this.drawPoints(null, view, pixelRatio, pointSize, 0, this.count);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    const start = performance.now();
    this.drawPoints(null, view, pixelRatio, pointSize, 0, this.count);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    const milliseconds = performance.now() - start;
    this.renderMode = milliseconds <= DIRECT_BUDGET_MS ? 'direct' : 'cached';
    this.pointsMode = this.renderMode;
    this.chunk = Math.max(MIN_CHUNK, Math.floor((this.count * CHUNK_BUDGET_MS) / milliseconds));
  }

  /** The two rasters for the canvas's size; null when the GPU cannot make them (the direct mode then). */
  private rasterTargets(gpu: Gpu): [RasterTarget, RasterTarget] | null {
    const gl = this.gl;
    const size = RasterTarget.sizeFor(gl, this.canvas.width, this.canvas.height);
    if (!size) return null;
    const targets = gpu.targets;
    if (targets && targets[0].width === size.width && targets[0].height === size.height) return targets;
    targets?.forEach((target) => target.dispose(gl));
    gpu.targets = null;
    this.front = null;
    this.back = null;
    try {
      gpu.targets = [
        RasterTarget.create(gl, size.width, size.height),
        RasterTarget.create(gl, size.width, size.height),
      ];
    } catch {
      return null;
    }
    return gpu.targets;
  }

  private beginRaster(target: RasterTarget, view: Viewport, pixelRatio: number, pointSize: number): Raster {
    // The raster's CSS size keeps the canvas's CSS-to-device ratio, so its margins are whole device pixels.
    const rasterView = {
      ...view,
      width: (view.width * target.width) / this.canvas.width,
      height: (view.height * target.height) / this.canvas.height,
    };
    const gl = this.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, target.framebuffer);
    gl.viewport(0, 0, target.width, target.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clearDepth(1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return { target, view: rasterView, pointSize, pixelRatio, colorsVersion: this.colorsVersion, drawn: 0 };
  }

  private continueRaster(raster: Raster, points: number): void {
    const count = Math.min(points, this.count - raster.drawn);
    if (count <= 0) return;
    this.drawPoints(raster.target, raster.view, raster.pixelRatio, raster.pointSize, raster.drawn, count, false);
    raster.drawn += count;
  }

  /** Draws points first .. first + count - 1 into the canvas (target null, cleared first) or a raster. */
  private drawPoints(
    target: RasterTarget | null,
    view: Viewport,
    pixelRatio: number,
    pointSize: number,
    first: number,
    count: number,
    clear = true,
  ): void {
    const gpu = this.gpu!;
    const gl = this.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, target ? target.framebuffer : null);
    gl.viewport(0, 0, target ? target.width : this.canvas.width, target ? target.height : this.canvas.height);
    gl.enable(gl.DEPTH_TEST);
    if (clear) {
      gl.clearColor(0, 0, 0, 0);
      gl.clearDepth(1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    }
    if (count > 0) {
      const program = gpu.points;
      gl.useProgram(program.program);
      gl.uniform2f(program.center, view.centerX, view.centerY);
      gl.uniform2f(program.scale, (2 * view.scale) / view.width, (2 * view.scale) / view.height);
      gl.uniform1f(program.pointSize, Math.min(gpu.maxPointSize, Math.max(1, pointSize * pixelRatio)));
      gl.drawArrays(gl.POINTS, first, count);
    }
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  }

  /** Draws a picture (a raster, the density) made for view `r` onto the canvas where it lies in `view`. */
  private copyTexture(texture: WebGLTexture, r: Viewport, view: Viewport, smooth: boolean): void {
    const gpu = this.gpu!;
    const gl = this.gl;
    const clipX = (x: number) => ((x - view.centerX) * 2 * view.scale) / view.width;
    const clipY = (y: number) => ((y - view.centerY) * 2 * view.scale) / view.height;
    const halfW = r.width / 2 / r.scale;
    const halfH = r.height / 2 / r.scale;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.disable(gl.DEPTH_TEST);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(gpu.copy.program);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, texture);
    // Pixel for pixel when the view is the raster's (exact colours); smooth while it is scaled.
    const filter = smooth ? gl.LINEAR : gl.NEAREST;
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
    gl.uniform1i(gpu.copy.texture, 0);
    gl.uniform4f(
      gpu.copy.rect,
      clipX(r.centerX - halfW),
      clipY(r.centerY - halfH),
      clipX(r.centerX + halfW),
      clipY(r.centerY + halfH),
    );
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }
}
