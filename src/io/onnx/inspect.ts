/**
 * Listing a model's layers with their output dims, found by running one probe input (zeros; ones for an
 * attention mask) through a copy of the model in which every candidate layer is a graph output, and
 * each layer's layout for aggregation (token sequence, spatial map or flat vector) traced from the graph.
 */
import * as ort from 'onnxruntime-node';
import type { ChannelOrder } from '../../compute/aggregate.js';
import { InputError, option } from '../../errors.js';
import { keyedOption, list, OptionSchema, sharedFlag, valueOption, wholeNumber } from '../../options/schema.js';
import { defaultLayerNames } from './defaults.js';
import { traceFeatureAxes } from './feature-axes.js';
import { analyzeGraph, decoded, withExtraOutputs, type DecodedModel } from './graph.js';
import { layerShape, tracePatchGrids, type LayerShape, type LayoutOverride } from './layer-layout.js';
import { inputLayoutField, layerLayoutsField, prefixTokensField } from './layout-fields.js';
import { detectLayout, formatDims, type LayoutOption } from './layout.js';
import { constantFeed, modelInputs, probeDimsOf, type Feed, type ModelInput } from './model-inputs.js';
import { createSession, readModelFile, resolveThreads } from './session.js';
import { tensorLayouts } from './tensor-layout.js';
import { transformerBlocks } from './transformer-blocks.js';

export interface LayerInfo extends LayerShape {
  /** The tensor (node output) name: what to pass as a layer. */
  name: string;
  nodeName: string;
  opType: string;
  /** Output dims for the probe input (batch of 1 unless `probeDims` says otherwise). */
  dims: number[];
  /** Part of the default set (see defaults.ts for the rule). */
  isDefault: boolean;
  /** Tokens per input of a token layer (prefix tokens included), else null. */
  tokens: number | null;
  /** The transformer block the layer belongs to, and whether it is the block's output. */
  block: { index: number; name: string; isOutput: boolean } | null;
}

export interface ListLayersOptions {
  /** onnxruntime intra-op threads. Default: all cores. */
  threads?: number;
  /**
   * Shape of the probe input of a model with one input. Default: the declared input shape with every
   * symbolic dim set to 1; models that take any image size usually need a real size here (e.g. [1, 3, 224, 224]).
   */
  probeDims?: number[];
  /** Probe shape per input name, for models with several inputs; default as for probeDims (token axes: 8). */
  probeInputs?: Record<string, number[]>;
  /** Channel layout of a 4-D float input; default 'auto' (detected from its shape). */
  inputLayout?: LayoutOption;
  /** Layouts forced per layer, overriding what the graph says. */
  layouts?: Record<string, LayoutOverride>;
  /** Prefix tokens of every token layer, overriding the patch-grid detection. */
  prefixTokens?: number;
  /**
   * Most values the probe input may hold: the model runs on it with every layer kept, so a huge shape would
   * run out of memory. Default 2^24 (64 MiB of float32, e.g. one 2048 x 2048 RGB image).
   */
  maxProbeValues?: number;
  /** The option that sets the probe's shape, named in the message of a probe over the limit. Default 'probeDims'. */
  probeShapeOption?: string;
}

export const DEFAULT_MAX_PROBE_VALUES = 2 ** 24;

const PROBE_SHAPE = list(wholeNumber({ example: 1, min: 1 }), { example: [1, 3, 224, 224], placeholder: 'N,C,H,W' });

