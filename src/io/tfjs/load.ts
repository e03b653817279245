/**
 * TF.js models as ONNX bytes, converted in memory: a model.json path goes in, the bytes that the ONNX
 * pipeline reads come out (nothing is written to disk). src/io/onnx/session.ts readModelFile calls this
 * for .json paths, so analyze, layers and the runner accept model.json wherever they accept .onnx.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { graphModelToOnnx } from './graph-to-onnx.js';
import { layersModelToOnnx } from './keras-to-onnx.js';
import { parseModelJson, type TfjsModelJson } from './model-json.js';
import { readWeights, type WeightMap } from './weights.js';

/** True for paths nap reads as a TF.js model.json rather than an ONNX file. */
export function isTfjsModelPath(file: string): boolean {
  return /\.json$/i.test(file);
}

/** Reads model.json and its weight shards (resolved next to it) and converts them to ONNX bytes. */
export async function convertTfjsModelFile(file: string): Promise<Uint8Array> {
  const model = await readModelJson(file);
  const weights = await readWeights(model.weightsManifest, path.dirname(file), file);
  return tfjsModelToOnnx(model, weights, file);
}

/** Reads and checks model.json (its shards are resolved next to it). */
export async function readModelJson(file: string): Promise<TfjsModelJson> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new InputError(`model file ${file} ${reason}`, {
      hint: 'pass the path of an .onnx model or of a TF.js model.json',
      cause,
    });
  }
  return parseModelJson(text, file);
}

/** Converts a parsed model.json with its decoded weights; `source` names the model in error messages. */
export function tfjsModelToOnnx(model: TfjsModelJson, weights: WeightMap, source: string): Uint8Array {
  return model.format === 'layers-model'
    ? layersModelToOnnx(model, weights, source)
    : graphModelToOnnx(model, weights, source);
}
