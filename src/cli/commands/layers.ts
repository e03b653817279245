import { listLayers } from '../../io/onnx/inspect.js';
import { onlyPositional, parseCommandArgs, wholeNumberListOption } from '../args.js';

const HELP = `Usage: nap layers <model.onnx> [--input-shape 1,3,224,224] [--json]

Lists every candidate layer of an ONNX model (tensor name, op type, output shape found by running one
input); '*' marks the default set that 'nap analyze' uses when --layers is not given.`;

export async function runLayersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('layers', {
    args: argv,
    allowPositionals: true,
    options: { 'input-shape': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const model = onlyPositional(positionals, 'layers', 'model file', HELP);
  const probeDims = wholeNumberListOption(values['input-shape'], '--input-shape', { example: '1,3,224,224', min: 1 });
  const layers = await listLayers(model, probeDims ? { probeDims } : {});
  if (values.json) {
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
}
