/**
 * Colours of the map's points for each colouring (pattern, label, prediction, or a continuous value), with
 * the legend that explains them, and the emphasis pass that dims the points outside a highlight. Colours are
 * RGB bytes; legends name them as rgb() strings made from the same bytes, so a swatch matches its pixels.
 */
import { categoryColor } from '../../charts/colors.js';
import type { InputTable } from '../../data/tables.js';
import { patternName } from '../../format.js';
import type { MapColor } from '../../route.js';
import { NOT_CLUSTERED, type MapPoints, type PointMemberships } from './map-data.js';

export const NOISE_RGB: Rgb = [0xb8, 0xbe, 0xc6];
/** Points without a value in the colouring (no label, not clustered, a model that does not classify). */
export const MISSING_RGB: Rgb = [0xd6, 0xda, 0xdf];
/** Dimmed points keep this share of their colour; the rest is the white of the panel. */
const DIM_KEEP = 0.22;

export type Rgb = [number, number, number];

export interface LegendEntry {
  label: string;
  color: string;
  count: number;
}

export type Legend =
  | { kind: 'categories'; title: string; entries: LegendEntry[]; more: number }
  | { kind: 'ramp'; title: string; min: number; max: number; stops: string[]; missing: number };

export interface PointColoring {
  /** 3 bytes per point. */
  rgb: Uint8Array;
  legend: Legend;
}

export function rgbString([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** Bytes of the CSS colours that charts/colors.ts makes: #rrggbb or hsl(h s% l%). */
export function cssColorBytes(color: string): Rgb {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (hex) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16)];
  const hsl = /^hsl\(\s*([\d.]+)\s+([\d.]+)%\s+([\d.]+)%\s*\)$/.exec(color);
  if (!hsl) throw new Error(`colour ${JSON.stringify(color)} is neither #rrggbb nor hsl(h s% l%)`);
  const h = Number(hsl[1]) / 360;
  const s = Number(hsl[2]) / 100;
  const l = Number(hsl[3]) / 100;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    const v = u < 1 / 6 ? p + (q - p) * 6 * u : u < 1 / 2 ? q : u < 2 / 3 ? p + (q - p) * (2 / 3 - u) * 6 : p;
    return Math.round(v * 255);
  };
  return [channel(h + 1 / 3), channel(h), channel(h - 1 / 3)];
}

export function patternRgb(patternId: number): Rgb {
  if (patternId === -1) return NOISE_RGB;
  if (patternId === NOT_CLUSTERED) return MISSING_RGB;
  return cssColorBytes(categoryColor(patternId));
}

/** Viridis at five stops: perceptually even, readable for colour-blind viewers, dark = low. */
const RAMP: Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function rampRgb(t: number): Rgb {
  const u = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(u));
  const f = u - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Legend rows of a categorical colouring shown at most; the rest are counted. */
const LEGEND_ROWS = 24;

function categorical(
  title: string,
  count: number,
  keyOf: (i: number) => string | null,
  rgbOf: (key: string | null) => Rgb,
  order: (a: string, b: string) => number,
  nameOf: (key: string | null) => string = (key) => key ?? 'none',
): PointColoring {
  const rgb = new Uint8Array(count * 3);
  const counts = new Map<string | null, number>();
  const cache = new Map<string | null, Rgb>();
  for (let i = 0; i < count; i++) {
    const key = keyOf(i);
    let color = cache.get(key);
    if (!color) cache.set(key, (color = rgbOf(key)));
    rgb.set(color, i * 3);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : order(a, b)));
  const entries = keys
    .slice(0, LEGEND_ROWS)
    .map((key) => ({ label: nameOf(key), color: rgbString(cache.get(key)!), count: counts.get(key)! }));
  return { rgb, legend: { kind: 'categories', title, entries, more: Math.max(0, keys.length - LEGEND_ROWS) } };
}

