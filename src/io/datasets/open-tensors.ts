/**
 * Datasets that are not images: NumPy .npy/.npz arrays, raw little-endian float32 with a shape, and
 * Parquet or CSV tables (numeric columns, list columns, a text column tokenized by a tokenizer.json).
 * Labels come from a column / npz key (default: one named 'label' or 'labels') or a file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import type { NamedTensor } from '../tensor.js';
import { parseCsv } from './csv.js';
import { readNpy, readNpyText, readNpzEntries, type NpyArray } from './npy.js';
import { statUserPath } from './paths.js';
import { createTensorDataset } from './tensor-dataset.js';
import { loadTokenizer } from './tokenize.js';
import type { TensorDataset } from './types.js';

export interface TensorDataOptions {
  /** Dims of a raw little-endian float32 file (items first), e.g. [1000, 64]. */
  shape?: number[];
  /** Column (table) or key (npz) holding the labels; default one named 'label' or 'labels', if any. */
  labelColumn?: string;
  /** File of labels, one per item: .txt (a line each), .csv (its 'label' column, else its first), .npy or .json (an array). */
  labels?: string;
  /** Table columns of numbers making the array 'input' [N, columns]; default every numeric column but the label. */
  columns?: string[];
  /** Table column of text, tokenized with `tokenizer` into input_ids, attention_mask and token_type_ids. */
  textColumn?: string;
  /** A Hugging Face tokenizer.json (needed with textColumn). */
  tokenizer?: string;
  /** Tokens per text: every text padded or truncated to this; default the longest text, at most 512. */
  maxLength?: number;
  /** Table column of image paths (relative to the table's folder) a gallery shows per row. */
  imageColumn?: string;
}

const TENSOR_EXTENSIONS = new Set(['.npy', '.npz', '.parquet', '.f32', '.bin', '.raw']);
const LABEL_NAMES = ['label', 'labels'];
const DEFAULT_MAX_LENGTH = 512;

/** True when `spec` names data of numbers or text rather than images (see openTensorDataset). */
export async function isTensorSpec(spec: string, options: TensorDataOptions = {}): Promise<boolean> {
  const extension = path.extname(spec).toLowerCase();
  if (TENSOR_EXTENSIONS.has(extension) || options.shape) return true;
  if (extension !== '.csv') return false;
  if (options.columns || options.textColumn || options.labelColumn) return true;
  // A CSV of images is a manifest with a 'path' column; any other CSV is a table.
  try {
    const text = await readFile(spec, 'utf8');
    const header = parseCsv(text.slice(0, text.indexOf('\n') + 1 || text.length), spec)[0]?.fields ?? [];
    return !header.map((field) => field.trim().toLowerCase()).includes('path');
  } catch {
    return false;
  }
}

export async function openTensorDataset(spec: string, options: TensorDataOptions = {}): Promise<TensorDataset> {
  const file = path.resolve(spec);
  const stats = await statUserPath(file, 'dataset file', 'pass a .npy, .npz, .parquet, .csv or raw float32 file');
  const extension = path.extname(file).toLowerCase();
  // Paths resolved, so that the same files named from another folder (a worker, nap gather) are the same dataset.
  const named = {
    ...options,
    ...(options.labels !== undefined ? { labels: path.resolve(options.labels) } : {}),
    ...(options.tokenizer !== undefined ? { tokenizer: path.resolve(options.tokenizer) } : {}),
  };
  const identity = [file, String(stats.size), String(stats.mtimeMs), JSON.stringify(named)];
  const name = path.basename(file);
  let arrays: NamedTensor[];
  let labels: string[] | null = null;
  let texts: string[] | undefined;
  let images: string[] | undefined;
  if (extension === '.npy') {
    arrays = [tensorOf('input', readNpy(await readFile(file), file))];
  } else if (extension === '.npz') {
    const all = readNpzEntries(await readFile(file), file);
    const labelKey = options.labelColumn ?? LABEL_NAMES.find((key) => all.has(key));
    if (labelKey !== undefined) {
      const content = all.get(labelKey);
      if (!content) throw missingColumn(file, labelKey, [...all.keys()], 'key');
      labels = readNpyText(content, `${file}:${labelKey}.npy`);
      all.delete(labelKey);
    }
    arrays = [...all].map(([key, content]) => tensorOf(key, readNpy(content, `${file}:${key}.npy`)));
  } else if (extension === '.parquet' || extension === '.csv') {
    const table = await readTable(file, extension);
    ({ arrays, labels, texts, images } = await tableArrays(table, file, options));
  } else {
    arrays = [await rawFloat32(file, options.shape)];
  }
  if (options.labels !== undefined) labels = await readLabelsFile(options.labels);
  return createTensorDataset({ name, itemPrefix: name, arrays, labels, texts, images, identity });
}

