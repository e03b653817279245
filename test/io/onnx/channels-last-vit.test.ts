/**
 * A token layer from an NHWC patch embedding, in the shape tf2onnx gives a Keras ViT: the NHWC input is
 * transposed to NCHW for the Conv and back, the NHWC map reshaped to [batch, patches, dim], a class token
 * broadcast and concatenated in front, then LayerNormalization and a Dense (MatMul + Add). The graph is
 * built here (tf2onnx is not in this machine's package mirror, so no real tf2onnx file is committed); it
 * checks that the feature axis, the patch grid and the prefix token are traced through the channels-last path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { listLayersOfBytes } from '../../../src/io/onnx/inspect.js';
import { seededValues } from '../../helpers/tiny-models.js';

const DIM = 4;

function channelsLastVit(): Uint8Array {
  return new OnnxGraphBuilder('keras_vit')
    .input('image', ['batch', 8, 8, 1])
    .output('dense_out', ['batch', 5, DIM])
    .initializer('patch_w', [DIM, 1, 4, 4], seededValues(DIM * 16, 3))
    .initializer('patch_b', [DIM], seededValues(DIM, 4))
    .initializer('patch_shape', [3], new BigInt64Array([-1n, 4n, BigInt(DIM)]))
    .initializer('cls', [1, 1, DIM], seededValues(DIM, 5))
    .initializer('zero_index', [], new BigInt64Array([0n]))
    .initializer('axes0', [1], new BigInt64Array([0n]))
    .initializer('one_one', [2], new BigInt64Array([1n, 1n]))
    .initializer('pos', [1, 5, DIM], seededValues(5 * DIM, 6))
    .initializer('ln_scale', [DIM], new Float32Array(DIM).fill(1))
    .initializer('ln_bias', [DIM], new Float32Array(DIM))
    .initializer('dense_w', [DIM, DIM], seededValues(DIM * DIM, 7))
    .initializer('dense_b', [DIM], seededValues(DIM, 8))
    .node('Transpose', ['image'], ['image_nchw'], { perm: [0, 3, 1, 2] })
    .node('Conv', ['image_nchw', 'patch_w', 'patch_b'], ['patches_nchw'], { kernel_shape: [4, 4], strides: [4, 4] })
    .node('Transpose', ['patches_nchw'], ['patches_nhwc'], { perm: [0, 2, 3, 1] })
    .node('Reshape', ['patches_nhwc', 'patch_shape'], ['patch_tokens'])
    .node('Shape', ['image'], ['image_shape'])
    .node('Gather', ['image_shape', 'zero_index'], ['batch_size'], { axis: 0 })
    .node('Unsqueeze', ['batch_size', 'axes0'], ['batch_1d'])
    .node('Concat', ['batch_1d', 'one_one'], ['cls_shape'], { axis: 0 })
    .node('Expand', ['cls', 'cls_shape'], ['cls_tokens'])
    .node('Concat', ['cls_tokens', 'patch_tokens'], ['tokens'], { axis: 1 })
    .node('Add', ['tokens', 'pos'], ['embedded'])
    .node('LayerNormalization', ['embedded', 'ln_scale', 'ln_bias'], ['normed'], { axis: -1 })
    .node('MatMul', ['normed', 'dense_w'], ['dense_mm'])
    .node('Add', ['dense_mm', 'dense_b'], ['dense_out'])
    .toBytes(17);
}

test('an NHWC patch embedding (tf2onnx-style Keras ViT) gives token layers with their patch grid and class token', async () => {
  const layers = await listLayersOfBytes(channelsLastVit(), 'keras-vit.onnx', { threads: 1 });
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const layoutOf = (name: string) => {
    const layer = byName.get(name);
    assert.ok(layer, `layer ${name} is listed`);
    return {
      layout: layer.layout,
      order: layer.order,
      tokens: layer.tokens,
      prefixTokens: layer.prefixTokens,
      units: layer.units,
      grid: layer.grid,
    };
  };
  const tokens = (count: number, prefix: number) => ({
    layout: 'tokens',
    order: 'channels-last',
    tokens: count,
    prefixTokens: prefix,
    units: DIM,
    grid: { height: 2, width: 2 },
  });
  assert.equal(layoutOf('patches_nhwc').layout, 'spatial');
  assert.equal(layoutOf('patches_nhwc').order, 'channels-last');
  assert.deepEqual(layoutOf('patch_tokens'), tokens(4, 0));
  for (const name of ['embedded', 'normed', 'dense_out']) assert.deepEqual(layoutOf(name), tokens(5, 1), name);
});
