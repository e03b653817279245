/**
 * MobileNetV2 (Sandler et al. 2018, width 1.0) as ONNX bytes with seeded random He-initialized weights,
 * for throughput benchmarks: no pre-trained weights can be downloaded, and speed does not depend on them.
 * BatchNorm is folded away (every conv has a bias), so the graph is what an exported, optimized model
 * looks like: Conv (+ Clip 0..6), residual Add, GlobalAveragePool, Flatten, Gemm, Softmax.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { OnnxGraphBuilder } from '../../src/io/onnx/builder.js';

export interface MobileNetV2Options {
  /** Seed of the weights; default 0. */
  seed?: number;
  /** Input side in pixels; default 224. */
  imageSize?: number;
  /** Output classes; default 1000. */
  classes?: number;
}

/** Inverted residual stages (expansion t, output channels c, repeats n, first stride s), width 1.0. */
const STAGES: readonly { t: number; c: number; n: number; s: number }[] = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];
const STEM_CHANNELS = 32;
const HEAD_CHANNELS = 1280;

export const MOBILENET_V2_INPUT = 'input';
export const MOBILENET_V2_OUTPUT = 'probabilities';

/** A standard normal sampler (Box-Muller) over a seeded uniform source. */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** The model bytes; input `input` [batch, 3, S, S] (NCHW, symbolic batch), output `probabilities` [batch, classes]. */
export function buildMobileNetV2(options: MobileNetV2Options = {}): Uint8Array {
  const side = options.imageSize ?? 224;
  const classes = options.classes ?? 1000;
  const normal = gaussian(mulberry32(options.seed ?? 0));
  const g = new OnnxGraphBuilder('mobilenet_v2');
  g.input(MOBILENET_V2_INPUT, ['batch', 3, side, side]);
  g.initializer('relu6_min', [], Float32Array.of(0));
  g.initializer('relu6_max', [], Float32Array.of(6));

  /** He (fan-in) initialized weights and a zero bias. */
  const weights = (name: string, dims: number[], fanIn: number): void => {
    const std = Math.sqrt(2 / fanIn);
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    g.initializer(`${name}.weight`, dims, data);
    g.initializer(`${name}.bias`, [dims[0]!], new Float32Array(dims[0]!));
  };
  /** Conv (+ bias) with `kernel` x `kernel` windows; group = channels for depthwise. Returns the output tensor. */
  const conv = (
    name: string,
    input: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    stride: number,
    depthwise: boolean,
    relu6: boolean,
  ): string => {
    const groups = depthwise ? inChannels : 1;
    const perGroupIn = inChannels / groups;
    weights(name, [outChannels, perGroupIn, kernel, kernel], perGroupIn * kernel * kernel);
    const pad = (kernel - 1) / 2;
    const convOut = relu6 ? `${name}.conv` : name;
    g.node(
      'Conv',
      [input, `${name}.weight`, `${name}.bias`],
      [convOut],
      {
        kernel_shape: [kernel, kernel],
        strides: [stride, stride],
        pads: [pad, pad, pad, pad],
        group: groups,
      },
      `${name}/Conv`,
    );
    if (relu6) g.node('Clip', [convOut, 'relu6_min', 'relu6_max'], [name], {}, `${name}/Clip`);
    return name;
  };

  let x = conv('stem', MOBILENET_V2_INPUT, 3, STEM_CHANNELS, 3, 2, false, true);
  let channels = STEM_CHANNELS;
  let block = 0;
  for (const { t, c, n, s } of STAGES) {
    for (let i = 0; i < n; i++) {
      block++;
      const stride = i === 0 ? s : 1;
      const hidden = channels * t;
      const prefix = `block${block}`;
      let y = t === 1 ? x : conv(`${prefix}.expand`, x, channels, hidden, 1, 1, false, true);
      y = conv(`${prefix}.depthwise`, y, hidden, hidden, 3, stride, true, true);
      y = conv(`${prefix}.project`, y, hidden, c, 1, 1, false, false);
      if (stride === 1 && channels === c) {
        g.node('Add', [x, y], [`${prefix}.add`], {}, `${prefix}/Add`);
        y = `${prefix}.add`;
      }
      x = y;
      channels = c;
    }
  }
  x = conv('head', x, channels, HEAD_CHANNELS, 1, 1, false, true);
  g.node('GlobalAveragePool', [x], ['pool'], {}, 'pool/GlobalAveragePool');
  g.node('Flatten', ['pool'], ['features'], { axis: 1 }, 'features/Flatten');
  const std = Math.sqrt(1 / HEAD_CHANNELS);
  g.initializer(
    'classifier.weight',
    [classes, HEAD_CHANNELS],
    Float32Array.from({ length: classes * HEAD_CHANNELS }, () => normal() * std),
  );
  g.initializer('classifier.bias', [classes], new Float32Array(classes));
  g.node('Gemm', ['features', 'classifier.weight', 'classifier.bias'], ['logits'], { transB: 1 }, 'classifier/Gemm');
  g.node('Softmax', ['logits'], [MOBILENET_V2_OUTPUT], { axis: 1 }, 'softmax/Softmax');
  g.output(MOBILENET_V2_OUTPUT, ['batch', classes]);
  return g.toBytes();
}

/** Builds the model and writes it to `file` (default: a fresh name in os.tmpdir()); returns the path. */
export async function writeMobileNetV2(
  file?: string,
  options: MobileNetV2Options = {},
): Promise<{ path: string; bytes: Uint8Array }> {
  const target = file ?? path.join(os.tmpdir(), `nap-bench-mobilenet-v2-${process.pid}.onnx`);
  const bytes = buildMobileNetV2(options);
  await writeFile(target, bytes);
  return { path: target, bytes };
}