function tensorOf(name: string, array: NpyArray): NamedTensor {
  const dims = array.shape.length === 1 ? [array.shape[0]!, 1] : array.shape;
  return { name, type: array.type, dims, data: array.data };
}

async function rawFloat32(file: string, shape: number[] | undefined): Promise<NamedTensor> {
  if (!shape || shape.length < 2) {
    throw new InputError(`${file} is raw data, so its shape must be given`, {
      hint: 'pass --shape N,D (items first) for a little-endian float32 file',
    });
  }
  const bytes = await readFile(file);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * 4) {
    throw new InputError(
      `${file} holds ${bytes.length} bytes, but shape [${shape.join(', ')}] of float32 needs ${count * 4}`,
      {
        hint: 'check --shape: its product times 4 bytes must be the file size',
      },
    );
  }
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes);
  return { name: 'input', type: 'float32', dims: shape, data };
}

interface Table {
  names: string[];
  types: string[];
  columns: unknown[][];
}

async function readTable(file: string, extension: string): Promise<Table> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const source = extension === '.parquet' ? 'read_parquet($1)' : 'read_csv($1, header = true)';
    const reader = await connection.runAndReadAll(`SELECT * FROM ${source}`, [file]);
    return {
      names: reader.columnNames(),
      types: reader.columnTypes().map((type) => type.toString()),
      columns: reader.getColumnsJS(),
    };
  } catch (cause) {
    throw new InputError(`cannot read table ${file}: ${(cause as Error).message.split('\n')[0]}`, {
      hint: 'pass a Parquet file or a CSV with a header line',
      cause,
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;
const NUMERIC_LIST = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|FLOAT|DOUBLE|DECIMAL.*)\[\d*\]$/;

async function tableArrays(
  table: Table,
  file: string,
  options: TensorDataOptions,
): Promise<{ arrays: NamedTensor[]; labels: string[] | null; texts?: string[]; images?: string[] }> {
  const count = table.columns[0]?.length ?? 0;
  const column = (name: string, what = 'column') => {
    const at = table.names.indexOf(name);
    if (at < 0) throw missingColumn(file, name, table.names, what);
    return { values: table.columns[at]!, type: table.types[at]! };
  };
  const labelName = options.labelColumn ?? LABEL_NAMES.find((name) => table.names.includes(name));
  const labels = labelName === undefined ? null : column(labelName).values.map(textOf);
  const used = new Set([labelName, options.textColumn, options.imageColumn].filter((name) => name !== undefined));
  const arrays: NamedTensor[] = [];
  let texts: string[] | undefined;
  if (options.textColumn !== undefined) {
    texts = column(options.textColumn).values.map(textOf);
    if (options.tokenizer === undefined) {
      throw new InputError(`--text-column ${options.textColumn} needs a tokenizer to turn text into token ids`, {
        hint: "pass the model's tokenizer.json with --tokenizer",
      });
    }
    const tokenizer = await loadTokenizer(options.tokenizer);
    const encoded = tokenizer.encodeBatch(texts, {
      maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH,
      ...(options.maxLength !== undefined ? { length: options.maxLength } : {}),
    });
    const dims = [count, encoded.length];
    arrays.push(
      { name: 'input_ids', type: 'int64', dims, data: encoded.inputIds },
      { name: 'attention_mask', type: 'int64', dims, data: encoded.attentionMask },
      { name: 'token_type_ids', type: 'int64', dims, data: encoded.tokenTypeIds },
    );
  }
  // List columns (embeddings, token ids) are arrays of their own, named as the column.
  table.names.forEach((name, at) => {
    if (used.has(name) || !NUMERIC_LIST.test(table.types[at]!)) return;
    const rows = table.columns[at]! as (ArrayLike<number> | null)[];
    const width = rows[0]?.length ?? 0;
    if (rows.some((row) => row === null || row.length !== width)) {
      throw new InputError(`list column '${name}' of ${file} has rows of different lengths`, {
        hint: 'every row of a list column needs the same number of values',
      });
    }
    const integer = /INT/.test(table.types[at]!);
    const data = integer ? new BigInt64Array(count * width) : new Float32Array(count * width);
    rows.forEach((row, r) => {
      for (let i = 0; i < width; i++) {
        if (data instanceof BigInt64Array) data[r * width + i] = BigInt(Math.trunc(Number(row![i])));
        else data[r * width + i] = Number(row![i]);
      }
    });
    arrays.push({ name, type: integer ? 'int64' : 'float32', dims: [count, width], data });
    used.add(name);
  });
  const numeric =
    options.columns ?? table.names.filter((name, at) => !used.has(name) && NUMERIC.test(table.types[at]!));
  if (numeric.length > 0) {
    const data = new Float32Array(count * numeric.length);
    numeric.forEach((name, c) => {
      const { values, type } = column(name);
      if (!NUMERIC.test(type)) {
        throw new InputError(`column '${name}' of ${file} holds ${type}, not numbers`, {
          hint: 'list numeric columns with --columns, or name a text column with --text-column',
        });
      }
      values.forEach((value, r) => (data[r * numeric.length + c] = Number(value)));
    });
    arrays.push({ name: 'input', type: 'float32', dims: [count, numeric.length], data });
  }
  if (arrays.length === 0) {
    throw new InputError(`table ${file} has no numeric columns to feed a model`, {
      hint: 'name numeric columns with --columns, or a text column with --text-column and --tokenizer',
    });
  }
  const images =
    options.imageColumn === undefined
      ? undefined
      : column(options.imageColumn).values.map((value) => path.resolve(path.dirname(file), textOf(value)));
  return { arrays, labels, ...(texts ? { texts } : {}), ...(images ? { images } : {}) };
}

async function readLabelsFile(spec: string): Promise<string[]> {
  const file = path.resolve(spec);
  await statUserPath(file, 'labels file', 'pass a .txt, .csv, .npy or .json file of labels');
  const extension = path.extname(file).toLowerCase();
  if (extension === '.npy') return readNpyText(await readFile(file), file);
  const text = await readFile(file, 'utf8');
  if (extension === '.json') {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) {
      throw new InputError(`labels file ${file} is not a JSON array`, {
        hint: 'write the labels as ["cat", "dog", ...]',
      });
    }
    return parsed.map((value) => String(value));
  }
  if (extension === '.csv') {
    const records = parseCsv(text, file);
    const header = records[0]?.fields.map((field) => field.trim().toLowerCase()) ?? [];
    const at = Math.max(
      0,
      header.findIndex((field) => LABEL_NAMES.includes(field)),
    );
    return records.slice(1).map((record) => record.fields[at] ?? '');
  }
  return text.split(/\r?\n/).filter((line, i, lines) => line !== '' || i < lines.length - 1);
}

/** A table cell as text: '' for NULL, numbers and strings as written, anything else as JSON. */
function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function missingColumn(file: string, name: string, names: string[], what: string): InputError {
  return new InputError(`${file} has no ${what} '${name}'`, { hint: `its ${what}s: ${names.join(', ')}` });
}
