/**
 * Fixtures of the reliability tests, all made at test time in a temporary folder: images in odd formats
 * (written with sharp), tiny ONNX models that misbehave on purpose, the CLI as a child process, and a
 * compact read-back of a stored run.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { OnnxGraphBuilder } from '../../src/io/onnx/builder.js';
import { NapStore } from '../../src/io/store/index.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Ways of writing the same picture; each must decode to the same 8-bit RGB (or gray) pixels. */
export type ImageMode =
  'rgb' | 'gray' | 'gray-alpha' | 'rgba' | 'palette' | 'gray16' | 'rgb16' | 'cmyk-jpeg' | 'jpeg' | 'webp';

/**
 * A width x height image of one colour (r, g, b in 0..255; gray modes use r). One colour keeps every
 * resize exact, so images of any size and mode can be compared value for value.
 */
export async function writeUniformImage(
  file: string,
  color: readonly [number, number, number],
  mode: ImageMode = 'rgb',
  size = { width: 8, height: 8 },
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const { width, height } = size;
  const pixels = width * height;
  const [r, g, b] = color;
  const fill = (channels: number, values: number[]) => {
    const data = Buffer.alloc(pixels * channels);
    for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) data[p * channels + c] = values[c]!;
    return data;
  };
  switch (mode) {
    case 'rgb':
      await sharp(fill(3, [r, g, b]), { raw: { width, height, channels: 3 } })
        .png()
        .toFile(file);
      return;
    case 'gray':
      await sharp(fill(1, [r]), { raw: { width, height, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toFile(file);
      return;
    case 'gray-alpha':
      // Alpha varies per pixel: the decoder drops it rather than blending, so the colour stays exact.
      await sharp(
        fill(2, [r, 0]).map((v, i) => (i % 2 === 1 ? (i * 37) % 256 : v)),
        { raw: { width, height, channels: 2 } },
      )
        .png()
        .toFile(file);
      return;
    case 'rgba':
      await sharp(
        fill(4, [r, g, b, 0]).map((v, i) => (i % 4 === 3 ? (i * 53) % 256 : v)),
        { raw: { width, height, channels: 4 } },
      )
        .png()
        .toFile(file);
      return;
    case 'palette':
      await sharp(fill(3, [r, g, b]), { raw: { width, height, channels: 3 } })
        .png({ palette: true, dither: 0 })
        .toFile(file);
      return;
    case 'gray16':
      // v * 257 is v in 16 bits exactly (0xvv -> 0xvvvv), so reducing to 8 bits must give v back.
      await sharp(new Uint16Array(pixels).fill(r * 257), { raw: { width, height, channels: 1 } })
        .toColourspace('grey16')
        .png()
        .toFile(file);
      return;
    case 'rgb16': {
      const data = new Uint16Array(pixels * 3);
      for (let p = 0; p < pixels; p++) data.set([r * 257, g * 257, b * 257], p * 3);
      await sharp(data, { raw: { width, height, channels: 3 } })
        .toColourspace('rgb16')
        .png()
        .toFile(file);
      return;
    }
    case 'cmyk-jpeg':
      await sharp(fill(3, [r, g, b]), { raw: { width, height, channels: 3 } })
        .toColourspace('cmyk')
        .jpeg({ quality: 100 })
        .toFile(file);
      return;
    case 'jpeg':
      await sharp(fill(3, [r, g, b]), { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
        .toFile(file);
      return;
    case 'webp':
      await sharp(fill(3, [r, g, b]), { raw: { width, height, channels: 3 } })
        .webp({ lossless: true })
        .toFile(file);
      return;
  }
}

/** Input [batch,1,4,4] -> Sub 0.5 -> Log (`bad`: NaN wherever a pixel is below 0.5), and Relu(x) (`ok`). */
export function nanLayerModel(op: 'log' | 'div'): Uint8Array {
  const builder = new OnnxGraphBuilder(`nan_${op}`)
    .input('x', ['batch', 1, 4, 4])
    .output('out', ['batch', 16])
    .initializer('half', [], new Float32Array([0.5]));
  if (op === 'log') builder.node('Sub', ['x', 'half'], ['shifted']).node('Log', ['shifted'], ['bad']);
  else builder.node('Sub', ['x', 'x'], ['zero']).node('Div', ['half', 'zero'], ['bad']);
  return builder
    .node('Relu', ['x'], ['ok'])
    .node('Flatten', ['ok'], ['flat'], { axis: 1 })
    .node('Add', ['flat', 'flat'], ['out'])
    .toBytes();
}

/**
 * Input [batch,1,4,4] -> `ok` = Relu(x) -> out = Log([mean(x) - threshold, 1]): output class 0 is NaN for
 * inputs darker than `threshold` (0..1); class 1 is log 1 = 0, so the others predict class 1.
 */
export function nanOutputModel(threshold: number): Uint8Array {
  const weights = new Float32Array(16 * 2);
  for (let i = 0; i < 16; i++) weights[i * 2] = 1 / 16;
  return new OnnxGraphBuilder('nan_output')
    .input('x', ['batch', 1, 4, 4])
    .output('out', ['batch', 2])
    .initializer('w', [16, 2], weights)
    .initializer('b', [2], new Float32Array([-threshold, 1]))
    .node('Relu', ['x'], ['ok'])
    .node('Flatten', ['ok'], ['flat'], { axis: 1 })
    .node('Gemm', ['flat', 'w', 'b'], ['shifted'])
    .node('Log', ['shifted'], ['out'])
    .toBytes();
}

/** Input [batch,1,4,4] -> 1 / x (`inverse`): +Inf for an all-zero input, finite for images without black pixels. */
export function reciprocalModel(): Uint8Array {
  return new OnnxGraphBuilder('reciprocal')
    .input('x', ['batch', 1, 4, 4])
    .output('out', ['batch', 16])
    .initializer('one', [], new Float32Array([1]))
    .node('Div', ['one', 'x'], ['inverse'])
    .node('Flatten', ['inverse'], ['out'], { axis: 1 })
    .toBytes();
}

/** Input [batch,1,4,4] -> `dead` = Relu(x - 10), zero for every image (scaled pixels are <= 1); `alive` = Relu(x). */
export function deadReluModel(): Uint8Array {
  return new OnnxGraphBuilder('dead_relu')
    .input('x', ['batch', 1, 4, 4])
    .output('out', ['batch', 16])
    .initializer('ten', [], new Float32Array([10]))
    .node('Sub', ['x', 'ten'], ['shifted'])
    .node('Relu', ['shifted'], ['dead'])
    .node('Relu', ['x'], ['alive'])
    .node('Add', ['dead', 'alive'], ['sum'])
    .node('Flatten', ['sum'], ['out'], { axis: 1 })
    .toBytes();
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `nap <args>` to completion (progress off); the 60 s guard turns a hang into a failed test. */
export function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface StoredLayer {
  dim: number;
  /** Normalized activation rows by input path. */
  rowOf: Map<string, Float32Array>;
  patternCount: number;
  patternId: Int32Array;
  probability: Float64Array;
  outlierScore: Float64Array;
}

export interface StoredRun {
  status: string;
  paths: string[];
  labels: (string | null)[];
  prediction: Int32Array;
  predictionLabel: (string | null)[];
  probability: Float64Array;
  layers: Map<string, StoredLayer>;
}

/** The status of every run in the store file, in run order. */
export async function runStatuses(storePath: string): Promise<string[]> {
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    return (await store.listRuns()).map((run) => run.status);
  } finally {
    await store.close();
  }
}

/** Everything the tests compare of one run, read back from the store file. */
export async function readRun(storePath: string, runId: number): Promise<StoredRun> {
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const run = await store.getRun(runId);
    const inputs = await store.readInputs(runId);
    const pathOf = new Map(Array.from(inputs.index, (index, row) => [index, inputs.path[row] ?? '']));
    const layers = new Map<string, StoredLayer>();
    for (const info of await store.listLayers(runId)) {
      const { matrix, inputIndex } = await store.readActivations(runId, info.layer);
      const rowOf = new Map(
        Array.from(inputIndex, (index, row) => [
          pathOf.get(index)!,
          matrix.data.slice(row * matrix.dim, (row + 1) * matrix.dim),
        ]),
      );
      const [clustering] = await store.listClusterings(runId, info.layer);
      const memberships = await store.readMemberships(clustering!.clusteringId);
      layers.set(info.layer, {
        dim: matrix.dim,
        rowOf,
        patternCount: clustering!.patternCount,
        patternId: memberships.patternId,
        probability: Float64Array.from(memberships.probability),
        outlierScore: Float64Array.from(memberships.outlierScore),
      });
    }
    return {
      status: run.status,
      paths: inputs.path.map((p) => p ?? ''),
      labels: [...inputs.label],
      prediction: inputs.prediction,
      predictionLabel: [...inputs.predictionLabel],
      probability: inputs.probability,
      layers,
    };
  } finally {
    await store.close();
  }
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) {
      throw new Error(`${what}: value ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}
