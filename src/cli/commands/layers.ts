import { parseArgs } from 'node:util';
import { InputError } from '../../errors.js';
import { listLayers } from '../../io/onnx/inspect.js';

const HELP = `Usage: nap layers <model.onnx> [--input-shape 1,3,224,224] [--json]

Lists every candidate layer of an ONNX model (tensor name, op type, output shape found by running one
input); '*' marks the default set that 'nap analyze' uses when --layers is not given.`;

export function parseShape(text: string, option: string): number[] {
  const dims = text.split(',').map((part) => Number(part.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InputError(`${option} '${text}' is not a list of positive whole numbers`, { hint: `write it like ${option} 1,3,224,224` });
  }
  return dims;
}

export async function runLayersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'input-shape': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const model = positionals[0];
  if (!model || positionals.length > 1) throw new InputError('nap layers takes exactly one model file', { hint: HELP });
  const probeDims = values['input-shape'] ? parseShape(values['input-shape'], '--input-shape') : undefined;
  const layers = await listLayers(model, probeDims ? { probeDims } : {});
  if (values.json) {
    console.log(JSON.stringify(layers, null, 2));
    return 0;
  }
  const nameWidth = Math.max(5, ...layers.map((l) => l.name.length));
  const opWidth = Math.max(2, ...layers.map((l) => l.opType.length));
  console.log(`  ${'layer'.padEnd(nameWidth)}  ${'op'.padEnd(opWidth)}  shape`);
  for (const layer of layers) {
    console.log(`${layer.isDefault ? '*' : ' '} ${layer.name.padEnd(nameWidth)}  ${layer.opType.padEnd(opWidth)}  [${layer.dims.join(', ')}]`);
  }
  console.log(`\n${layers.length} layers; * = default set (${layers.filter((l) => l.isDefault).length})`);
  return 0;
}