/** The options of `listLayers` and `nap layers` (see src/options/schema.ts). */
export const LAYERS_OPTIONS = new OptionSchema<ListLayersOptions>('layers', {
  probeDims: sharedFlag(
    valueOption(PROBE_SHAPE, {
      flag: 'input-shape',
      help: 'shape of the probe input (default: the declared shape, symbolic dims 1)',
    }),
    (entry) => !entry.includes('='),
    { usage: '--input-shape N,C,H,W' },
  ),
  probeInputs: sharedFlag(
    keyedOption(PROBE_SHAPE, {
      flag: 'input-shape',
      name: 'input',
      help: 'probe shape of one input of a model with several (repeatable)',
      example: ['input_ids', [1, 16]],
    }),
    (entry) => entry.includes('='),
    { usage: '--input-shape NAME=d,...', many: true },
  ),
  inputLayout: inputLayoutField({ help: 'channel layout of the image input (default: detected)' }),
  layouts: layerLayoutsField,
  prefixTokens: prefixTokensField,
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
  const inputs = modelInputs(graph, source);
  const feeds = probeFeeds(inputs, options, source, (dims) =>
    requireProbeWithinLimit(dims, maxProbeValues!, options.probeShapeOption ?? 'probeDims'),
  );
  const { candidates, dynamic } = analyzeGraph(graph);
  const defaults = new Set(defaultLayerNames(graph));
  const names = candidates.map((c) => c.name);
  for (const layer of Object.keys(options.layouts ?? {})) {
    if (!names.includes(layer)) {
      throw new InputError(`a layout is given for layer '${layer}', which is not a layer of ${source}`, {
        hint: 'name layers as `nap layers MODEL` lists them',
      });
    }
  }

  const session = await createSession(withExtraOutputs(model, names, source), source, threads);
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run(
      Object.fromEntries(feeds.map((feed) => [feed.name, new ort.Tensor(feed.type, feed.data, feed.dims)])),
      names,
    );
  } catch (cause) {
    const shapes =
      feeds.length === 1
        ? `[${formatDims(feeds[0]!.dims)}]`
        : feeds.map((feed) => `${feed.name} [${formatDims(feed.dims)}]`).join(', ');
    throw new InputError(`${source} did not run on a probe input shaped ${shapes}`, {
      hint: `the model declares ${inputs.map((i) => `${i.name} [${formatDims(i.dims)}]`).join(', ')}; pass probe dims with real sizes for its symbolic dims (--input-shape)`,
      cause,
    });
  } finally {
    await session.release();
  }
  const shapes = new Map<string, number[]>(feeds.map((feed) => [feed.name, feed.dims]));
  for (const name of names) shapes.set(name, (results[name] as ort.Tensor).dims.map(Number));
  const imageInput = inputs.find((input) => input.type === 'float32' && input.dims.length === 4);
  const imageLayout = imageInput ? detectLayout(imageInput.dims, options.inputLayout ?? 'auto') : undefined;
  const inputAxes = new Map<string, number>();
  for (const feed of feeds) {
    if (feed.type !== 'float32') continue;
    const rank = feed.dims.length;
    inputAxes.set(feed.name, feed.name === imageInput?.name && imageLayout === 'NCHW' ? 1 : rank - 1);
  }
  const axes = traceFeatureAxes(graph, { shapes, dynamic, inputAxes });
  const grids = tracePatchGrids(graph, shapes, axes);
  const blocks = transformerBlocks(graph, shapes, axes, dynamic);
  const guesses = imageInput && imageLayout ? tensorLayouts(graph, imageInput.name, imageLayout) : new Map();
  const batch = feeds[0]!.dims[0];

  return candidates.map((c) => {
    const dims = shapes.get(c.name)!;
    // A layer without one row per input item cannot be clustered, whatever the rule says.
    const keepsBatch = dims.length >= 2 && dims[0] === batch;
    const guess: ChannelOrder = (guesses.get(c.name) ?? imageLayout) === 'NCHW' ? 'channels-first' : 'channels-last';
    const shape = layerShape(c.name, {
      dims,
      axis: axes.get(c.name),
      patchGrid: grids.get(c.name),
      guess,
      override: options.layouts?.[c.name],
      prefixOverride: options.prefixTokens,
    });
    const block = blocks.find((b) => c.nodeIndex >= b.firstNode && c.nodeIndex <= b.lastNode);
    // Inside a transformer block, a tensor whose features cannot be traced is an attention internal (scores
    // plus a mask, per-head products), not a layer of the stream a NAP user studies.
    const internal = block !== undefined && shape.source === 'guess';
    return {
      name: c.name,
      nodeName: c.nodeName,
      opType: c.opType,
      dims,
      // A block's output is one even when no rule picks it (post-norm blocks end at a LayerNormalization).
      isDefault: keepsBatch && ((defaults.has(c.name) && !internal) || block?.output === c.name),
      ...shape,
      tokens: shape.layout === 'tokens' ? shape.positions : null,
      block: block ? { index: block.index, name: block.name, isOutput: block.output === c.name } : null,
    };
  });
}

/** The probe input of every model input; `requireWithinLimit` sees each shape before its values are allocated. */
function probeFeeds(
  inputs: ModelInput[],
  options: ListLayersOptions,
  source: string,
  requireWithinLimit: (dims: number[]) => void,
): Feed[] {
  const byName = options.probeInputs ?? {};
  for (const name of Object.keys(byName)) {
    if (!inputs.some((input) => input.name === name)) {
      throw new InputError(`probe shape given for input '${name}', which ${source} does not have`, {
        hint: `its inputs: ${inputs.map((input) => input.name).join(', ')}`,
      });
    }
  }
  if (options.probeDims && inputs.length > 1 && Object.keys(byName).length === 0) {
    throw new InputError(`${source} has ${inputs.length} inputs, so one probe shape does not say which it is for`, {
      hint: `name the input: --input-shape ${inputs[0]!.name}=${probeDimsOf(inputs[0]!, 1).join(',')}`,
    });
  }
  const given = (input: ModelInput) => byName[input.name] ?? (inputs.length === 1 ? options.probeDims : undefined);
  const batch = inputs.map(given).find((dims) => dims !== undefined)?.[0] ?? 1;
  return inputs.map((input) => {
    const dims = given(input) ?? probeDimsOf(input, batch);
    requireWithinLimit(dims);
    return constantFeed(input, dims);
  });
}
