import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { listLayersOfBytes } from '../../../src/io/onnx/inspect.js';
import { openOnnxBytes } from '../../../src/io/onnx/runner.js';
import { convertTfjsModelFile } from '../../../src/io/tfjs/load.js';
import { GraphDef, ints, nhwc, text } from './graph-def.js';
import { loadGraphModel, maxAbsDiff, predictGraph } from './tfjs-reference.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-graph-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('a GraphModel with unfused TF ops matches tfjs, NHWC reshapes and reductions included', async () => {
  const g = new GraphDef();
  const input = g.placeholder('image', [-1, 6, 6, 3]);
  const scaled = g.op('scaled', 'Mul', [input, g.constant('two', [], [2])]);
  const centred = g.op('centred', 'Sub', [scaled, g.constant('mean', [3])]);
  const conv = g.op('conv', 'Conv2D', [centred, g.constant('w1', [3, 3, 3, 4])], {
    strides: ints(1, 1, 1, 1),
    padding: text('SAME'),
    data_format: nhwc,
    dilations: ints(1, 1, 1, 1),
  });
  const biased = g.op('biased', 'BiasAdd', [conv, g.constant('b1', [4])], { data_format: nhwc });
  const variance = g.constant('bn_var', [4], [0.5, 1, 1.5, 2]);
  const bn = g.op(
    'bn',
    'FusedBatchNormV3',
    [biased, g.constant('bn_scale', [4]), g.constant('bn_offset', [4]), g.constant('bn_mean', [4]), variance],
    { epsilon: { f: 0.001 }, data_format: nhwc },
  );
  const relu6 = g.op('relu6', 'Relu6', [bn]);
  const padded = g.op('padded', 'Pad', [relu6, g.constant('pads', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0], 'int32')]);
  const pooled = g.op('pooled', 'MaxPool', [padded], {
    ksize: ints(1, 3, 3, 1),
    strides: ints(1, 2, 2, 1),
    padding: text('SAME'),
    data_format: nhwc,
  });
  const depthwise = g.op('depthwise', 'DepthwiseConv2dNative', [pooled, g.constant('dw', [3, 3, 4, 2])], {
    strides: ints(1, 1, 1, 1),
    padding: text('VALID'),
    data_format: nhwc,
    dilations: ints(1, 1, 1, 1),
  });
  const averaged = g.op('averaged', 'AvgPool', [pooled], {
    ksize: ints(1, 3, 3, 1),
    strides: ints(1, 1, 1, 1),
    padding: text('VALID'),
    data_format: nhwc,
  });
  const joined = g.op('joined', 'ConcatV2', [depthwise, averaged, g.constant('axis', [], [3], 'int32')], {
    N: { i: '2' },
  });
  const flat = g.op('flat', 'Reshape', [joined, g.constant('flat_shape', [2], [-1, 48], 'int32')]);
  const logits = g.op('logits', 'BiasAdd', [
    g.op('mm', 'MatMul', [flat, g.constant('w2', [48, 5])]),
    g.constant('b2', [5]),
  ]);
  const spatialMean = g.op('spatial_mean', 'Mean', [joined, g.constant('hw', [2], [1, 2], 'int32')], {
    keep_dims: { b: true },
  });
  const squeezed = g.op('squeezed', 'Squeeze', [spatialMean], { squeeze_dims: ints(1, 2) });
  const halved = g.op('halved', 'RealDiv', [
    g.op('mm2', 'MatMul', [squeezed, g.constant('w3', [12, 5])]),
    g.constant('half', [5], [2, 2, 2, 2, 2]),
  ]);
  g.op('probs', 'Softmax', [g.op('sum', 'AddV2', [logits, halved])]);
  const file = await g.write(path.join(dir, 'unfused'));

  const bytes = await convertTfjsModelFile(file);
  const listed = await listLayersOfBytes(bytes, file, { threads: 1 });
  assert.deepEqual(listed.find((l) => l.name === 'joined')!.dims, [1, 12, 2, 2]);
  assert.deepEqual(listed.find((l) => l.name === 'flat')!.dims, [1, 48]);

  const batch = Float32Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i * 0.37));
  const runner = await openOnnxBytes(bytes, file, { layers: [], threads: 1 });
  try {
    const got = (await runner.run(batch, [2, 6, 6, 3])).output.data;
    const model = await loadGraphModel(file);
    const expected = await predictGraph(model, batch, [2, 6, 6, 3]);
    model.dispose();
    assert.equal(got.length, 10);
    assert.ok(maxAbsDiff(got, expected) <= 1e-5, `max abs diff ${maxAbsDiff(got, expected)}`);
  } finally {
    await runner.close();
  }
});

test('an unsupported GraphModel op is an error that names the node and the op', async () => {
  const g = new GraphDef();
  const input = g.placeholder('x', [-1, 4]);
  g.op('cumulative', 'Cumsum', [input, g.constant('axis', [], [1], 'int32')]);
  const file = await g.write(path.join(dir, 'unsupported'));
  await assert.rejects(
    convertTfjsModelFile(file),
    (error: unknown) =>
      error instanceof InputError &&
      /node 'cumulative' \(Cumsum\)/.test(error.message) &&
      /supported ops: .*FusedBatchNormV3/.test(error.message),
  );
});
