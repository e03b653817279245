/** A named batch of values with its element type and dims (batch first): what datasets give and models take. */
export type ElementType = 'float32' | 'int64' | 'int32' | 'bool';

export interface NamedTensor {
  name: string;
  type: ElementType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

/** The same values as `type` (float32 <-> integers round toward zero; bool is 0 or 1); unchanged when already so. */
export function castTensor(tensor: NamedTensor, type: ElementType): NamedTensor {
  if (tensor.type === type) return tensor;
  const { data } = tensor;
  const size = data.length;
  const valueAt =
    data instanceof BigInt64Array ? (i: number) => Number(data[i]!) : (i: number) => (data as Float32Array)[i]!;
  let out: NamedTensor['data'];
  switch (type) {
    case 'float32':
      out = Float32Array.from({ length: size }, (_, i) => valueAt(i));
      break;
    case 'int32':
      out = Int32Array.from({ length: size }, (_, i) => Math.trunc(valueAt(i)));
      break;
    case 'int64':
      out = BigInt64Array.from({ length: size }, (_, i) => BigInt(Math.trunc(valueAt(i))));
      break;
    case 'bool':
      out = Uint8Array.from({ length: size }, (_, i) => (valueAt(i) !== 0 ? 1 : 0));
      break;
  }
  return { name: tensor.name, type, dims: tensor.dims, data: out };
}
