/**
 * Results that workers hand back through the shared folder (a layer's patterns, its map): a JSON tree
 * whose typed arrays travel as raw little-endian bytes after it, so every value, NaN and infinities
 * included, comes back bit for bit. Layout: 8 bytes magic, 4 bytes header length, header JSON, 8-byte
 * aligned array bytes.
 */
import { rename, readFile, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';

const MAGIC = 'NAPBIN01';

const ARRAY_TYPES = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint8Array,
} as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;
type TypedArray = InstanceType<(typeof ARRAY_TYPES)[ArrayTypeName]>;

interface ArrayRef {
  $array: ArrayTypeName;
  offset: number;
  length: number;
}

function typeName(value: unknown): ArrayTypeName | undefined {
  return (Object.keys(ARRAY_TYPES) as ArrayTypeName[]).find((name) => value instanceof ARRAY_TYPES[name]);
}

export function encodePayload(value: unknown): Buffer {
  const arrays: TypedArray[] = [];
  let offset = 0;
  const header = JSON.stringify(value, function (this: unknown, key: string, item: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    const name = typeName(raw);
    if (name !== undefined) {
      const array = raw as TypedArray;
      const ref: ArrayRef = { $array: name, offset, length: array.length };
      arrays.push(array);
      offset += Math.ceil(array.byteLength / 8) * 8;
      return ref;
    }
    if (typeof item === 'number' && !Number.isFinite(item)) return { $number: String(item) };
    return item;
  });
  const headerBytes = Buffer.from(header, 'utf8');
  const start = Math.ceil((12 + headerBytes.length) / 8) * 8;
  const out = Buffer.alloc(start + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 12);
  let at = start;
  for (const array of arrays) {
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).copy(out, at);
    at += Math.ceil(array.byteLength / 8) * 8;
  }
  return out;
}

export function decodePayload<T>(bytes: Uint8Array): T {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 || buffer.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a nap result file');
  const length = buffer.readUInt32LE(8);
  const start = Math.ceil((12 + length) / 8) * 8;
  const header = buffer.toString('utf8', 12, 12 + length);
  return JSON.parse(header, (_key, item: unknown) => {
    if (item !== null && typeof item === 'object') {
      const ref = item as Partial<ArrayRef> & { $number?: string };
      if (ref.$number !== undefined) return Number(ref.$number);
      if (ref.$array !== undefined && ref.offset !== undefined && ref.length !== undefined) {
        const Type = ARRAY_TYPES[ref.$array];
        const byteLength = ref.length * Type.BYTES_PER_ELEMENT;
        if (start + ref.offset + byteLength > buffer.length) throw new Error('nap result file is truncated');
        // Copied into a fresh, aligned buffer.
        const copy = new Uint8Array(byteLength);
        copy.set(buffer.subarray(start + ref.offset, start + ref.offset + byteLength));
        return new Type(copy.buffer);
      }
    }
    return item;
  }) as T;
}

/** Writes the payload under a temporary name and renames it into place: readers see all of it or nothing. */
export async function writePayloadFile(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temporary, encodePayload(value));
  await rename(temporary, file);
}

/** The payload in `file`, or undefined when the file does not exist. */
export async function readPayloadFile<T>(file: string): Promise<T | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return decodePayload<T>(bytes);
}
