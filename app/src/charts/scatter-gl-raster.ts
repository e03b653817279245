/**
 * An offscreen raster of the scatter plot's points (a texture with a depth buffer behind a framebuffer),
 * larger than the canvas by a margin on every side so that a pan can show what lies just outside the view.
 */
import type { GL } from './scatter-gl-programs.js';

/** Extra raster on each side, as a share of the canvas size. */
const MARGIN = 0.5;

export class RasterTarget {
  private constructor(
    readonly texture: WebGLTexture,
    readonly framebuffer: WebGLFramebuffer,
    private readonly depth: WebGLRenderbuffer,
    /** Size in device pixels. */
    readonly width: number,
    readonly height: number,
  ) {}

  /** The size of raster for a canvas of canvasWidth x canvasHeight device pixels (margins of whole pixels), or null when it does not fit. */
  static sizeFor(gl: GL, canvasWidth: number, canvasHeight: number): { width: number; height: number } | null {
    const limit = Math.min(
      gl.getParameter(gl.MAX_TEXTURE_SIZE) as number,
      gl.getParameter(gl.MAX_RENDERBUFFER_SIZE) as number,
    );
    const grow = (size: number) => {
      if (size > limit) return null;
      const margin = Math.min(Math.round(size * MARGIN), Math.floor((limit - size) / 2));
      return size + 2 * margin;
    };
    const width = grow(canvasWidth);
    const height = grow(canvasHeight);
    return width === null || height === null ? null : { width, height };
  }

  static create(gl: GL, width: number, height: number): RasterTarget {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    const depth = gl.createRenderbuffer();
    gl.bindRenderbuffer(gl.RENDERBUFFER, depth);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT16, width, height);
    const framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, depth);
    const status = gl.checkFramebufferStatus(gl.FRAMEBUFFER);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    if (status !== gl.FRAMEBUFFER_COMPLETE && !gl.isContextLost())
      throw new Error(
        `an offscreen raster of ${width} x ${height} pixels is not usable (framebuffer status 0x${status.toString(16)})`,
      );
    return new RasterTarget(texture, framebuffer, depth, width, height);
  }

  dispose(gl: GL): void {
    gl.deleteFramebuffer(this.framebuffer);
    gl.deleteRenderbuffer(this.depth);
    gl.deleteTexture(this.texture);
  }
}
