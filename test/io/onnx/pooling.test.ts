import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { withExtraOutputs } from '../../../src/io/onnx/graph.js';
import { POOL_ORDER_OUTPUT, pooledOutputNames, poolingNodes } from '../../../src/io/onnx/pooling.js';
import { openOnnxBytes } from '../../../src/io/onnx/runner.js';
import { seededValues } from '../../helpers/tiny-models.js';

test('pooling nodes: a mean and a max per layer, chained from the last layer to the first, in topological order', () => {
  const { nodes, outputs } = poolingNodes(['a', 'b', 'c']);
  const names = (layer: string) => Object.values(pooledOutputNames(layer));
  assert.deepEqual(outputs, [...names('a'), ...names('b'), ...names('c'), POOL_ORDER_OUTPUT]);
  const concats = nodes.filter((n) => n.opType === 'Concat');
  assert.deepEqual(
    concats.map((n) => [n.output[0], n.input]),
    [
      [`${POOL_ORDER_OUTPUT}::2`, names('c')],
      [`${POOL_ORDER_OUTPUT}::1`, [`${POOL_ORDER_OUTPUT}::2`, ...names('b')]],
      [POOL_ORDER_OUTPUT, [`${POOL_ORDER_OUTPUT}::1`, ...names('a')]],
    ],
  );
  assert.deepEqual(
    nodes.filter((n) => n.opType.startsWith('Global')).map((n) => [n.opType, n.input[0]]),
    [
      ['GlobalAveragePool', 'c'],
      ['GlobalMaxPool', 'c'],
      ['GlobalAveragePool', 'b'],
      ['GlobalMaxPool', 'b'],
      ['GlobalAveragePool', 'a'],
      ['GlobalMaxPool', 'a'],
    ],
  );
  const defined = new Set(['a', 'b', 'c']);
  for (const node of nodes) {
    for (const input of node.input) assert.ok(defined.has(input), `${node.name} reads ${input} before it is made`);
    defined.add(node.output[0]!);
  }
  assert.deepEqual(poolingNodes([], ['out']), { nodes: [], outputs: [], shapeOutputs: [] });
  // The graph's other outputs are read by Shape nodes made before the chain.
  const withOthers = poolingNodes(['a'], ['out', 'logits']);
  assert.deepEqual(
    withOthers.nodes.slice(0, 2).map((n) => [n.opType, n.input[0], n.output[0]]),
    [
      ['Shape', 'out', withOthers.shapeOutputs[0]],
      ['Shape', 'logits', withOthers.shapeOutputs[1]],
    ],
  );
  assert.equal(withOthers.nodes.at(-1)!.output[0], POOL_ORDER_OUTPUT);
});

test('layers of different ranks (3-D and 4-D) pool into one chain and give the means and maxima of their raw tensors', async () => {
  // x [N, 2, 3, 4] -> Relu (4-D) -> Reshape [N, 2, 12] -> Sigmoid (3-D) -> Flatten -> output.
  const bytes = new OnnxGraphBuilder('ranks')
    .input('x', ['batch', 2, 3, 4])
    .output('out', ['batch', 24])
    .initializer('shape', [3], BigInt64Array.of(0n, 2n, 12n))
    .node('Relu', ['x'], ['r4'])
    .node('Reshape', ['r4', 'shape'], ['r3'])
    .node('Sigmoid', ['r3'], ['s3'])
    .node('Flatten', ['s3'], ['out'], { axis: 1 })
    .toBytes();
  const count = 3;
  const input = seededValues(count * 24, 5).map((v) => v - 0.5);
  const plain = await openOnnxBytes(bytes, 'ranks', { layers: ['r4', 's3'], threads: 1 });
  const pooled = await openOnnxBytes(bytes, 'ranks', { layers: ['r4', 's3'], pooled: ['s3', 'r4'], threads: 1 });
  try {
    const raw = await plain.run(input, [count, 2, 3, 4]);
    const got = await pooled.run(input, [count, 2, 3, 4]);
    assert.deepEqual(
      got.pooled.map((p) => [p.name, p.dims]),
      [
        ['r4', [count, 2]],
        ['s3', [count, 2]],
      ],
    );
    for (const [i, name] of ['r4', 's3'].entries()) {
      const data = raw.layers.find((l) => l.name === name)!.data;
      for (let row = 0; row < count * 2; row++) {
        const values = Array.from(data.subarray(row * 12, (row + 1) * 12));
        const mean = values.reduce((a, b) => a + b, 0) / 12;
        assert.ok(Math.abs(got.pooled[i]!.mean[row]! - mean) <= 1e-6, `${name} mean row ${row}`);
        assert.equal(got.pooled[i]!.max[row], Math.max(...values), `${name} max row ${row}`);
      }
    }
  } finally {
    await plain.close();
    await pooled.close();
  }
});

/** Conv 3x3 (16 -> 16 channels, so onnxruntime's blocked NCHWc layout applies on x86) + Relu, `depth` times. */
function convStack(depth: number): { bytes: Uint8Array; layers: string[] } {
  const g = new OnnxGraphBuilder('stack').input('x', ['batch', 16, 8, 8]).output('out', ['batch', 16, 8, 8]);
  const weights = seededValues(16 * 16 * 9, 3).map((v) => (v - 0.5) / 12);
  const layers: string[] = [];
  let x = 'x';
  for (let i = 1; i <= depth; i++) {
    g.initializer(`w${i}`, [16, 16, 3, 3], weights).initializer(`b${i}`, [16], new Float32Array(16));
    g.node('Conv', [x, `w${i}`, `b${i}`], [`conv${i}`], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    x = i === depth ? 'out' : `relu${i}`;
    g.node('Relu', [`conv${i}`], [x]);
    layers.push(x);
  }
  return { bytes: g.toBytes(), layers };
}

test("onnxruntime runs each layer's pools right after the layer, before the next convolution", async () => {
  const { bytes, layers } = convStack(6);
  const dir = await mkdtemp(join(tmpdir(), 'nap-pool-order-'));
  try {
    const session = await ort.InferenceSession.create(withExtraOutputs(bytes, [], 'stack', layers), {
      intraOpNumThreads: 1,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    });
    await session.run({ x: new ort.Tensor('float32', seededValues(2 * 16 * 64, 9), [2, 16, 8, 8]) });
    session.endProfiling();
    await session.release();
    const [file] = await readdir(dir);
    const events = JSON.parse(await readFile(join(dir, file!), 'utf8')) as {
      cat?: string;
      name: string;
      ts: number;
      args?: { op_name?: string };
    }[];
    const kernels = events
      .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))
      .sort((a, b) => a.ts - b.ts);
    // Convolutions (Relu fused in) run before the first pool of each layer: 1 for the first layer, and so on.
    const convsBefore = layers.map((layer) => {
      const { mean, max } = pooledOutputNames(layer);
      const first = kernels.findIndex((e) => e.name.startsWith(mean) || e.name.startsWith(max));
      assert.ok(first >= 0, `no pool of ${layer} ran`);
      return kernels.slice(0, first).filter((e) => e.args?.op_name === 'Conv').length;
    });
    assert.deepEqual(convsBefore, [1, 2, 3, 4, 5, 6]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
