/**
 * The example in docs/pytorch-export.md, checked without PyTorch (not installable here): the graph below
 * has the structure, names and attributes that torch.onnx.export (TorchScript exporter, opset 17,
 * eval mode) writes for the doc's SmallCnn — BatchNorm folded into the first Conv, node outputs named
 * `/<module path>/<Op>_output_0`, the batch axis dynamic through dynamic_axes. nap must list those layers
 * and analyze the model as is.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../../src/engine/analyze.js';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { listLayers } from '../../../src/io/onnx/inspect.js';
import { openOnnxModel } from '../../../src/io/onnx/runner.js';
import { NapStore } from '../../../src/io/store/index.js';

const RELU1 = '/layer1/layer1.2/Relu_output_0';
const POOL1 = '/layer1/layer1.3/MaxPool_output_0';
const RELU2 = '/layer2/layer2.1/Relu_output_0';
const GAP = '/layer2/layer2.2/GlobalAveragePool_output_0';

function seeded(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 16807) % 2147483647;
    return (state / 2147483647 - 0.5) * 0.6;
  });
}

/** What torch.onnx.export(SmallCnn().eval(), x, ..., input_names=['input'], output_names=['logits'], dynamic_axes=...) writes. */
function smallCnnAsExported(dynamicBatch: boolean): Uint8Array {
  const batch = dynamicBatch ? 'batch' : 1;
  return (
    new OnnxGraphBuilder('main_graph')
      .input('input', [batch, 1, 28, 28])
      .output('logits', [batch, 10])
      // Folding BatchNorm2d into the Conv gives the exporter's anonymous 'onnx::Conv_*' initializers.
      .initializer('onnx::Conv_23', [8, 1, 3, 3], seeded(72, 1))
      .initializer('onnx::Conv_24', [8], seeded(8, 2))
      .initializer('layer2.0.weight', [16, 8, 3, 3], seeded(1152, 3))
      .initializer('layer2.0.bias', [16], seeded(16, 4))
      .initializer('fc.weight', [10, 16], seeded(160, 5))
      .initializer('fc.bias', [10], seeded(10, 6))
      .node(
        'Conv',
        ['input', 'onnx::Conv_23', 'onnx::Conv_24'],
        ['/layer1/layer1.0/Conv_output_0'],
        { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
        '/layer1/layer1.0/Conv',
      )
      .node('Relu', ['/layer1/layer1.0/Conv_output_0'], [RELU1], {}, '/layer1/layer1.2/Relu')
      .node(
        'MaxPool',
        [RELU1],
        [POOL1],
        { ceil_mode: 0, dilations: [1, 1], kernel_shape: [2, 2], pads: [0, 0, 0, 0], strides: [2, 2] },
        '/layer1/layer1.3/MaxPool',
      )
      .node(
        'Conv',
        [POOL1, 'layer2.0.weight', 'layer2.0.bias'],
        ['/layer2/layer2.0/Conv_output_0'],
        { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
        '/layer2/layer2.0/Conv',
      )
      .node('Relu', ['/layer2/layer2.0/Conv_output_0'], [RELU2], {}, '/layer2/layer2.1/Relu')
      .node('GlobalAveragePool', [RELU2], [GAP], {}, '/layer2/layer2.2/GlobalAveragePool')
      .node('Flatten', [GAP], ['/Flatten_output_0'], { axis: 1 }, '/Flatten')
      .node(
        'Gemm',
        ['/Flatten_output_0', 'fc.weight', 'fc.bias'],
        ['logits'],
        { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 },
        '/fc/Gemm',
      )
      .toBytes(17)
  );
}

let dir: string;
let dynamicModel: string;
let fixedModel: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-pytorch-'));
  dynamicModel = path.join(dir, 'small_cnn.onnx');
  fixedModel = path.join(dir, 'small_cnn_fixed.onnx');
  await writeFile(dynamicModel, smallCnnAsExported(true));
  await writeFile(fixedModel, smallCnnAsExported(false));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('nap layers lists the exported module paths, with activations, pools and logits as defaults', async () => {
  const layers = await listLayers(dynamicModel, { threads: 1 });
  assert.deepEqual(
    layers.map((l) => [l.name, l.opType, l.dims, l.isDefault]),
    [
      ['/layer1/layer1.0/Conv_output_0', 'Conv', [1, 8, 28, 28], false],
      [RELU1, 'Relu', [1, 8, 28, 28], true],
      [POOL1, 'MaxPool', [1, 8, 14, 14], true],
      ['/layer2/layer2.0/Conv_output_0', 'Conv', [1, 16, 14, 14], false],
      [RELU2, 'Relu', [1, 16, 14, 14], true],
      [GAP, 'GlobalAveragePool', [1, 16, 1, 1], true],
      ['/Flatten_output_0', 'Flatten', [1, 16], false],
      ['logits', 'Gemm', [1, 10], true],
    ],
  );
});

test('a dynamic batch runs in one call; a fixed batch of 1 gives the same activations item by item', async () => {
  const batch = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => (i % 29) / 29);
  const dynamic = await openOnnxModel(dynamicModel, { layers: [GAP], threads: 1 });
  const fixed = await openOnnxModel(fixedModel, { layers: [GAP], threads: 1 });
  try {
    const a = await dynamic.run(batch, [3, 1, 28, 28]);
    const b = await fixed.run(batch, [3, 1, 28, 28]);
    assert.deepEqual(a.layers[0]!.dims, [3, 16, 1, 1]);
    assert.deepEqual(a.layers[0]!.data, b.layers[0]!.data);
    assert.deepEqual(a.output.data, b.output.data);
    assert.ok(
      a.output.data.some((v) => v !== a.output.data[0]),
      'the logits vary',
    );
  } finally {
    await dynamic.close();
    await fixed.close();
  }
});

test('nap analyze runs the exported model on MNIST with its default layers', async () => {
  const out = path.join(dir, 'small_cnn.duckdb');
  const result = await analyze({ model: dynamicModel, data: 'mnist', out, limit: 120, threads: 1 });
  assert.deepEqual(
    result.layers.map((l) => l.layer),
    [RELU1, POOL1, RELU2, GAP, 'logits'],
  );
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const stored = await store.readActivations(result.runId, GAP);
    assert.equal(stored.matrix.count, 120);
    assert.equal(stored.matrix.dim, 16);
    for (const summary of result.layers)
      assert.equal((await store.readMemberships(summary.clusteringId)).inputIndex.length, 120);
  } finally {
    await store.close();
  }
});