function ramp(
  title: string,
  count: number,
  valueOf: (i: number) => number,
  fixed?: { min: number; max: number },
): PointColoring {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = valueOf(i);
    if (Number.isFinite(v)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  if (fixed) ({ min, max } = fixed);
  else if (min > max) [min, max] = [0, 1];
  const span = max > min ? max - min : 1;
  const rgb = new Uint8Array(count * 3);
  let missing = 0;
  for (let i = 0; i < count; i++) {
    const v = valueOf(i);
    if (Number.isFinite(v)) rgb.set(rampRgb((v - min) / span), i * 3);
    else {
      rgb.set(MISSING_RGB, i * 3);
      missing++;
    }
  }
  const stops = RAMP.map(rgbString);
  return { rgb, legend: { kind: 'ramp', title, min, max, stops, missing } };
}

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

export interface ColoringInput {
  points: MapPoints;
  memberships: PointMemberships;
  inputs: InputTable | undefined;
  /** Colour index of a label (labels and predicted classes share one palette). */
  colorIndex: (label: string | null) => number;
  /** Noise inputs' strongest soft membership, by input index (the strongest-pattern colouring). */
  near?: ReadonlyMap<number, { patternId: number; strength: number }>;
}

/** Opacity of the faintest point of the strongest-pattern colouring, so that weak members stay visible. */
const MIN_STRENGTH_OPACITY = 0.12;

/**
 * Each point in the colour of its strongest pattern (its own for a member, the nearest for a near member)
 * laid over white with the strength as opacity: membership probability for a member, soft strength for a
 * near member. Noise without a soft membership stays noise grey.
 */
function strongestPattern(
  points: MapPoints,
  memberships: PointMemberships,
  near: ColoringInput['near'],
): PointColoring {
  const count = points.count;
  const strongest = new Int32Array(count);
  const strength = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const own = memberships.patternId[i]!;
    const soft = own === -1 ? near?.get(points.inputIndex[i]!) : undefined;
    strongest[i] = soft ? soft.patternId : own;
    strength[i] = soft ? soft.strength : own >= 0 ? memberships.membership[i]! : 1;
  }
  const coloring = categorical(
    'Strongest pattern (opacity: strength)',
    count,
    (i) => String(strongest[i]!),
    (key) => patternRgb(Number(key)),
    (a, b) => (Number(a) < 0 || Number(b) < 0 ? Number(b) - Number(a) : Number(a) - Number(b)),
    (key) => (Number(key) === NOT_CLUSTERED ? 'not clustered' : patternName(Number(key))),
  );
  for (let i = 0; i < count; i++) {
    const s = strength[i]!;
    const opacity = Number.isFinite(s) ? Math.max(MIN_STRENGTH_OPACITY, Math.min(1, s)) : 1;
    for (let c = 0; c < 3; c++) {
      const v = coloring.rgb[i * 3 + c]!;
      coloring.rgb[i * 3 + c] = Math.round(255 - (255 - v) * opacity);
    }
  }
  return coloring;
}

/** The points' colours under the colouring `mode`. */
export function colorPoints(
  mode: MapColor,
  { points, memberships, inputs, colorIndex, near }: ColoringInput,
): PointColoring {
  const count = points.count;
  const inputRow = (i: number) => (inputs ? inputs.rows.rowOf(points.inputIndex[i]!) : -1);
  const labelRgb = (label: string | null) =>
    label === null ? MISSING_RGB : cssColorBytes(categoryColor(colorIndex(label)));
  switch (mode) {
    case 'pattern':
      return categorical(
        'Pattern',
        count,
        (i) => String(memberships.patternId[i]!),
        (key) => patternRgb(Number(key)),
        // Patterns by id, then noise, then inputs the clustering does not hold.
        (a, b) => (Number(a) < 0 || Number(b) < 0 ? Number(b) - Number(a) : Number(a) - Number(b)),
        (key) => (Number(key) === NOT_CLUSTERED ? 'not clustered' : patternName(Number(key))),
      );
    case 'strongest':
      return strongestPattern(points, memberships, near);
    case 'label':
      return categorical('Label', count, (i) => inputs?.label[inputRow(i)] ?? null, labelRgb, naturalOrder);
    case 'prediction':
      return categorical(
        'Prediction',
        count,
        (i) => inputs?.predictionLabel[inputRow(i)] ?? null,
        labelRgb,
        naturalOrder,
      );
    case 'confidence':
      return ramp('Probability of the prediction', count, (i) => inputs?.probability[inputRow(i)] ?? Number.NaN, {
        min: 0,
        max: 1,
      });
    case 'membership':
      return ramp('Membership probability', count, (i) => memberships.membership[i]!, { min: 0, max: 1 });
    case 'outlier':
      return ramp('Outlier score', count, (i) => memberships.outlierScore[i]!);
  }
}

/**
 * RGBA for the GPU: alpha is the draw priority. `emphasis` (1 byte per point, or null for none) marks the
 * points to keep; the others are dimmed towards white and drawn below them. Noise sits below patterns.
 */
export function emphasize(rgb: Uint8Array, memberships: PointMemberships, emphasis: Uint8Array | null): Uint8Array {
  const count = rgb.length / 3;
  const rgba = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    const dim = emphasis !== null && emphasis[i] === 0;
    const background = memberships.patternId[i]! < 0;
    for (let c = 0; c < 3; c++) {
      const v = rgb[i * 3 + c]!;
      rgba[i * 4 + c] = dim ? Math.round(255 - (255 - v) * DIM_KEEP) : v;
    }
    rgba[i * 4 + 3] = (emphasis === null ? 200 : dim ? 60 : 255) - (background ? 20 : 0);
  }
  return rgba;
}
