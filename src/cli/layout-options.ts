/**
 * The options that say how a model's tensors are laid out, shared by `nap layers` and `nap analyze`:
 * `--layout NCHW|NHWC|auto` for the image input, `--layout LAYER=tokens|spatial|NCHW|NHWC|flat` per layer
 * (repeatable), `--prefix-tokens N`, and `--input-shape [NAME=]d1,d2,...` per model input.
 */
import { InputError } from '../errors.js';
import type { LayoutOverride } from '../io/onnx/layer-layout.js';
import type { LayoutOption } from '../io/onnx/layout.js';
import { wholeNumberListOption, wholeNumberOption } from './args.js';

const PER_LAYER: Record<string, LayoutOverride> = {
  tokens: 'tokens',
  spatial: 'channels-first',
  nchw: 'channels-first',
  'channels-first': 'channels-first',
  nhwc: 'channels-last',
  'channels-last': 'channels-last',
  flat: 'flat',
};

export interface LayoutOptions {
  inputLayout?: LayoutOption;
  layouts?: Record<string, LayoutOverride>;
  prefixTokens?: number;
}

export function parseLayoutOptions(layout: string[] | undefined, prefixTokens: string | undefined): LayoutOptions {
  const options: LayoutOptions = {};
  for (const entry of layout ?? []) {
    const at = entry.lastIndexOf('=');
    if (at < 0) {
      if (!['auto', 'NCHW', 'NHWC'].includes(entry)) {
        throw new InputError(`--layout '${entry}' is neither auto, NCHW, NHWC nor LAYER=LAYOUT`, {
          hint: 'write it like --layout NHWC (the image input) or --layout blocks.0/Add_1=tokens (one layer)',
        });
      }
      options.inputLayout = entry as LayoutOption;
      continue;
    }
    const layer = entry.slice(0, at);
    const value = PER_LAYER[entry.slice(at + 1).toLowerCase()];
    if (layer === '' || value === undefined) {
      throw new InputError(`--layout '${entry}' does not name a layer and one of tokens, spatial, NCHW, NHWC, flat`, {
        hint: 'write it like --layout /blocks.0/Add_1_output_0=tokens',
      });
    }
    options.layouts = { ...options.layouts, [layer]: value };
  }
  const prefix = wholeNumberOption(prefixTokens, '--prefix-tokens', { example: '1', min: 0 });
  if (prefix !== undefined) options.prefixTokens = prefix;
  return options;
}

/** `--input-shape 1,3,224,224` (a model with one input) or `--input-shape input_ids=1,16` (repeatable). */
export function parseInputShapes(entries: string[] | undefined): {
  probeDims?: number[];
  probeInputs?: Record<string, number[]>;
} {
  const result: { probeDims?: number[]; probeInputs?: Record<string, number[]> } = {};
  for (const entry of entries ?? []) {
    const at = entry.lastIndexOf('=');
    const dims = wholeNumberListOption(entry.slice(at + 1), '--input-shape', { example: '1,3,224,224', min: 1 })!;
    if (at < 0) result.probeDims = dims;
    else result.probeInputs = { ...result.probeInputs, [entry.slice(0, at)]: dims };
  }
  return result;
}
