/**
 * The committed built-in models (models/*.onnx + .json): declared interface, named intermediate
 * tensors, and accuracy through onnxruntime-node on the first 500 held-out images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType, TypeProto_TensorSchema, TypeProtoSchema, ValueInfoProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { fashionMnistAvailable, FASHION_MNIST_DIR, FASHION_MNIST_LABELS, loadFashionMnistTest } from '../../scripts/train/fashion-mnist.js';
import { firstImages, type LabeledImages } from '../../scripts/train/labeled-images.js';
import { loadMnistDigits } from '../../scripts/train/mnist-digits.js';
import { onnxProbabilities } from '../../scripts/train/onnx-inference.js';

const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

interface BuiltInModel {
  name: string;
  /** Intermediate tensors and their shapes for a batch of n. */
  tensors: Record<string, (n: number) => number[]>;
  requiredAccuracyOn500: number;
  /** The bar the build script enforces on the whole evaluation set, as recorded in the metadata. */
  requiredEvalAccuracy: number;
  heldOut: () => LabeledImages;
  skip: string | false;
}

const MODELS: BuiltInModel[] = [
  {
    name: 'mnist-cnn',
    tensors: {
      conv1: (n) => [n, 32, 26, 26], pool1: (n) => [n, 32, 13, 13], conv2: (n) => [n, 64, 11, 11],
      pool2: (n) => [n, 64, 5, 5], flatten: (n) => [n, 1600], logits: (n) => [n, 10],
    },
    requiredAccuracyOn500: 0.96,
    requiredEvalAccuracy: 0.97,
    heldOut: () => loadMnistDigits().heldOut,
    skip: false,
  },
  {
    name: 'fashion-mnist-cnn',
    tensors: {
      conv1: (n) => [n, 32, 26, 26], pool1: (n) => [n, 32, 13, 13], conv2: (n) => [n, 64, 11, 11],
      pool2: (n) => [n, 64, 5, 5], conv3: (n) => [n, 64, 3, 3], flatten: (n) => [n, 576],
      dense: (n) => [n, 64], logits: (n) => [n, 10],
    },
    requiredAccuracyOn500: 0.9,
    requiredEvalAccuracy: 0.91,
    heldOut: () => loadFashionMnistTest(),
    skip: fashionMnistAvailable() ? false : `Fashion-MNIST IDX files are not in ${FASHION_MNIST_DIR}; install them to check this model's accuracy`,
  },
];

function modelBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${MODELS_DIR}${name}.onnx`));
}

/** The same model with the named intermediate tensors added as graph outputs, so onnxruntime returns them. */
function exposeTensors(bytes: Uint8Array, names: string[]): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  for (const name of names) {
    model.graph!.output.push(create(ValueInfoProtoSchema, {
      name,
      type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) } }),
    }));
  }
  return toBinary(ModelProtoSchema, model);
}

for (const model of MODELS) {
  test(`${model.name}: files exist, ONNX is under 1 MiB, metadata is complete`, () => {
    assert.ok(statSync(`${MODELS_DIR}${model.name}.onnx`).size < 1024 * 1024);
    const metadata = JSON.parse(readFileSync(`${MODELS_DIR}${model.name}.json`, 'utf8')) as Record<string, unknown>;
    for (const key of ['seed', 'architecture', 'trainSamples', 'evalSamples', 'accuracy', 'epochs', 'trainedWith', 'date', 'inputPreprocessing', 'labels']) {
      assert.ok(key in metadata, `metadata lacks '${key}'`);
    }
    assert.equal((metadata['labels'] as unknown[]).length, 10);
    if (model.name === 'fashion-mnist-cnn') assert.deepEqual(metadata['labels'], [...FASHION_MNIST_LABELS]);
    assert.ok(typeof metadata['accuracy'] === 'number' && metadata['accuracy'] >= model.requiredEvalAccuracy, `recorded accuracy ${String(metadata['accuracy'])}`);
  });

  test(`${model.name}: opset 13, input 'input' [batch, 1, 28, 28], output 'probabilities', named layer outputs`, async () => {
    const bytes = modelBytes(model.name);
    const proto = fromBinary(ModelProtoSchema, bytes);
    assert.deepEqual(proto.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 13]]);
    const nodeOutputs = new Set(proto.graph!.node.flatMap((node) => node.output));
    for (const name of Object.keys(model.tensors)) assert.ok(nodeOutputs.has(name), `no node outputs '${name}'`);

    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual(session.inputNames, ['input']);
    assert.deepEqual(session.outputNames, ['probabilities']);
    const input = session.inputMetadata[0]!;
    assert.ok(input.isTensor);
    assert.deepEqual(input.shape, ['batch', 1, 28, 28]);
    await session.release();
  });

  test(`${model.name}: intermediate tensors have the expected NCHW shapes; ReLU outputs are non-negative`, async () => {
    const names = Object.keys(model.tensors);
    const session = await ort.InferenceSession.create(exposeTensors(modelBytes(model.name), names));
    const n = 3;
    const pixels = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 256) / 255);
    const result = await session.run({ input: new ort.Tensor('float32', pixels, [n, 1, 28, 28]) });
    for (const name of names) {
      assert.deepEqual(result[name]!.dims, model.tensors[name]!(n), `shape of '${name}'`);
    }
    for (const name of ['conv1', 'conv2', 'conv3', 'dense'].filter((t) => t in model.tensors)) {
      assert.ok((result[name]!.data as Float32Array).every((v) => v >= 0), `'${name}' should be post-ReLU`);
    }
    await session.release();
  });

  test(`${model.name}: accuracy on the first 500 held-out images >= ${model.requiredAccuracyOn500 * 100}%`, { skip: model.skip }, async () => {
    const images = firstImages(model.heldOut(), 500);
    const session = await ort.InferenceSession.create(modelBytes(model.name));
    const probabilities = await onnxProbabilities(session, images.pixels, images.count, 28);
    await session.release();
    let correct = 0;
    for (let i = 0; i < images.count; i++) {
      const row = probabilities.subarray(i * 10, i * 10 + 10);
      const sum = row.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities of image ${i} sum to ${sum}`);
      if (row.indexOf(Math.max(...row)) === images.labels[i]) correct++;
    }
    const accuracy = correct / images.count;
    assert.ok(accuracy >= model.requiredAccuracyOn500, `accuracy ${accuracy}`);
  });
}
