/**
 * Listing a model's layers with their output dims, found by running one probe input (zeros) through a
 * copy of the model in which every candidate layer is a graph output.
 */
import * as ort from 'onnxruntime-node';
import { InputError } from '../../errors.js';
import { defaultLayerNames } from './defaults.js';
import { candidateLayers, decodeModel, singleFloatInput, withExtraOutputs } from './graph.js';
import { formatDims } from './layout.js';
import { createSession, readModelFile, resolveThreads } from './session.js';

export interface LayerInfo {
  /** The tensor (node output) name: what to pass as a layer. */
  name: string;
  nodeName: string;
  opType: string;
  /** Output dims for the probe input (batch of 1 unless `probeDims` says otherwise). */
  dims: number[];
  /** Part of the default set (see defaults.ts for the rule). */
  isDefault: boolean;
}

export interface ListLayersOptions {
  /** onnxruntime intra-op threads. Default: all cores. */
  threads?: number;
  /**
   * Shape of the probe input. Default: the declared input shape with every symbolic dim set to 1;
   * models that take any image size usually need a real size here (e.g. [1, 3, 224, 224]).
   */
  probeDims?: number[];
}

export async function listLayers(path: string, options: ListLayersOptions = {}): Promise<LayerInfo[]> {
  return listLayersOfBytes(await readModelFile(path), path, options);
}

/** Same as listLayers for model bytes already in memory; `source` names them in error messages. */
export async function listLayersOfBytes(
  bytes: Uint8Array,
  source: string,
  options: ListLayersOptions = {},
): Promise<LayerInfo[]> {
  const threads = resolveThreads(options.threads);
  const { graph } = decodeModel(bytes, source);
  const input = singleFloatInput(graph, source);
  const probeDims = options.probeDims ?? input.dims.map((d) => (typeof d === 'number' ? d : 1));
  const candidates = candidateLayers(graph);
  const defaults = new Set(defaultLayerNames(graph));
  const names = candidates.map((c) => c.name);

  const session = await createSession(withExtraOutputs(bytes, names, source), source, threads);
  let results: ort.InferenceSession.ReturnType;
  try {
    const size = probeDims.reduce((a, b) => a * b, 1);
    const probe = new ort.Tensor('float32', new Float32Array(size), probeDims);
    results = await session.run({ [input.name]: probe }, names);
  } catch (cause) {
    throw new InputError(`${source} did not run on a probe input shaped [${formatDims(probeDims)}]`, {
      hint: `the model declares [${formatDims(input.dims)}]; pass probe dims with real sizes for its symbolic dims`,
      cause,
    });
  } finally {
    await session.release();
  }
  return candidates.map((c) => {
    const dims = (results[c.name] as ort.Tensor).dims.map(Number);
    // A layer without one row per input item cannot be clustered, whatever the rule says.
    const keepsBatch = dims.length >= 2 && dims[0] === probeDims[0];
    return {
      name: c.name,
      nodeName: c.nodeName,
      opType: c.opType,
      dims,
      isDefault: keepsBatch && defaults.has(c.name),
    };
  });
}
