/**
 * Writes a synthetic results store (test/helpers/synthetic-store.ts) for benches of the reading side at
 * scale: the server (bench-server.ts --store), the app's map and galleries, the static export. Not a
 * fixture: the file is large (about 1 GB at 1,000,000 inputs over two layers) and made in a minute or two.
 *
 *   node build/scripts/synth-store.js --out /tmp/nap-1m.duckdb [--inputs 1000000] [--patterns 300]
 *     [--layers conv2:16,dense:32] [--no-projections]
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { synthesizeStore, type SyntheticLayer } from '../test/helpers/synthetic-store.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    inputs: { type: 'string', default: '1000000' },
    patterns: { type: 'string', default: '300' },
    layers: { type: 'string', default: 'conv2:16,dense:32' },
    'no-projections': { type: 'boolean', default: false },
  },
});
if (values.out === undefined)
  throw new Error('--out FILE is missing: give the new store file, e.g. --out /tmp/nap-1m.duckdb');
if (existsSync(values.out))
  throw new Error(`${values.out} exists: give a new file (this script does not add to a store)`);
const inputs = Number(values.inputs);
const patterns = Number(values.patterns);
if (!Number.isInteger(inputs) || inputs < 1) throw new Error(`--inputs ${values.inputs}: give a positive whole number`);
if (!Number.isInteger(patterns) || patterns < 1)
  throw new Error(`--patterns ${values.patterns}: give a positive whole number`);
const layers: SyntheticLayer[] = values.layers.split(',').map((spec) => {
  const [name, units] = spec.split(':');
  if (!name || !(Number(units) >= 1))
    throw new Error(`--layers ${spec}: give name:units pairs, e.g. conv2:16,dense:32`);
  return { name, units: Number(units) };
});
const started = performance.now();
const cpuStart = process.cpuUsage();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
await synthesizeStore(values.out, {
  inputs,
  patterns,
  layers,
  projections: !values['no-projections'],
  onStep: (step) => console.log(`${step} written (${seconds()} s)`),
});
const cpu = process.cpuUsage(cpuStart);
console.log(
  `${values.out}: ${inputs} inputs, ${patterns} patterns x ${layers.length} layers in ${seconds()} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
);
