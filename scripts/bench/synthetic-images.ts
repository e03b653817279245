/**
 * A labelled image folder of synthetic JPEGs (root/<class>/<n>.jpg) for benchmarks: each class draws a
 * different kind of content (gradients, noise, shapes, stripes, ...) with seeded random colours and
 * geometry, so images differ in content and in JPEG size as real photos do.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { forEachConcurrent } from '../../src/io/datasets/concurrency.js';

export interface SyntheticFolderOptions {
  /** Folder to fill; default: a new folder in os.tmpdir(). */
  folder?: string;
  /** Images in all; default 640. */
  count?: number;
  /** Class subfolders, images dealt round-robin; default 8 (at most the number of patterns, 8). */
  classes?: number;
  /** Width and height in pixels; default 256. */
  side?: number;
  /** Seed of the content; default 0. */
  seed?: number;
  /** JPEG quality; default 90. */
  quality?: number;
}

type Rgb = [number, number, number];
/** Writes the RGB value of pixel (x, y) of a side x side image whose random parameters are fixed per image. */
type Painter = (x: number, y: number, out: Float64Array) => void;

const PATTERNS = ['gradient', 'radial', 'noise', 'discs', 'boxes', 'stripes', 'checker', 'waves'] as const;

function randomColour(random: () => number): Rgb {
  return [random() * 255, random() * 255, random() * 255];
}

function mix(a: Rgb, b: Rgb, t: number, out: Float64Array): void {
  for (let c = 0; c < 3; c++) out[c] = a[c]! + (b[c]! - a[c]!) * t;
}

function painterFor(pattern: (typeof PATTERNS)[number], side: number, random: () => number): Painter {
  const a = randomColour(random);
  const b = randomColour(random);
  const angle = random() * Math.PI * 2;
  const dx = Math.cos(angle) / side;
  const dy = Math.sin(angle) / side;
  const cx = random() * side;
  const cy = random() * side;
  const period = 8 + random() * 40;
  switch (pattern) {
    case 'gradient':
      return (x, y, out) => mix(a, b, Math.min(1, Math.abs(x * dx + y * dy)), out);
    case 'radial':
      return (x, y, out) => mix(a, b, Math.min(1, Math.hypot(x - cx, y - cy) / side), out);
    case 'noise':
      return (_x, _y, out) => mix(a, b, random(), out);
    case 'discs': {
      const discs = Array.from({ length: 3 + Math.floor(random() * 6) }, () => ({
        x: random() * side,
        y: random() * side,
        r: 10 + random() * side * 0.3,
        colour: randomColour(random),
      }));
      return (x, y, out) => {
        mix(a, a, 0, out);
        for (const disc of discs)
          if (Math.hypot(x - disc.x, y - disc.y) < disc.r) mix(disc.colour, disc.colour, 0, out);
      };
    }
    case 'boxes': {
      const boxes = Array.from({ length: 3 + Math.floor(random() * 6) }, () => ({
        x: random() * side,
        y: random() * side,
        w: 10 + random() * side * 0.5,
        h: 10 + random() * side * 0.5,
        colour: randomColour(random),
      }));
      return (x, y, out) => {
        mix(b, b, 0, out);
        for (const box of boxes)
          if (x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h) mix(box.colour, box.colour, 0, out);
      };
    }
    case 'stripes':
      return (x, y, out) => mix(a, b, Math.floor(((x * dx + y * dy) * side) / period) & 1, out);
    case 'checker':
      return (x, y, out) => mix(a, b, (Math.floor(x / period) + Math.floor(y / period)) & 1, out);
    case 'waves':
      return (x, y, out) =>
        mix(
          a,
          b,
          0.5 + 0.5 * Math.sin((((x * dx + y * dy) * side) / period) * Math.PI) * Math.cos((y - cy) / period),
          out,
        );
  }
}

function paint(painter: Painter, side: number, random: () => number): Uint8Array {
  const pixels = new Uint8Array(side * side * 3);
  const value = new Float64Array(3);
  const grain = 12;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      painter(x, y, value);
      const at = (y * side + x) * 3;
      // A little grain on every pattern, so flat areas are not trivially compressible.
      for (let c = 0; c < 3; c++)
        pixels[at + c] = Math.max(0, Math.min(255, Math.round(value[c]! + (random() - 0.5) * grain)));
    }
  }
  return pixels;
}

/** Makes the folder and returns its path and the class names. */
export async function makeSyntheticImageFolder(
  options: SyntheticFolderOptions = {},
): Promise<{ folder: string; classes: string[]; count: number }> {
  const count = options.count ?? 640;
  const classCount = Math.min(options.classes ?? 8, PATTERNS.length);
  const side = options.side ?? 256;
  const quality = options.quality ?? 90;
  const folder = options.folder ?? (await mkdtemp(path.join(os.tmpdir(), 'nap-bench-images-')));
  const classes = PATTERNS.slice(0, classCount).map((pattern, c) => `${c}-${pattern}`);
  for (const name of classes) await mkdir(path.join(folder, name), { recursive: true });
  const seed = options.seed ?? 0;
  await forEachConcurrent(
    count,
    os.availableParallelism(),
    async (i) => {
      const c = i % classCount;
      const random = mulberry32(seed * 1_000_003 + i);
      const pixels = paint(painterFor(PATTERNS[c]!, side, random), side, random);
      const file = path.join(folder, classes[c]!, `${String(Math.floor(i / classCount)).padStart(4, '0')}.jpg`);
      await sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
        .jpeg({ quality })
        .toFile(file);
    },
    { stage: 'make synthetic images' },
  );
  return { folder, classes, count };
}
