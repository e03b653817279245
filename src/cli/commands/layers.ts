import { LAYERS_OPTIONS, listLayers, type LayerInfo } from '../../io/onnx/inspect.js';
import { switchOption } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';

const LAYERS_CLI = LAYERS_OPTIONS.extend<{ json?: boolean }>({
  json: switchOption({ flag: 'json', help: 'print the layers as JSON' }),
});

const HELP = `Usage: nap layers <model.onnx> [--input-shape [NAME=]1,3,224,224] [--layout ...] [--prefix-tokens N] [--json]

Lists every candidate layer of an ONNX model: tensor name, op type, output shape found by running one
input, its layout for aggregation and its transformer block; '*' marks the default set that
'nap analyze' uses when --layers is not given, '>' a block's output.

Layouts are traced from the graph: 'tokens T x D' ([batch, tokens, features]; P+N tokens: P prefix
tokens such as CLS, a distillation token or registers, in front of N patch tokens of an H x W grid),
'spatial C x H x W' (or channels last), 'flat D'.

Options:
${LAYERS_CLI.help()}`;

export const runLayersCommand = cliCommand(LAYERS_CLI, async (argv) => {
  const { options, positionals, help } = parseOptions(LAYERS_CLI, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const model = onlyPositional(positionals, 'layers', 'model file', HELP);
  const { json, ...listOptions } = options;
  const layers = await listLayers(model, { ...listOptions, probeShapeOption: 'probeDims' });
  if (json) {
    console.log(JSON.stringify(layers, null, 2));
    return 0;
  }
  const rows = layers.map((layer) => [
    `${layer.isDefault ? '*' : ' '}${layer.block?.isOutput ? '>' : ' '}`,
    layer.name,
    layer.opType,
    `[${layer.dims.join(', ')}]`,
    describeLayout(layer),
    layer.block?.name ?? '',
  ]);
  const header = ['', 'layer', 'op', 'shape', 'layout', 'block'];
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c]!.length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    );
  const blocks = new Set(layers.flatMap((layer) => (layer.block ? [layer.block.name] : [])));
  console.log(
    `\n${layers.length} layers; * = default set (${layers.filter((l) => l.isDefault).length})` +
      (blocks.size > 0 ? `; ${blocks.size} transformer blocks, > = block output` : ''),
  );
  return 0;
});

/** `tokens 1+49 x 48 (7x7)`, `spatial 32 x 26x26`, `spatial 26x26 x 32 (NHWC)`, `flat 10`. */
export function describeLayout(layer: LayerInfo): string {
  const guessed = layer.source === 'guess' ? ' ?' : '';
  if (layer.layout === 'flat') return `flat ${layer.units}`;
  const grid = layer.grid ? `${layer.grid.height}x${layer.grid.width}` : String(layer.positions);
  if (layer.layout === 'tokens') {
    const tokens =
      layer.prefixTokens > 0 ? `${layer.prefixTokens}+${layer.positions - layer.prefixTokens}` : `${layer.positions}`;
    return `tokens ${tokens} x ${layer.units}${layer.grid ? ` (${grid})` : ''}${guessed}`;
  }
  return layer.order === 'channels-first'
    ? `spatial ${layer.units} x ${grid}${guessed}`
    : `spatial ${grid} x ${layer.units} (NHWC)${guessed}`;
}
