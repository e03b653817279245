/**
 * The model.json file that tensorflowjs_converter writes: a topology (a Keras model config for a
 * LayersModel, a TensorFlow GraphDef in JSON for a GraphModel) and a weights manifest naming the binary
 * shard files next to it.
 */
import { InputError } from '../../errors.js';

/** One weight in the manifest; its bytes follow the previous weight's in the group's concatenated shards. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** Stored quantized: uint8/uint16 affine (value = q * scale + min) or float16. */
  quantization?: { dtype: string; min?: number; scale?: number };
}

export interface WeightsGroup {
  /** Shard files, relative to model.json, in order. */
  paths: string[];
  weights: WeightSpec[];
}

export type TfjsModelFormat = 'layers-model' | 'graph-model';

export interface TfjsModelJson {
  format: TfjsModelFormat;
  /** LayersModel: `{ model_config, keras_version, ... }` or a bare Keras config; GraphModel: `{ node, versions }`. */
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightsGroup[];
  /** GraphModel: the converter's `signature` (inputs and outputs) among other user metadata. */
  userDefinedMetadata?: Record<string, unknown>;
}

/** A config value as text (a name, an option, a value in a message): a string as it is, any other JSON value as JSON. */
export function configText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

/** Parses and checks model.json text; `source` names the file in error messages. */
export function parseModelJson(text: string, source: string): TfjsModelJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw notModelJson(source, 'is not valid JSON', cause);
  }
  if (!isRecord(parsed) || !isRecord(parsed.modelTopology)) throw notModelJson(source, 'has no modelTopology');
  const topology = parsed.modelTopology;
  const manifest = parsed.weightsManifest ?? [];
  if (!Array.isArray(manifest) || !manifest.every(isWeightsGroup)) {
    throw notModelJson(source, 'has a weightsManifest that is not a list of { paths, weights } groups');
  }
  const format = detectFormat(parsed.format, topology, source);
  const metadata = isRecord(parsed.userDefinedMetadata) ? { userDefinedMetadata: parsed.userDefinedMetadata } : {};
  return { format, modelTopology: topology, weightsManifest: manifest, ...metadata };
}

function detectFormat(declared: unknown, topology: Record<string, unknown>, source: string): TfjsModelFormat {
  if (declared === 'layers-model' || declared === 'graph-model') return declared;
  // Older converters leave `format` out; the topology's shape tells the two apart.
  if (Array.isArray(topology.node)) return 'graph-model';
  if (isRecord(topology.model_config) || typeof topology.class_name === 'string') return 'layers-model';
  throw notModelJson(
    source,
    `has format '${String(declared)}' and a topology that is neither a Keras model nor a graph`,
  );
}

function isWeightsGroup(value: unknown): value is WeightsGroup {
  return (
    isRecord(value) &&
    Array.isArray(value.paths) &&
    value.paths.every((p) => typeof p === 'string') &&
    Array.isArray(value.weights) &&
    value.weights.every(
      (w) => isRecord(w) && typeof w.name === 'string' && Array.isArray(w.shape) && typeof w.dtype === 'string',
    )
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notModelJson(source: string, reason: string, cause?: unknown): InputError {
  return new InputError(`${source} ${reason}, so it is not a TensorFlow.js model.json`, {
    hint: 'pass the model.json written by tensorflowjs_converter (LayersModel or GraphModel), with its weight shards beside it',
    cause,
  });
}
