import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openMnistPackage } from '../../../src/io/datasets/mnist-package.js';
import { listLayers, type LayerInfo } from '../../../src/io/onnx/inspect.js';
import { openOnnxModel } from '../../../src/io/onnx/runner.js';

// One tiny DeiT-like ViT (CLS + distillation token, 4x4 patches, 2 blocks, width 16), exported by torch.onnx's
// older TorchScript exporter and by its dynamo exporter: scripts/train/vit/make_fixtures.py.
const EXPORTS = {
  torchscript: 'test/fixtures/vit/tiny-deit.torchscript.onnx',
  dynamo: 'test/fixtures/vit/tiny-deit.dynamo.onnx',
};
const reference = JSON.parse(readFileSync('test/fixtures/vit/tiny-deit.reference.json', 'utf8')) as {
  heldOutRows: number[];
  logits: number[][];
  blockOutputs: number[][][][];
};

const layoutOf = (layer: LayerInfo) => ({
  layout: layer.layout,
  order: layer.order,
  tokens: layer.tokens,
  prefixTokens: layer.prefixTokens,
  units: layer.units,
  grid: layer.grid,
  source: layer.source,
});

test('both PyTorch exporters give the same token layouts, blocks and default layers', async () => {
  const [older, dynamo] = await Promise.all([
    listLayers(EXPORTS.torchscript, { threads: 1 }),
    listLayers(EXPORTS.dynamo, { threads: 1 }),
  ]);
  for (const layers of [older, dynamo]) {
    const outputs = layers.filter((layer) => layer.block?.isOutput);
    assert.deepEqual(
      outputs.map((layer) => layer.block!.name),
      ['blocks.0', 'blocks.1'],
    );
    for (const layer of outputs) {
      assert.deepEqual(layoutOf(layer), {
        layout: 'tokens',
        order: 'channels-last',
        tokens: 18,
        prefixTokens: 2,
        units: 16,
        grid: { height: 4, width: 4 },
        source: 'graph',
      });
    }
  }
  const defaults = (layers: LayerInfo[]) => layers.filter((layer) => layer.isDefault);
  assert.equal(defaults(older).length, 6);
  assert.deepEqual(defaults(older).map(layoutOf), defaults(dynamo).map(layoutOf));
  assert.deepEqual(
    defaults(older).map((layer) => layer.block?.name ?? null),
    [null, 'blocks.0', 'blocks.0', 'blocks.1', 'blocks.1', null],
  );
  // Every token tensor of the residual stream is a token layer in both files, whatever ops made it.
  for (const layers of [older, dynamo]) {
    const stream = layers.filter((layer) => layer.dims.join() === '1,18,16');
    assert.ok(stream.length >= 20);
    assert.ok(stream.every((layer) => layer.layout === 'tokens' && layer.source === 'graph'));
  }
});

test('--prefix-tokens and a per-layer --layout override what the graph says', async () => {
  const layers = await listLayers(EXPORTS.dynamo, { threads: 1, prefixTokens: 1 });
  const block = layers.find((layer) => layer.block?.isOutput)!;
  assert.equal(block.prefixTokens, 1);
  assert.equal(block.grid, null); // 17 patch tokens do not fill the 4 x 4 grid
  const forced = await listLayers(EXPORTS.dynamo, { threads: 1, layouts: { [block.name]: 'flat' } });
  const flat = forced.find((layer) => layer.name === block.name)!;
  assert.deepEqual([flat.layout, flat.units, flat.source], ['flat', 18 * 16, 'override']);
  await assert.rejects(
    listLayers(EXPORTS.dynamo, { layouts: { nope: 'tokens' } }),
    /layer 'nope', which is not a layer/,
  );
});

test('onnxruntime runs both files to the PyTorch reference: logits and every block output', async () => {
  const mnist = await openMnistPackage();
  // The fixture's held-out digits: row r is digit r's (count - 200)-th sample (scripts/train/vit/tiny_vit.py).
  const items = reference.heldOutRows.map((row) => {
    const ofDigit = mnist.items.filter((item) => item.label === String(row));
    return ofDigit[ofDigit.length - 200]!.index;
  });
  const batch = await mnist.load(items, { width: 28, height: 28, channels: 1, layout: 'NCHW' });
  for (const file of Object.values(EXPORTS)) {
    const blocks = (await listLayers(file, { threads: 1 })).filter((layer) => layer.block?.isOutput);
    const runner = await openOnnxModel(file, { layers: blocks.map((layer) => layer.name), threads: 1 });
    try {
      const { layers, output } = await runner.run(batch.data, batch.dims);
      assertClose(output.data, reference.logits.flat(), 1e-4, `${file} logits`);
      layers.forEach((layer, b) =>
        assertClose(layer.data, reference.blockOutputs[b]!.flat(2), 1e-4, `${file} block ${b}`),
      );
    } finally {
      await runner.close();
    }
  }
});

function assertClose(actual: Float32Array, expected: number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst < tolerance, `${what}: max difference ${worst}`);
}
