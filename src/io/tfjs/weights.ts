/**
 * Reading the weight shards of a TF.js model: each manifest group's shard files are concatenated and its
 * weights are cut from them in order, dequantized to float32 the way tfjs-core does (uint8/uint16:
 * q * scale + min; float16: IEEE half).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { WeightSpec, WeightsGroup } from './model-json.js';

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export type WeightMap = Map<string, WeightTensor>;

const VALUE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Reads every group's shards from `dir` (the folder of model.json) and decodes its weights. */
export async function readWeights(manifest: WeightsGroup[], dir: string, source: string): Promise<WeightMap> {
  const weights: WeightMap = new Map();
  for (const group of manifest) {
    const bytes = await readGroupBytes(group, dir, source);
    for (const [name, tensor] of decodeWeights(group.weights, bytes, source)) weights.set(name, tensor);
  }
  return weights;
}

/** A manifest group's shard files from `dir`, concatenated: the bytes its weights are cut from in order. */
export async function readGroupBytes(group: WeightsGroup, dir: string, source: string): Promise<Uint8Array> {
  return concat(await Promise.all(group.paths.map((shard) => readShard(path.join(dir, shard), source))));
}

async function readShard(file: string, source: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new InputError(`weight shard ${file} of ${source} cannot be read`, {
      hint: 'keep the shard files that tensorflowjs_converter wrote in the same folder as model.json',
      cause,
    });
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Cuts `specs` from the group's bytes in order; int32 and bool weights are converted to float32 too. */
export function decodeWeights(specs: WeightSpec[], bytes: Uint8Array, source: string): WeightMap {
  const weights: WeightMap = new Map();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const stored = spec.quantization?.dtype ?? spec.dtype;
    const valueBytes = VALUE_BYTES[stored];
    if (valueBytes === undefined) {
      throw new InputError(`weight '${spec.name}' of ${source} is stored as ${stored}, which nap cannot read`, {
        hint: 'convert the model again with float32, int32 or uint8/uint16/float16 quantized weights',
      });
    }
    const byteLength = count * valueBytes;
    if (offset + byteLength > bytes.length) {
      throw new InputError(
        `the weight shards of ${source} end before weight '${spec.name}' (${bytes.length} bytes, need ${offset + byteLength})`,
        {
          hint: 'the shard files are truncated or do not belong to this model.json; copy them again',
        },
      );
    }
    // Copy (a Buffer's slice would be a view) so every weight owns an aligned buffer whatever its offset.
    const raw = new Uint8Array(bytes.subarray(offset, offset + byteLength));
    weights.set(spec.name, { shape: spec.shape, data: decodeValues(spec, stored, raw.buffer, source) });
    offset += byteLength;
  }
  return weights;
}

function decodeValues(spec: WeightSpec, stored: string, buffer: ArrayBuffer, source: string): Float32Array {
  const q = spec.quantization;
  if (q && (stored === 'uint8' || stored === 'uint16')) {
    if (typeof q.min !== 'number' || typeof q.scale !== 'number') {
      throw new InputError(`weight '${spec.name}' of ${source} is ${stored}-quantized without min and scale`, {
        hint: 'the manifest is incomplete; convert the model again',
      });
    }
    const values = stored === 'uint8' ? new Uint8Array(buffer) : new Uint16Array(buffer);
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i]! * q.scale + q.min;
    return out;
  }
  if (stored === 'float16') return Float32Array.from(new Uint16Array(buffer), halfToFloat);
  if (stored === 'float32') return new Float32Array(buffer);
  if (stored === 'int32') return Float32Array.from(new Int32Array(buffer));
  return Float32Array.from(new Uint8Array(buffer));
}

/** IEEE 754 binary16 to a JS number (exact: every half is representable in float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
