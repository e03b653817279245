import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { decodeModel } from '../../../src/io/onnx/graph.js';
import { tensorLayouts } from '../../../src/io/onnx/tensor-layout.js';

test('layouts follow the input until a spatial op or a Transpose changes them', () => {
  const bytes = new OnnxGraphBuilder('tf-style')
    .input('x', ['batch', 4, 4, 2])
    .initializer('w', [3, 2, 1, 1], new Float32Array(6).fill(1))
    .node('Relu', ['x'], ['pre'])
    .node('Transpose', ['pre'], ['to_nchw'], { perm: [0, 3, 1, 2] })
    .node('Conv', ['to_nchw', 'w'], ['conv'])
    .node('Relu', ['conv'], ['conv_relu'])
    .node('Transpose', ['conv_relu'], ['back'], { perm: [0, 2, 3, 1] })
    .node('Flatten', ['back'], ['flat'])
    .output('flat', ['batch', 48])
    .toBytes();
  const layouts = tensorLayouts(decodeModel(bytes, 'test').graph, 'x', 'NHWC');
  assert.equal(layouts.get('pre'), 'NHWC');
  assert.equal(layouts.get('to_nchw'), 'NCHW');
  assert.equal(layouts.get('conv_relu'), 'NCHW');
  assert.equal(layouts.get('back'), 'NHWC');
  assert.equal(layouts.get('flat'), undefined);
});

test('a MatMul token sequence is channels-last even under an NCHW input', () => {
  const bytes = new OnnxGraphBuilder('tokens')
    .input('x', ['batch', 3, 4, 4])
    .initializer('shape', [3], BigInt64Array.from([-1n, 16n, 3n]))
    .initializer('w', [3, 8], new Float32Array(24).fill(1))
    .node('Reshape', ['x', 'shape'], ['tokens'])
    .node('MatMul', ['tokens', 'w'], ['embedded'])
    .node('Relu', ['embedded'], ['act'])
    .output('act', ['batch', 16, 8])
    .toBytes();
  const layouts = tensorLayouts(decodeModel(bytes, 'test').graph, 'x', 'NCHW');
  assert.equal(layouts.get('tokens'), undefined);
  assert.equal(layouts.get('act'), 'NHWC');
});
