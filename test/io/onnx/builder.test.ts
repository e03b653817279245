import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { InputError } from '../../../src/errors.js';

test('builder writes inputs, initializers, nodes and attributes that decode back', () => {
  const bytes = new OnnxGraphBuilder('g')
    .input('x', ['batch', 3])
    .output('y', ['batch', 3])
    .initializer('w', [3], new Float32Array([1, 2, 3]))
    .initializer('shape', [2], new BigInt64Array([-1n, 3n]))
    .node(
      'Mul',
      ['x', 'w'],
      ['y'],
      { i: 2, ints: [1, 2], s: 'text', f: { float: 0.5 }, fs: { floats: [0.25, 4] } },
      'mul',
    )
    .toBytes(15);
  const model = fromBinary(ModelProtoSchema, bytes);
  assert.equal(model.opsetImport[0]?.version, 15n);
  const graph = model.graph!;
  assert.equal(graph.name, 'g');
  const type = graph.input[0]?.type?.value;
  assert.ok(type?.case === 'tensorType', `input type ${type?.case}`);
  assert.equal(type.value.elemType, TensorProto_DataType.FLOAT);
  assert.deepEqual(
    type.value.shape!.dim.map((d) => d.value.value),
    ['batch', 3n],
  );
  const [weights, shape] = graph.initializer;
  assert.ok(weights && shape, `${graph.initializer.length} initializers`);
  assert.equal(weights.dataType, TensorProto_DataType.FLOAT);
  assert.deepEqual(Array.from(new Float32Array(weights.rawData.slice().buffer)), [1, 2, 3]);
  assert.equal(shape.dataType, TensorProto_DataType.INT64);
  assert.deepEqual(Array.from(new BigInt64Array(shape.rawData.slice().buffer)), [-1n, 3n]);
  const [node] = graph.node;
  assert.ok(node, 'a node');
  assert.equal(node.name, 'mul');
  const [i, ints, s, f, fs] = node.attribute;
  assert.ok(i && ints && s && f && fs, `${node.attribute.length} attributes`);
  assert.deepEqual([i.type, i.i], [AttributeProto_AttributeType.INT, 2n]);
  assert.deepEqual([ints.type, ints.ints], [AttributeProto_AttributeType.INTS, [1n, 2n]]);
  assert.deepEqual([s.type, new TextDecoder().decode(s.s)], [AttributeProto_AttributeType.STRING, 'text']);
  assert.deepEqual([f.type, f.f], [AttributeProto_AttributeType.FLOAT, 0.5]);
  assert.deepEqual([fs.type, fs.floats], [AttributeProto_AttributeType.FLOATS, [0.25, 4]]);
});

test('builder defaults to opset 13 and names unnamed nodes by op and position', () => {
  const model = fromBinary(
    ModelProtoSchema,
    new OnnxGraphBuilder('g').input('x', [1]).output('y', [1]).node('Relu', ['x'], ['y']).toBytes(),
  );
  assert.equal(model.opsetImport[0]?.version, 13n);
  assert.equal(model.graph?.node[0]?.name, 'Relu_0');
});

test('onnxruntime runs a built Gemm + Reshape model with the expected values', async () => {
  const bytes = new OnnxGraphBuilder('gemm')
    .input('x', ['batch', 2])
    .output('y', ['batch', 3, 1])
    .initializer('w', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))
    .initializer('b', [3], new Float32Array([0, 0, 1]))
    .initializer('shape', [3], new BigInt64Array([-1n, 3n, 1n]))
    .node('Gemm', ['x', 'w', 'b'], ['g'], { alpha: { float: 2 } })
    .node('Reshape', ['g', 'shape'], ['y'])
    .toBytes();
  const session = await ort.InferenceSession.create(bytes);
  const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, -1, 0]), [2, 2]) });
  assert.ok(y, 'output y');
  assert.deepEqual(y.dims, [2, 3, 1]);
  // 2 * x·w + b: [1,1] -> [10,14,19]; [-1,0] -> [-2,-4,-5]
  assert.deepEqual(Array.from(y.data as Float32Array), [10, 14, 19, -2, -4, -5]);
  await session.release();
});

test('builder rejects initializer data of the wrong length and fractional INT attributes', () => {
  const builder = new OnnxGraphBuilder('g');
  assert.throws(
    () => builder.initializer('w', [2, 3], new Float32Array(5)),
    (e: unknown) => {
      return e instanceof InputError && /'w' has 5 values but dims \[2, 3\] need 6/.test(e.message);
    },
  );
  assert.throws(
    () => builder.node('LeakyRelu', ['x'], ['y'], { alpha: 0.1 }),
    /alpha.*0\.1.*not an integer[\s\S]*float/,
  );
  assert.throws(() => builder.node('Op', ['x'], ['y'], { list: [1, 1.5] }), /list.*1\.5[\s\S]*floats/);
});
