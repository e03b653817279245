import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import {
  candidateLayers,
  closeMatches,
  decodeModel,
  editDistance,
  resolveLayers,
  withExtraOutputs,
} from '../../../src/io/onnx/graph.js';
import { InputError } from '../../../src/errors.js';
import { shapeOpsModel, tinyConvNet, TINY } from '../../helpers/tiny-models.js';

const graphOf = (bytes: Uint8Array) => decodeModel(bytes, 'test model').graph;
const namesOf = (bytes: Uint8Array) => candidateLayers(graphOf(bytes)).map((c) => c.name);

test('candidate layers are the float node outputs, in graph order, with node name and op', () => {
  const layers = candidateLayers(graphOf(tinyConvNet()));
  assert.deepEqual(
    layers.map((l) => [l.name, l.nodeName, l.opType]),
    [
      [TINY.conv, 'conv', 'Conv'],
      [TINY.relu, 'relu', 'Relu'],
      [TINY.pool, 'pool', 'MaxPool'],
      [TINY.flat, 'flatten', 'Flatten'],
      [TINY.logits, 'dense', 'Gemm'],
      [TINY.probs, 'softmax', 'Softmax'],
    ],
  );
  assert.deepEqual(namesOf(tinyConvNet({ layout: 'NHWC' }))[0], TINY.nchw);
});

test('shape chains, int64 reshape targets and constants are not layers', () => {
  assert.deepEqual(namesOf(shapeOpsModel()), ['flat', 'matmul_out', 'bias_out', 'out']);
});

test('constant-only subgraphs, initializers listed as inputs and pooling indices are not layers', () => {
  const bytes = new OnnxGraphBuilder('g')
    .input('x', ['batch', 1, 4, 4])
    .input('w', [1]) // an old-style model lists its initializers among the inputs too
    .output('y', ['batch', 1, 2, 2])
    .initializer('w', [1], new Float32Array([2]))
    .node('Constant', [], ['c'], { value_float: { float: 3 } })
    .node('Mul', ['w', 'c'], ['w_scaled']) // folds to a constant: not computed from x
    .node('Mul', ['x', 'w_scaled'], ['scaled'])
    .node('MaxPool', ['scaled'], ['y', 'indices'], { kernel_shape: [2, 2], strides: [2, 2] })
    .toBytes();
  assert.deepEqual(namesOf(bytes), ['scaled', 'y']);
});

test('withExtraOutputs adds the layers as graph outputs once, leaving the given bytes untouched', async () => {
  const original = tinyConvNet();
  const copy = original.slice();
  const derived = withExtraOutputs(original, [TINY.relu, TINY.probs, TINY.pool, TINY.relu]);
  assert.deepEqual(original, copy);
  const outputs = fromBinary(ModelProtoSchema, derived).graph!.output.map((o) => o.name);
  assert.deepEqual(outputs, [TINY.probs, TINY.relu, TINY.pool]);
  const session = await ort.InferenceSession.create(derived);
  assert.deepEqual([...session.outputNames], outputs);
  await session.release();
});

test('a model decoded once gives every derived model without being changed by it', () => {
  const bytes = tinyConvNet();
  const model = decodeModel(bytes, 'tiny');
  const before = { outputs: model.graph.output.length, nodes: model.graph.node.length };
  const probe = withExtraOutputs(model, namesOf(bytes), 'tiny');
  const runner = withExtraOutputs(model, [TINY.relu], 'tiny', [TINY.relu]);
  assert.deepEqual(
    { outputs: model.graph.output.length, nodes: model.graph.node.length },
    before,
    'the decoded model is shared by the probe and the runner: deriving one must not change it for the other',
  );
  assert.deepEqual(probe, withExtraOutputs(bytes, namesOf(bytes), 'tiny'), 'the same model as from the bytes');
  assert.deepEqual(runner, withExtraOutputs(bytes, [TINY.relu], 'tiny', [TINY.relu]));
});

test('an unknown layer is an InputError listing close matches and how to list layers', () => {
  const graph = graphOf(tinyConvNet());
  const rejects = (name: string, pattern: RegExp) =>
    assert.throws(
      () => resolveLayers(graph, [TINY.relu, name]),
      (e: unknown) => e instanceof InputError && pattern.test(e.message),
    );
  rejects('relu_ot', /layer 'relu_ot' is not in the model[\s\S]*close matches: relu_out[\s\S]*nap layers/);
  rejects('POOL', /close matches: pool_out/);
  rejects('zzzzzzzzzzzz', /^(?![\s\S]*close matches)[\s\S]*List the model's 6 layers/);
  assert.throws(() => withExtraOutputs(tinyConvNet(), ['conv']), /close matches: conv_out/);
});

test('a non-float node output is refused as such, not as missing', () => {
  assert.throws(() => resolveLayers(graphOf(shapeOpsModel()), ['x_shape']), /'x_shape' is not a float activation/);
});

test('resolveLayers returns the layers in the order asked', () => {
  const layers = resolveLayers(graphOf(tinyConvNet()), [TINY.logits, TINY.conv]);
  assert.deepEqual(
    layers.map((l) => [l.name, l.nodeIndex]),
    [
      [TINY.logits, 4],
      [TINY.conv, 0],
    ],
  );
});

test('editDistance matches known Levenshtein distances and is symmetric', () => {
  const cases: [string, string, number][] = [
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['', 'abc', 3],
    ['abc', 'abc', 0],
    ['relu_1', 'relu_10', 1],
  ];
  for (const [a, b, d] of cases) {
    assert.equal(editDistance(a, b), d, `${a} vs ${b}`);
    assert.equal(editDistance(b, a), d, `${b} vs ${a}`);
  }
});

test('closeMatches ranks by edit distance, includes substrings, and caps the list', () => {
  const names = ['relu_1', 'relu_2', 'relu_10', 'conv_1', 'block3/relu_out', 'pool'];
  assert.deepEqual(closeMatches('relu_1', names, 3), ['relu_1', 'relu_10', 'relu_2']);
  assert.ok(closeMatches('relu_out', names).includes('block3/relu_out'));
  assert.deepEqual(closeMatches('dense', names), []);
});

test('bytes that are not an ONNX model give an InputError naming the source', () => {
  const notOnnx = (bytes: Uint8Array) =>
    assert.throws(
      () => decodeModel(bytes, 'bad.onnx'),
      (e: unknown) => e instanceof InputError && /bad\.onnx is not a readable ONNX model/.test(e.message),
    );
  notOnnx(new Uint8Array(0));
  notOnnx(new TextEncoder().encode('hello, this is a text file and not a model'));
  notOnnx(tinyConvNet().subarray(0, 100)); // truncated
  notOnnx(new Uint8Array(256).map((_, i) => (i * 97 + 13) % 256));
});
