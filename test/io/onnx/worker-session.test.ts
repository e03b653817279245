import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { WorkerSession } from '../../../src/io/onnx/worker-session.js';
import { InputError, NapError } from '../../../src/errors.js';
import { seededValues } from '../../helpers/tiny-models.js';

/** y = x W applied `depth` times (W 256 x 256): enough work per run to notice a blocked event loop. */
function matmulChain(depth: number): Uint8Array {
  const g = new OnnxGraphBuilder('chain').input('x', ['batch', 256]).output(`y${depth}`, ['batch', 256]);
  g.initializer(
    'w',
    [256, 256],
    seededValues(256 * 256, 2).map((v) => (v - 0.5) / 8),
  );
  for (let i = 1; i <= depth; i++) g.node('MatMul', [i === 1 ? 'x' : `y${i - 1}`, 'w'], [`y${i}`]);
  return g.toBytes();
}

test('runs compute the model off the main thread, and the caller keeps its input', async () => {
  const session = await WorkerSession.open(matmulChain(40), 'chain', 1);
  try {
    const x = seededValues(256 * 256, 4);
    const first = await session.run({ x: { data: x, dims: [256, 256] } }, ['y40']);
    assert.equal(x.length, 256 * 256, 'the input array is still usable');
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const again = await session.run({ x: { data: x, dims: [256, 256] } }, ['y40']);
    running = false;
    assert.ok(ticks >= 10, `the event loop turned ${ticks} times during a run`);
    assert.deepEqual(again['y40']!.dims, [256, 256]);
    assert.equal(again['y40']!.type, 'float32');
    assert.deepEqual(again['y40']!.data, first['y40']!.data);
  } finally {
    await session.close();
  }
});

test('runs still queued when the session closes are refused, not computed', async () => {
  const session = await WorkerSession.open(matmulChain(40), 'chain', 1);
  const x = seededValues(256 * 256, 4);
  // Sent together, as an extraction queues its next batch; then the caller gives up and closes.
  const runs = Array.from({ length: 8 }, () =>
    session.run({ x: { data: x, dims: [256, 256] } }, ['y40']).then(
      () => 'computed',
      (error: Error) => error.message,
    ),
  );
  await session.close();
  const outcomes = await Promise.all(runs);
  assert.ok(
    outcomes.some((outcome) => /closed/.test(outcome)),
    `every queued run was computed: ${outcomes.join(', ')}`,
  );
  assert.ok(
    outcomes.every((outcome) => outcome === 'computed' || /closed/.test(outcome)),
    outcomes.join(', '),
  );
});

test('a model onnxruntime refuses is an InputError; a failed run rejects with its reason; a closed session refuses runs', async () => {
  const odd = new OnnxGraphBuilder('odd')
    .input('x', ['batch', 2])
    .output('y', ['batch', 2])
    .node('NoSuchOp', ['x'], ['y'])
    .toBytes();
  await assert.rejects(
    WorkerSession.open(odd, 'odd.onnx', 1),
    (e: unknown) => e instanceof InputError && /onnxruntime cannot load odd\.onnx: .*NoSuchOp/.test(e.message),
  );
  const session = await WorkerSession.open(matmulChain(1), 'chain', 1);
  await assert.rejects(
    session.run({ x: { data: new Float32Array(6), dims: [2, 3] } }, ['y1']),
    /dimension|shape|Got invalid/i,
  );
  const ok = await session.run({ x: { data: new Float32Array(256), dims: [1, 256] } }, ['y1']);
  assert.deepEqual(ok['y1']!.dims, [1, 256]);
  await session.close();
  await session.close();
  await assert.rejects(session.run({ x: { data: new Float32Array(256), dims: [1, 256] } }, ['y1']), /closed/);
});

test('an open session does not keep the process alive', async () => {
  const module = new URL('../../../src/io/onnx/worker-session.js', import.meta.url).href;
  const builder = new URL('../../../src/io/onnx/builder.js', import.meta.url).href;
  const script = `
    import { WorkerSession } from ${JSON.stringify(module)};
    import { OnnxGraphBuilder } from ${JSON.stringify(builder)};
    const bytes = new OnnxGraphBuilder('m').input('x', ['batch', 2]).output('y', ['batch', 2]).node('Relu', ['x'], ['y']).toBytes();
    const session = await WorkerSession.open(bytes, 'm', 1);
    const out = await session.run({ x: { data: Float32Array.of(-1, 2), dims: [1, 2] } }, ['y']);
    console.log(Array.from(out.y.data).join(','));
  `;
  const dir = await mkdtemp(join(tmpdir(), 'nap-worker-session-'));
  try {
    await writeFile(join(dir, 'open.mjs'), script);
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'open.mjs')], { timeout: 30_000 });
    assert.equal(stdout.trim(), '0,2');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * The session's worker thread, reached past `private` to stop it as a crash in the thread would. Only ever
 * while idle: terminating the thread inside a session.run aborts the whole process (onnxruntime-node 1.30).
 */
function workerOf(session: WorkerSession): Worker {
  return (session as unknown as { worker: Worker }).worker;
}

// The timeouts turn a hang (a call waiting for a thread that is gone) into a failure.
test(
  'when the worker thread has died, runs reject at once with what happened, and close still resolves',
  { timeout: 30_000 },
  async () => {
    const session = await WorkerSession.open(matmulChain(1), 'chain', 1);
    const feeds = { x: { data: new Float32Array(256), dims: [1, 256] } };
    await session.run(feeds, ['y1']);
    await workerOf(session).terminate();
    const stopped = (e: unknown) =>
      e instanceof NapError &&
      /onnxruntime worker thread stopped/.test(e.message) &&
      /run the command again/.test(e.message);
    await assert.rejects(session.run(feeds, ['y1']), stopped);
    await assert.rejects(session.run(feeds, ['y1']), stopped);
    await session.close();
    await session.close();
    await assert.rejects(session.run(feeds, ['y1']), /closed/);
  },
);

test('a session whose worker thread died before any call still closes', { timeout: 30_000 }, async () => {
  const session = await WorkerSession.open(matmulChain(1), 'chain', 1);
  await workerOf(session).terminate();
  await session.close();
});
