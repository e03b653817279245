/** Loads the hdbscan 0.8.43 golden inputs and outputs (see shared/reference/hdbscan/README.md). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// build/test/compute/hdbscan -> repository root (or test/compute/hdbscan when run from source)
const repoRoot = path.resolve(here, here.includes(`${path.sep}build${path.sep}`) ? '../../../..' : '../../..');

/** The golden folder, a copy of shared/reference/hdbscan kept with the tests (its README says what is in it). */
export const referenceDir: string = path.join(repoRoot, 'test/fixtures/hdbscan');

/** One row of a condensed or single-linkage tree: [parent or left, child or right, lambda or distance, size]. */
export type TreeRow = readonly [number, number, number, number];

export interface GoldenVariant {
  labels: Int32Array;
  probabilities: Float64Array;
  outlierScores: Float64Array;
  persistence: Float64Array;
  condensed: TreeRow[];
  singleLinkage: TreeRow[];
  params: {
    min_cluster_size: number;
    min_samples: number;
    cluster_selection_method: 'leaf' | 'eom';
    cluster_selection_epsilon: number;
  };
}

export function goldenNames(): string[] {
  return readdirSync(referenceDir)
    .filter((file) => file.endsWith('.f32'))
    .map((file) => file.slice(0, -'.f32'.length))
    .sort();
}

export function goldenVariants(name: string): string[] {
  return readdirSync(path.join(referenceDir, `${name}.ref`)).sort();
}

export function loadGoldenMatrix(name: string): Matrix {
  const meta = JSON.parse(readFileSync(path.join(referenceDir, `${name}.json`), 'utf8')) as {
    shape: [number, number];
  };
  const bytes = readFileSync(path.join(referenceDir, `${name}.f32`));
  const [count, dim] = meta.shape;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(count * dim);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(4 * i, true);
  return makeMatrix(count, dim, data);
}

function readCsv(file: string): number[][] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const [firstLine = ''] = lines;
  const [firstCell = ''] = firstLine.split(',', 1);
  const hasHeader = Number.isNaN(parseValue(firstCell)) && firstCell.trim().toLowerCase() !== 'nan';
  return lines.slice(hasHeader ? 1 : 0).map((line) => line.split(',').map(parseValue));
}

function parseValue(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan') return NaN;
  return Number(t);
}

/** The first cell of every row of `file`. */
function column(file: string): number[] {
  return readCsv(file).map(([value], i) => {
    if (value === undefined) throw new Error(`${file}: row ${i + 1} is empty`);
    return value;
  });
}

/** The rows of a tree file, each exactly four cells. */
function treeRows(file: string): TreeRow[] {
  return readCsv(file).map((row, i) => {
    const [a, b, c, d] = row;
    if (row.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
      throw new Error(`${file}: row ${i + 1} has ${row.length} cells, expected 4`);
    }
    return [a, b, c, d];
  });
}

export function loadGoldenVariant(name: string, variant: string): GoldenVariant {
  const dir = path.join(referenceDir, `${name}.ref`, variant);
  const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { params: GoldenVariant['params'] };
  return {
    labels: Int32Array.from(column(path.join(dir, 'labels.csv'))),
    probabilities: Float64Array.from(column(path.join(dir, 'probabilities.csv'))),
    outlierScores: Float64Array.from(column(path.join(dir, 'outlier_scores.csv'))),
    persistence: Float64Array.from(column(path.join(dir, 'cluster_persistence.csv'))),
    condensed: treeRows(path.join(dir, 'condensed_tree.csv')),
    singleLinkage: treeRows(path.join(dir, 'single_linkage_tree.csv')),
    params: result.params,
  };
}
