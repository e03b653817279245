/**
 * Two runs without images in one store, for the galleries' pictures: a vector model over a CSV of rows of
 * numbers in three shapes (a wave, a ramp, a step; labelled so), analysed once as numbers (galleries draw
 * each row) and once naming an image per row (--image-column: a solid colour per shape).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { analyze } from '../../src/engine/analyze.js';
import { seededValues, tinyVectorModel } from './tiny-models.js';

/** Values per row. */
export const WIDTH = 24;
/** Rows per shape. */
const PER_SHAPE = 16;

export const SHAPES = ['wave', 'ramp', 'step'] as const;
export type Shape = (typeof SHAPES)[number];

/** The colour of each shape's named image, RGB. */
export const SHAPE_COLOURS: Record<Shape, [number, number, number]> = {
  wave: [220, 40, 40],
  ramp: [40, 180, 60],
  step: [40, 60, 220],
};

export interface NumericRuns {
  store: string;
  /** The run whose galleries draw the numbers. */
  seriesRun: number;
  /** The run whose galleries show the image named per row. */
  imagesRun: number;
  /** Each input's values (input index = row). */
  rows: Float32Array[];
  /** Each input's shape. */
  shapes: Shape[];
}

function shapeValue(shape: Shape, i: number): number {
  const t = i / (WIDTH - 1);
  if (shape === 'wave') return Math.sin(t * 2 * Math.PI * 2);
  if (shape === 'ramp') return 2 * t - 1;
  return t < 0.5 ? -1 : 1;
}

/** Writes the data, images and model under `dir` and analyses both runs into `dir/nap.duckdb`. */
export async function makeNumericRuns(dir: string): Promise<NumericRuns> {
  const model = path.join(dir, 'vector.onnx');
  await writeFile(model, tinyVectorModel(WIDTH));
  for (const shape of SHAPES) {
    const [r, g, b] = SHAPE_COLOURS[shape];
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b } } })
      .png()
      .toFile(path.join(dir, `${shape}.png`));
  }
  const noise = seededValues(SHAPES.length * PER_SHAPE * WIDTH, 11);
  const rows: Float32Array[] = [];
  const shapes: Shape[] = [];
  const lines = [[...Array.from({ length: WIDTH }, (_, i) => `x${i}`), 'label', 'picture'].join(',')];
  for (let row = 0; row < SHAPES.length * PER_SHAPE; row++) {
    const shape = SHAPES[row % SHAPES.length]!;
    // Three decimals, so that the CSV's numbers are the stored float32 values.
    const values = Float32Array.from({ length: WIDTH }, (_, i) =>
      Number((shapeValue(shape, i) + 0.05 * noise[row * WIDTH + i]!).toFixed(3)),
    );
    rows.push(values);
    shapes.push(shape);
    lines.push([...Array.from(values, (v) => v.toFixed(3)), shape, `${shape}.png`].join(','));
  }
  const csv = path.join(dir, 'rows.csv');
  await writeFile(csv, `${lines.join('\n')}\n`);
  const store = path.join(dir, 'nap.duckdb');
  const common = {
    model,
    data: csv,
    out: store,
    threads: 1,
    projection: 'pca' as const,
    clustering: { minClusterSize: 4, minSamples: 3 },
  };
  const series = await analyze({ ...common, name: 'rows as numbers' });
  const images = await analyze({ ...common, tensorData: { imageColumn: 'picture' }, name: 'rows with images' });
  return { store, seriesRun: series.runId, imagesRun: images.runId, rows, shapes };
}

/** The mean of rows and its band (± one population standard deviation), in plain loops. */
export function meanRow(rows: Float32Array[]): { mean: Float64Array; low: Float64Array; high: Float64Array } {
  const width = rows[0]!.length;
  const mean = new Float64Array(width);
  const low = new Float64Array(width);
  const high = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const values = rows.map((row) => row[i]!);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
    [mean[i], low[i], high[i]] = [m, m - sd, m + sd];
  }
  return { mean, low, high };
}

/** Pixels (of 3 bytes) that differ between two RGB pictures of one size. */
export function differing(a: Uint8Array, b: Uint8Array): number {
  let count = 0;
  for (let p = 0; p < a.length; p += 3) if (a[p] !== b[p] || a[p + 1] !== b[p + 1] || a[p + 2] !== b[p + 2]) count++;
  return count;
}
