/**
 * The two shader programs of the WebGL scatter plot (GLSL ES 1.00, so WebGL 1 and 2 both run them):
 * points from the position and colour buffers, and a textured rectangle that copies a cached raster of
 * points to the screen under a new pan and zoom.
 */

export type GL = WebGLRenderingContext | WebGL2RenderingContext;

/** Attribute locations, bound before linking so that both programs and every restored context agree. */
export const POSITION = 0;
export const COLOR = 1;
export const CORNER = 2;

const POINT_VERTEX = `
attribute vec2 a_position;
attribute vec4 a_color;
uniform vec2 u_center;
uniform vec2 u_scale;
uniform float u_pointSize;
varying vec3 v_color;
void main() {
  // The colour's alpha is the draw priority: it becomes the depth, so that priority 255 lies on top.
  gl_Position = vec4((a_position - u_center) * u_scale, 1.0 - a_color.a, 1.0);
  gl_PointSize = u_pointSize;
  v_color = a_color.rgb;
}`;

const POINT_FRAGMENT = `
precision mediump float;
varying vec3 v_color;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  if (dot(d, d) > 0.25) discard;
  gl_FragColor = vec4(v_color, 1.0);
}`;

const COPY_VERTEX = `
attribute vec2 a_corner;
uniform vec4 u_rect;
varying vec2 v_texcoord;
void main() {
  gl_Position = vec4(mix(u_rect.xy, u_rect.zw, a_corner), 0.0, 1.0);
  v_texcoord = a_corner;
}`;

const COPY_FRAGMENT = `
precision mediump float;
uniform sampler2D u_texture;
varying vec2 v_texcoord;
void main() {
  gl_FragColor = texture2D(u_texture, v_texcoord);
}`;

function compile(gl: GL, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS) && !gl.isContextLost())
    throw new Error(`a scatter shader does not compile: ${gl.getShaderInfoLog(shader) ?? 'no log'}`);
  return shader;
}

function link(gl: GL, vertex: string, fragment: string, attributes: Record<string, number>): WebGLProgram {
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, vertex));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, fragment));
  for (const [name, location] of Object.entries(attributes)) gl.bindAttribLocation(program, location, name);
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS) && !gl.isContextLost())
    throw new Error(`scatter shaders do not link: ${gl.getProgramInfoLog(program) ?? 'no log'}`);
  return program;
}

export interface PointProgram {
  program: WebGLProgram;
  center: WebGLUniformLocation;
  scale: WebGLUniformLocation;
  pointSize: WebGLUniformLocation;
}

export interface CopyProgram {
  program: WebGLProgram;
  rect: WebGLUniformLocation;
  texture: WebGLUniformLocation;
}

export function pointProgram(gl: GL): PointProgram {
  const program = link(gl, POINT_VERTEX, POINT_FRAGMENT, { a_position: POSITION, a_color: COLOR });
  return {
    program,
    center: gl.getUniformLocation(program, 'u_center')!,
    scale: gl.getUniformLocation(program, 'u_scale')!,
    pointSize: gl.getUniformLocation(program, 'u_pointSize')!,
  };
}

export function copyProgram(gl: GL): CopyProgram {
  const program = link(gl, COPY_VERTEX, COPY_FRAGMENT, { a_corner: CORNER });
  return {
    program,
    rect: gl.getUniformLocation(program, 'u_rect')!,
    texture: gl.getUniformLocation(program, 'u_texture')!,
  };
}
