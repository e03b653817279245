/**
 * Reading the members of a ZIP archive (what numpy.savez writes): stored or deflated members, Zip64
 * sizes and offsets included. Only what .npz files need: no encryption, no multi-disk archives.
 */
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../../errors.js';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const MASK32 = 0xffffffff;

/** Every member's name and uncompressed bytes, in directory order. */
export function readZip(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what: string) =>
    new InputError(`${source} is not a readable ZIP/.npz archive (${what})`, {
      hint: 'write it with numpy.savez or numpy.savez_compressed',
    });
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65535); at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw bad('no end of central directory');
  let entries = view.getUint16(end + 10, true);
  let directory = view.getUint32(end + 16, true);
  if (
    (entries === 0xffff || directory === MASK32) &&
    end >= 20 &&
    view.getUint32(end - 20, true) === ZIP64_END_LOCATOR
  ) {
    const zip64End = Number(view.getBigUint64(end - 20 + 8, true));
    if (view.getUint32(zip64End, true) !== ZIP64_END) throw bad('broken Zip64 end record');
    entries = Number(view.getBigUint64(zip64End + 32, true));
    directory = Number(view.getBigUint64(zip64End + 48, true));
  }
  const members = new Map<string, Uint8Array>();
  let at = directory;
  for (let e = 0; e < entries; e++) {
    if (view.getUint32(at, true) !== CENTRAL_ENTRY) throw bad(`entry ${e} of the central directory`);
    const method = view.getUint16(at + 10, true);
    let compressed = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let offset = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // Zip64: the fields set to 0xFFFFFFFF follow in the extra field, in this order.
    for (let x = at + 46 + nameLength; x < at + 46 + nameLength + extraLength;) {
      const id = view.getUint16(x, true);
      const length = view.getUint16(x + 2, true);
      if (id === ZIP64_EXTRA) {
        let field = x + 4;
        const next = () => {
          const value = Number(view.getBigUint64(field, true));
          field += 8;
          return value;
        };
        if (size === MASK32) size = next();
        if (compressed === MASK32) compressed = next();
        if (offset === MASK32) offset = next();
      }
      x += 4 + length;
    }
    if (view.getUint32(offset, true) !== LOCAL_HEADER) throw bad(`local header of ${name}`);
    const dataStart = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    if (method === 0) members.set(name, raw);
    else if (method === 8) members.set(name, new Uint8Array(inflateRawSync(raw)));
    else throw bad(`member ${name} uses compression method ${method}`);
    if (members.get(name)!.length !== size)
      throw bad(`member ${name} has ${members.get(name)!.length} bytes, not ${size}`);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}
