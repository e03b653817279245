/**
 * NumPy's .npy format (versions 1-3) and .npz archives of them, read into typed arrays. Every dtype numpy
 * writes for numbers is read: floats (f2, f4, f8) become float32, integers up to 32 bits int32, 64-bit
 * integers int64, booleans bool; big-endian data is swapped and Fortran-ordered arrays reordered to C order.
 */
import { InputError } from '../../errors.js';
import type { ElementType, NamedTensor } from '../tensor.js';
import { readZip } from './zip.js';

export interface NpyArray {
  /** The dtype as numpy wrote it, e.g. '<f4'. */
  descr: string;
  shape: number[];
  type: ElementType;
  data: NamedTensor['data'];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  count: number;
  /** Offset of the data. */
  start: number;
  view: DataView;
}

function readHeader(bytes: Uint8Array, source: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new InputError(`${source} is not a .npy file (no \\x93NUMPY magic)`, {
      hint: 'write the array with numpy.save',
    });
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLength),
  );
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(`${source} has a .npy header nap cannot read: ${header.trim()}`, {
      hint: 'write a plain numeric array with numpy.save (no structured or object dtypes)',
    });
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  return { descr, fortran: fortran === 'True', shape, count, start: headerStart + headerLength, view };
}

function requireData(header: NpyHeader, size: number, bytes: Uint8Array, source: string): void {
  const { shape, descr, count, start } = header;
  if (bytes.length - start < count * size) {
    throw new InputError(
      `${source} is truncated: [${shape.join(', ')}] ${descr} needs ${count * size} bytes of data, it has ${bytes.length - start}`,
      {
        hint: 'the file was cut short; write it again',
      },
    );
  }
}

/** Reads one .npy file's bytes; `source` names it in errors. */
export function readNpy(bytes: Uint8Array, source: string): NpyArray {
  const header = readHeader(bytes, source);
  const { descr, shape, count, start, view } = header;
  const dtype = parseDescr(descr, source);
  requireData(header, dtype.size, bytes, source);
  const read = reader(dtype, view, start);
  let data = allocate(dtype.type, count);
  for (let i = 0; i < count; i++) setValue(data, i, read(i));
  if (header.fortran && shape.length > 1) data = toCOrder(data, shape);
  return { descr, shape, type: dtype.type, data };
}

/**
 * One .npy file's values as text, in C order: a string array (numpy's unicode 'U' or bytes 'S' dtypes, as
 * numpy writes labels like np.array(['cat', 'dog'])) or numbers written as text. For labels.
 */
export function readNpyText(bytes: Uint8Array, source: string): string[] {
  const header = readHeader(bytes, source);
  const match = /^([<>|=])([US])(\d+)$/.exec(header.descr);
  if (!match) {
    const array = readNpy(bytes, source);
    return Array.from(array.data as ArrayLike<number | bigint>, (value) =>
      array.type === 'float32' ? String(Number(value)) : String(value),
    );
  }
  if (header.fortran && header.shape.length > 1) {
    throw new InputError(`${source} holds a Fortran-ordered string array`, {
      hint: 'save the labels as a one-dimensional array (numpy.ascontiguousarray(labels).ravel())',
    });
  }
  const unicode = match[2] === 'U';
  const length = Number(match[3]);
  const size = unicode ? 4 * length : length;
  requireData(header, size, bytes, source);
  const littleEndian = match[1] !== '>';
  const texts: string[] = [];
  const bytesText = new TextDecoder('utf-8');
  for (let i = 0; i < header.count; i++) {
    const at = header.start + i * size;
    if (unicode) {
      const codePoints: number[] = [];
      for (let c = 0; c < length; c++) {
        const codePoint = header.view.getUint32(at + 4 * c, littleEndian);
        if (codePoint === 0) break;
        codePoints.push(codePoint);
      }
      texts.push(String.fromCodePoint(...codePoints));
    } else {
      const raw = bytes.subarray(at, at + size);
      const end = raw.indexOf(0);
      texts.push(bytesText.decode(end === -1 ? raw : raw.subarray(0, end)));
    }
  }
  return texts;
}

