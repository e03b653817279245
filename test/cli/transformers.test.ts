import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../reliability/fixtures.js';

const DEIT = 'test/fixtures/vit/tiny-deit.dynamo.onnx';

test('nap layers --json gives each layer its layout, tokens, prefix tokens, units and block', async () => {
  const { code, stdout } = await runCli(['layers', DEIT, '--json']);
  assert.equal(code, 0);
  const layers = JSON.parse(stdout) as {
    name: string;
    layout: string;
    tokens: number | null;
    prefixTokens: number;
    units: number;
    block: { name: string; isOutput: boolean } | null;
  }[];
  const output = layers.find((layer) => layer.block?.isOutput && layer.block.name === 'blocks.1')!;
  assert.deepEqual([output.layout, output.tokens, output.prefixTokens, output.units], ['tokens', 18, 2, 16]);
  const logits = layers.find((layer) => layer.name === 'logits')!;
  assert.deepEqual([logits.layout, logits.tokens, logits.units], ['flat', null, 10]);
});

test('nap layers names the blocks and shows the token layout; --prefix-tokens and --layout override it', async () => {
  const plain = await runCli(['layers', DEIT]);
  assert.equal(plain.code, 0);
  assert.match(plain.stdout, /\*> +add_132 +Add +\[1, 18, 16\] +tokens 2\+16 x 16 \(4x4\) +blocks\.0/);
  assert.match(plain.stdout, /2 transformer blocks/);
  const forced = await runCli(['layers', DEIT, '--prefix-tokens', '1', '--layout', 'add_132=flat']);
  assert.match(forced.stdout, /add_132 +Add +\[1, 18, 16\] +flat 288/);
  assert.match(forced.stdout, /add_247 +Add +\[1, 18, 16\] +tokens 1\+17 x 16 /);
  const bad = await runCli(['layers', DEIT, '--layout', 'add_132=diagonal']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--layout 'add_132=diagonal' does not name a layer and one of tokens/);
});

test('nap doctor lists the runtime, its providers and what a missing piece blocks', async () => {
  const { code, stdout } = await runCli(['doctor']);
  assert.equal(code, 0);
  assert.match(stdout, /✓ ONNX Runtime +1\.\d+/);
  assert.match(stdout, /✓ provider cpu +starts/);
  assert.match(stdout, /provider cuda +(starts|missing: blocks --device cuda)/);
  assert.match(stdout, /memory +[\d.]+ GiB free of [\d.]+ GiB/);
});

test('nap analyze --device names a missing provider library in one line and stops before reading data', async () => {
  const { code, stderr } = await runCli([
    'analyze',
    '--model',
    DEIT,
    '--data',
    'no-such-folder',
    '--out',
    '/nonexistent/x.duckdb',
    '--device',
    'cuda',
  ]);
  // On a machine with CUDA the device starts and the missing dataset is reported instead.
  assert.equal(code, 2);
  assert.match(stderr, /--device cuda: lib\S+\.so|no-such-folder/);
});
