/**
 * The option fields that say how a model's tensors are laid out, shared by `nap layers` and `nap analyze`:
 * one repeatable `--layout`, whose `auto|NCHW|NHWC` entries set the image input's layout and whose
 * `LAYER=tokens|spatial|NCHW|NHWC|flat` entries force one layer's, and `--prefix-tokens N`.
 */
import { choice, keyedOption, sharedFlag, valueOption, wholeNumber, type ValueRule } from '../../options/schema.js';
import { LAYOUT_OVERRIDES, type LayoutOverride } from './layer-layout.js';
import type { LayoutOption } from './layout.js';

const PER_LAYER: Record<string, LayoutOverride> = {
  tokens: 'tokens',
  spatial: 'channels-first',
  nchw: 'channels-first',
  'channels-first': 'channels-first',
  nhwc: 'channels-last',
  'channels-last': 'channels-last',
  flat: 'flat',
};

/** A layer's layout as `--layout LAYER=...` spells it (any case; spatial = NCHW). */
const LAYER_LAYOUT: ValueRule<LayoutOverride> = {
  parse: (text) => PER_LAYER[text.trim().toLowerCase()] ?? text,
  valid: (value): value is LayoutOverride => LAYOUT_OVERRIDES.includes(value as LayoutOverride),
  what: { one: 'one of tokens, spatial, NCHW, NHWC, flat', many: 'layouts among tokens, spatial, NCHW, NHWC, flat' },
  format: (value) => value,
  example: 'tokens',
  placeholder: 'tokens|spatial|NHWC|flat',
};

const perLayer = (entry: string): boolean => entry.includes('=');

/** `--layout auto|NCHW|NHWC`: the channel layout of the image input. */
export function inputLayoutField(spec: { help: string; default?: LayoutOption }) {
  return sharedFlag(
    valueOption(choice(['auto', 'NCHW', 'NHWC'] as const), { flag: 'layout', ...spec }),
    (entry) => !perLayer(entry),
    { usage: '--layout auto|NCHW|NHWC' },
  );
}

/** `--layout LAYER=LAYOUT` (repeatable): layouts forced per layer. */
export const layerLayoutsField = sharedFlag(
  keyedOption(LAYER_LAYOUT, {
    flag: 'layout',
    name: 'layer',
    help: "force a layer's layout (repeatable; default: traced from the graph)",
    example: ['/blocks.0/Add_1_output_0', 'tokens'],
  }),
  perLayer,
  { usage: '--layout LAYER=LAYOUT', many: true },
);

/** `--prefix-tokens N`: prefix tokens (CLS, distillation, registers) of every token layer. */
export const prefixTokensField = valueOption(wholeNumber({ example: 1, min: 0 }), {
  flag: 'prefix-tokens',
  help: 'prefix tokens (CLS, distillation, registers) of token layers (default: from the patch grid, else 0)',
});
