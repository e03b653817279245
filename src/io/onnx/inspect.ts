/**
 * Listing a model's layers with their output dims, found by running one probe input (zeros) through a
 * copy of the model in which every candidate layer is a graph output.
 */
import * as ort from 'onnxruntime-node';
import { InputError, option } from '../../errors.js';
import { list, OptionSchema, valueOption, wholeNumber } from '../../options/schema.js';
import { defaultLayerNames } from './defaults.js';
import { candidateLayers, decoded, singleFloatInput, withExtraOutputs, type DecodedModel } from './graph.js';
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
  /**
   * Most values the probe input may hold: the model runs on it with every layer kept, so a huge shape would
   * run out of memory. Default 2^24 (64 MiB of float32, e.g. one 2048 x 2048 RGB image).
   */
  maxProbeValues?: number;
  /** The option that sets the probe's shape, named in the message of a probe over the limit. Default 'probeDims'. */
  probeShapeOption?: string;
}

export const DEFAULT_MAX_PROBE_VALUES = 2 ** 24;

/** The options of `listLayers` and `nap layers` (see src/options/schema.ts). */
export const LAYERS_OPTIONS = new OptionSchema<ListLayersOptions>('layers', {
  probeDims: valueOption(
    list(wholeNumber({ example: 1, min: 1 }), { example: [1, 3, 224, 224], placeholder: 'N,C,H,W' }),
    {
      flag: 'input-shape',
      help: 'shape of the probe input (default: the declared shape, symbolic dims 1)',
    },
  ),
  maxProbeValues: valueOption(wholeNumber({ example: DEFAULT_MAX_PROBE_VALUES, min: 1 }), {
    flag: 'max-probe-values',
    help: 'most values the probe input may hold',
    default: DEFAULT_MAX_PROBE_VALUES,
  }),
  threads: valueOption(wholeNumber({ example: 2, min: 1, max: 1024 }), {
    flag: 'threads',
    help: 'onnxruntime threads',
    defaultText: 'all cores',
  }),
});

/** Refuses a probe input with more values than the limit, before onnxruntime allocates it. */
function requireProbeWithinLimit(dims: number[], limit: number, shapeOption: string): void {
  const values = dims.reduce((a, b) => a * b, 1);
  if (Number.isSafeInteger(values) && values <= limit) return;
  const count = Number.isSafeInteger(values) ? values.toLocaleString('en-US') : values.toExponential(2);
  throw new InputError(
    `the probe input [${formatDims(dims)}] holds ${count} values, more than ${option('maxProbeValues')} ${limit.toLocaleString('en-US')}`,
    {
      hint: `give a smaller ${option(shapeOption)}, or raise ${option('maxProbeValues')} if memory allows (4 bytes per value, and the model keeps every layer of the probe)`,
    },
  );
}

export async function listLayers(path: string, options: ListLayersOptions = {}): Promise<LayerInfo[]> {
  return listLayersOfBytes(await readModelFile(path), path, options);
}

/** Same as listLayers for model bytes already in memory; `source` names them in error messages. */
/** `listLayers` of model bytes, or of a model decoded once for a whole run. */
export async function listLayersOfBytes(
  bytes: Uint8Array | DecodedModel,
  source: string,
  options: ListLayersOptions = {},
): Promise<LayerInfo[]> {
  const { threads: threadCount, maxProbeValues } = LAYERS_OPTIONS.resolve(options);
  const threads = resolveThreads(threadCount);
  const model = decoded(bytes, source);
  const { graph } = model;
  const input = singleFloatInput(graph, source);
  const probeDims = options.probeDims ?? input.dims.map((d) => (typeof d === 'number' ? d : 1));
  requireProbeWithinLimit(probeDims, maxProbeValues!, options.probeShapeOption ?? 'probeDims');
  const candidates = candidateLayers(graph);
  const defaults = new Set(defaultLayerNames(graph));
  const names = candidates.map((c) => c.name);

  const session = await createSession(withExtraOutputs(model, names, source), source, threads);
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