/** The .npy files of an .npz archive (numpy.savez / savez_compressed), by key (the file name without .npy). */
export function readNpzEntries(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  const entries = new Map<string, Uint8Array>();
  for (const [name, content] of readZip(bytes, source)) {
    if (name.endsWith('.npy')) entries.set(name.slice(0, -4), content);
  }
  if (entries.size === 0) {
    throw new InputError(`${source} holds no .npy arrays`, {
      hint: 'write it with numpy.savez(file, name=array, ...)',
    });
  }
  return entries;
}

/** Every array of an .npz archive, by key. */
export function readNpz(bytes: Uint8Array, source: string): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  for (const [key, content] of readNpzEntries(bytes, source)) arrays.set(key, readNpy(content, `${source}:${key}.npy`));
  return arrays;
}

interface Dtype {
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
  littleEndian: boolean;
  type: ElementType;
}

function parseDescr(descr: string, source: string): Dtype {
  const match = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const kind = match?.[2] as Dtype['kind'] | undefined;
  const size = Number(match?.[3]);
  const known =
    kind !== undefined &&
    ((kind === 'f' && [2, 4, 8].includes(size)) ||
      ((kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size)) ||
      (kind === 'b' && size === 1));
  if (!match || !known) {
    throw new InputError(`${source} holds dtype '${descr}', which nap does not read`, {
      hint: 'save numbers as float16/32/64, (u)int8-64 or bool (array.astype(numpy.float32))',
    });
  }
  const type: ElementType =
    kind === 'f' ? 'float32' : kind === 'b' ? 'bool' : size === 8 || (kind === 'u' && size === 4) ? 'int64' : 'int32';
  return { kind, size, littleEndian: match[1] !== '>', type };
}

function reader(dtype: Dtype, view: DataView, start: number): (i: number) => number | bigint {
  const { kind, size, littleEndian: le } = dtype;
  const at = (i: number) => start + i * size;
  if (kind === 'f') {
    if (size === 4) return (i) => view.getFloat32(at(i), le);
    if (size === 8) return (i) => view.getFloat64(at(i), le);
    return (i) => halfToFloat(view.getUint16(at(i), le));
  }
  if (kind === 'b') return (i) => (view.getUint8(at(i)) !== 0 ? 1 : 0);
  if (kind === 'i') {
    if (size === 1) return (i) => view.getInt8(at(i));
    if (size === 2) return (i) => view.getInt16(at(i), le);
    if (size === 4) return (i) => view.getInt32(at(i), le);
    return (i) => view.getBigInt64(at(i), le);
  }
  if (size === 1) return (i) => view.getUint8(at(i));
  if (size === 2) return (i) => view.getUint16(at(i), le);
  if (size === 4) return (i) => BigInt(view.getUint32(at(i), le));
  return (i) => BigInt.asIntN(64, view.getBigUint64(at(i), le));
}

function allocate(type: ElementType, count: number): NamedTensor['data'] {
  switch (type) {
    case 'float32':
      return new Float32Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'bool':
      return new Uint8Array(count);
  }
}

function setValue(data: NamedTensor['data'], i: number, value: number | bigint): void {
  if (data instanceof BigInt64Array) data[i] = typeof value === 'bigint' ? value : BigInt(value);
  else data[i] = Number(value);
}

/** IEEE 754 half precision to a number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A column-major (Fortran) array's values in row-major order. */
function toCOrder(data: NamedTensor['data'], shape: number[]): NamedTensor['data'] {
  const out = allocate(
    data instanceof Float32Array
      ? 'float32'
      : data instanceof BigInt64Array
        ? 'int64'
        : data instanceof Int32Array
          ? 'int32'
          : 'bool',
    data.length,
  );
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  const fStrides = shape.map((_, axis) => shape.slice(0, axis).reduce((a, b) => a * b, 1));
  for (let c = 0; c < data.length; c++) {
    let f = 0;
    for (let axis = 0; axis < rank; axis++) f += index[axis]! * fStrides[axis]!;
    (out as unknown as ArrayLike<number | bigint> & Record<number, number | bigint>)[c] = data[f]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++index[axis]! < shape[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}
