/**
 * The layer probe runs the model on one input with every candidate layer kept: a huge --input-shape (or
 * --image-size) is refused by a limit on the probe's values, named in the message and overridable, before
 * onnxruntime allocates anything.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../../src/engine/analyze.js';
import { InputError } from '../../../src/errors.js';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { listLayers } from '../../../src/io/onnx/inspect.js';
import { tinyConvNet } from '../../helpers/tiny-models.js';
import { runCli } from '../../reliability/fixtures.js';

/** Input [batch, 1, h, w] of any size -> Conv 3x3 -> Relu -> GlobalAveragePool -> Flatten: takes any image size. */
function anySizeNet(): Uint8Array {
  return new OnnxGraphBuilder('any_size')
    .input('image', ['batch', 1, 'h', 'w'])
    .output('pooled', ['batch', 2])
    .initializer(
      'w',
      [2, 1, 3, 3],
      Float32Array.from({ length: 18 }, (_, i) => (i % 5) - 2),
    )
    .node('Conv', ['image', 'w'], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv')
    .node('Relu', ['conv'], ['relu'], {}, 'relu')
    .node('GlobalAveragePool', ['relu'], ['gap'], {}, 'gap')
    .node('Flatten', ['gap'], ['pooled'], { axis: 1 }, 'flatten')
    .toBytes();
}

let dir: string;
let model: string;
let anySize: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-probe-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  anySize = path.join(dir, 'any-size.onnx');
  await writeFile(anySize, anySizeNet());
});
after(() => rm(dir, { recursive: true, force: true }));

test('nap layers refuses a probe shape over the limit, naming the flags, and takes a raised limit', async () => {
  const huge = await runCli(['layers', model, '--input-shape', '1,1,100000,100000']);
  assert.equal(huge.code, 2, huge.stderr);
  assert.match(
    huge.stderr,
    /^nap layers: the probe input \[1, 1, 100000, 100000\] holds 10,000,000,000 values, more than --max-probe-values 16,777,216\n {2}give a smaller --input-shape, or raise --max-probe-values/,
  );
  const small = await runCli(['layers', model, '--input-shape', '2,1,4,4', '--max-probe-values', '16']);
  assert.equal(small.code, 2);
  assert.match(small.stderr, /holds 32 values, more than --max-probe-values 16/);
  const raised = await runCli(['layers', model, '--input-shape', '2,1,4,4', '--max-probe-values', '32']);
  assert.equal(raised.code, 0, raised.stderr);
  assert.match(raised.stdout, /relu_out/);
});

test('the library names its options, and analyze names --image-size', async () => {
  await assert.rejects(listLayers(model, { probeDims: [1, 1, 4, 4], maxProbeValues: 15 }), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /holds 16 values, more than maxProbeValues 15/);
    assert.match(error.hint ?? '', /give a smaller probeDims, or raise maxProbeValues/);
    return true;
  });
  assert.equal((await listLayers(model, { probeDims: [1, 1, 4, 4], maxProbeValues: 16 })).length > 0, true);
  const cli = await runCli([
    'analyze',
    '--model',
    anySize,
    '--data',
    'mnist',
    '--out',
    path.join(dir, 'r.duckdb'),
    '--image-size',
    '16000,16000',
  ]);
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(cli.stderr, /more than --max-probe-values 16,777,216\n {2}give a smaller --image-size/);
  await assert.rejects(
    analyze({
      model: anySize,
      data: 'mnist',
      out: path.join(dir, 'r2.duckdb'),
      imageSize: { width: 9000, height: 9000 },
    }),
    /give a smaller imageSize/,
  );
});
