import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { decodeModel, singleFloatInput } from '../../../src/io/onnx/graph.js';
import { readModelFile } from '../../../src/io/onnx/session.js';
import type { TfjsModelJson } from '../../../src/io/tfjs/model-json.js';
import { tinyConvNet } from '../../helpers/tiny-models.js';
import { saveLayersModel, tf, useWasmBackend } from './tfjs-reference.js';

let dir: string;
let modelJson: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-tfjs-load-'));
  await useWasmBackend();
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }),
      tf.layers.flatten({ name: 'flat' }),
    ],
  });
  modelJson = await saveLayersModel(model, path.join(dir, 'small'));
});
after(async () => rm(dir, { recursive: true, force: true }));

const inputError = (pattern: RegExp) => (error: unknown) => error instanceof InputError && pattern.test(error.message);

async function writeJson(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

test('readModelFile returns .onnx bytes unchanged and converts a model.json', async () => {
  const onnx = path.join(dir, 'tiny.onnx');
  await writeFile(onnx, tinyConvNet());
  assert.deepEqual(new Uint8Array(await readModelFile(onnx)), tinyConvNet());

  const { model, graph } = decodeModel(await readModelFile(modelJson), modelJson);
  assert.equal(model.opsetImport[0]!.version, 13n);
  assert.deepEqual(singleFloatInput(graph, modelJson), { name: 'conv_input', elemType: 1, dims: ['batch', 5, 5, 1] });
  assert.deepEqual(
    graph.output.map((o) => o.name),
    ['flat'],
  );
  assert.deepEqual(
    await readModelFile(modelJson),
    await readModelFile(modelJson),
    'conversion is deterministic (store runs are keyed by its hash)',
  );
});

test('unreadable model.json files and missing shards are errors that name the file', async () => {
  await assert.rejects(
    readModelFile(path.join(dir, 'absent', 'model.json')),
    inputError(/absent\/model\.json does not exist/),
  );
  await assert.rejects(
    readModelFile(await writeJson('broken.json', '{"modelTopology": ')),
    inputError(/broken\.json is not valid JSON/),
  );
  await assert.rejects(
    readModelFile(await writeJson('labels.json', { labels: ['a', 'b'] })),
    inputError(/labels\.json has no modelTopology/),
  );

  // model.json copied away from its shard.
  const moved = await writeJson('moved.json', await readFile(modelJson, 'utf8'));
  await assert.rejects(readModelFile(moved), inputError(/weight shard .*weights\.bin of .*moved\.json cannot be read/));
});

test('a layer nap cannot convert and a missing weight are errors that name the layer', async () => {
  const json = JSON.parse(await readFile(modelJson, 'utf8')) as { modelTopology: { config: { layers: unknown[] } } };
  const layers = json.modelTopology.config.layers;
  layers[1] = { class_name: 'LSTM', config: { name: 'recurrent', units: 4 } };
  const small = path.dirname(modelJson);
  const lstm = path.join(small, 'lstm.json');
  await writeFile(lstm, JSON.stringify(json));
  await assert.rejects(
    readModelFile(lstm),
    inputError(
      /layer 'recurrent' of .*lstm\.json is a LSTM, which nap cannot convert.*\n.*supported Keras layers: Conv2D, DepthwiseConv2D/,
    ),
  );

  const noKernel = JSON.parse(await readFile(modelJson, 'utf8')) as TfjsModelJson;
  const [group] = noKernel.weightsManifest;
  assert.ok(group, 'a weights group');
  group.weights = group.weights.filter((w) => w.name !== 'conv/kernel');
  const missing = path.join(small, 'missing.json');
  await writeFile(missing, JSON.stringify(noKernel));
  await assert.rejects(
    readModelFile(missing),
    inputError(/weight 'conv\/kernel' of layer 'conv' \(Conv2D\) is missing/),
  );
  await unlink(missing);
});
