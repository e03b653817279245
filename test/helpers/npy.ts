/** The bytes of an .npy file (format 1.0) holding float32 `values` shaped `shape`, row-major. */
export function float32Npy(shape: readonly number[], values: Float32Array): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length)
    throw new RangeError(`shape [${shape.join(', ')}] holds ${count} values, not ${values.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const text = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // Magic, version, header length, then the header padded with spaces to a multiple of 64 bytes, ending in \n.
  const padded = text.padEnd(Math.ceil((10 + text.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = new Uint8Array(10 + padded.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  head.set(new TextEncoder().encode(padded), 10);
  return Buffer.concat([head, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)]);
}
