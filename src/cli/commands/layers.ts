import { LAYERS_OPTIONS, listLayers } from '../../io/onnx/inspect.js';
import { switchOption } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';

const LAYERS_CLI = LAYERS_OPTIONS.extend<{ json?: boolean }>({
  json: switchOption({ flag: 'json', help: 'print the layers as JSON' }),
});

const HELP = `Usage: nap layers <model.onnx> [--input-shape 1,3,224,224] [--json]

Lists every candidate layer of an ONNX model (tensor name, op type, output shape found by running one
input); '*' marks the default set that 'nap analyze' uses when --layers is not given.

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
  const nameWidth = Math.max(5, ...layers.map((l) => l.name.length));
  const opWidth = Math.max(2, ...layers.map((l) => l.opType.length));
  console.log(`  ${'layer'.padEnd(nameWidth)}  ${'op'.padEnd(opWidth)}  shape`);
  for (const layer of layers) {
    console.log(
      `${layer.isDefault ? '*' : ' '} ${layer.name.padEnd(nameWidth)}  ${layer.opType.padEnd(opWidth)}  [${layer.dims.join(', ')}]`,
    );
  }
  console.log(`\n${layers.length} layers; * = default set (${layers.filter((l) => l.isDefault).length})`);
  return 0;
});
