/**
 * A BERT encoder made by the transformers library (random weights, 2 layers, width 16; exported by
 * torch.onnx's older exporter, scripts/train/vit/make_fixtures.py): its blocks are named by their module
 * path, onnxruntime reproduces PyTorch's last hidden state from the three integer inputs, and nap analyze
 * feeds all three from a text column and the WordPiece tokenizer.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../src/engine/analyze.js';
import { listLayers } from '../../src/io/onnx/inspect.js';
import { openOnnxModel } from '../../src/io/onnx/runner.js';
import { NapStore } from '../../src/io/store/index.js';

const BERT = 'test/fixtures/text/tiny-bert.onnx';
const INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
const reference = JSON.parse(readFileSync('test/fixtures/text/tiny-bert.reference.json', 'utf8')) as Record<
  (typeof INPUTS)[number],
  number[][]
> & { lastHiddenState: number[][][] };

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-bert-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('the blocks of a transformers BERT are named by their module path and end at the post-norm', async () => {
  const layers = await listLayers(BERT, { threads: 1 });
  const outputs = layers.filter((layer) => layer.block?.isOutput);
  assert.deepEqual(
    outputs.map((layer) => [layer.name, layer.block!.name]),
    [
      ['/bert/encoder/layer.0/output/LayerNorm/LayerNormalization_output_0', 'encoder.layer.0'],
      ['last_hidden_state', 'encoder.layer.1'],
    ],
  );
  for (const layer of outputs) {
    assert.deepEqual(
      [layer.layout, layer.prefixTokens, layer.units, layer.grid, layer.isDefault],
      ['tokens', 0, 16, null, true],
    );
  }
});

test("onnxruntime gives PyTorch's last hidden state from ids, mask and segment ids", async () => {
  const [count, tokens] = [reference.input_ids.length, reference.input_ids[0]!.length];
  const feeds = INPUTS.map((name) => ({
    name,
    type: 'int64' as const,
    dims: [count, tokens],
    data: BigInt64Array.from(reference[name].flat(), (value) => BigInt(value)),
  }));
  const runner = await openOnnxModel(BERT, { layers: ['last_hidden_state'], threads: 1 });
  try {
    const { layers } = await runner.runFeeds(feeds);
    const expected = reference.lastHiddenState.flat(2);
    assert.equal(layers[0]!.data.length, expected.length);
    expected.forEach((value, i) => assert.ok(Math.abs(layers[0]!.data[i]! - value) < 1e-4, `value ${i}`));
  } finally {
    await runner.close();
  }
});

test('nap analyze feeds its three inputs from a text column and a tokenizer.json', async () => {
  const out = path.join(dir, 'bert.duckdb');
  const result = await analyze({
    model: BERT,
    data: 'test/fixtures/text/sentences.csv',
    out,
    tensorData: { textColumn: 'text', tokenizer: 'test/fixtures/text/wordpiece/tokenizer.json', maxLength: 16 },
    threads: 1,
    projection: 'none',
    clustering: { minClusterSize: 2, minSamples: 2 },
  });
  assert.ok(result.layers.some((layer) => layer.layer === 'last_hidden_state'));
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const layouts = await store.readLayerLayouts(result.runId);
    const last = layouts.find((layout) => layout.layer === 'last_hidden_state');
    assert.deepEqual([last?.layout, last?.positions, last?.units], ['tokens', 16, 16]);
    assert.equal((await store.readInputs(result.runId)).label.length, 12);
  } finally {
    await store.close();
  }
});
