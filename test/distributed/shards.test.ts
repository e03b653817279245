/** The shard contract, the worker's shard choice, result payloads and queue addresses, without a queue. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { decodePayload, encodePayload } from '../../src/distributed/payload.js';
import { redisOptions, requireRedis } from '../../src/distributed/redis-address.js';
import { batchCount, parseShard, shardCount, shardFromEnvironment, shardRange } from '../../src/distributed/shards.js';
import { InputError } from '../../src/errors.js';

test('shards cover every row once, in order, each starting on a batch boundary, sizes within one batch', () => {
  for (const [rows, batchSize, shards] of [
    [1500, 16, 6],
    [1500, 16, 94],
    [1000, 32, 3],
    [17, 4, 5],
    [5, 8, 1],
  ] as const) {
    let next = 0;
    const counts = [];
    for (let shard = 0; shard < shards; shard++) {
      const { start, count } = shardRange(rows, batchSize, shard, shards);
      assert.equal(start, next, `shard ${shard} of ${rows}/${batchSize}/${shards} starts where the last ended`);
      assert.equal(start % batchSize, 0);
      assert.ok(count > 0);
      counts.push(count);
      next = start + count;
    }
    assert.equal(next, rows);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= batchSize, `${counts.join(',')}`);
  }
});

test('shard count: one per 4,096 rows by default, never more shards than batches', () => {
  assert.equal(shardCount(1500, 16), 1);
  assert.equal(shardCount(10_000, 32), 3);
  assert.equal(shardCount(1500, 16, 94), 94);
  assert.equal(batchCount(1500, 16), 94);
  assert.throws(() => shardCount(1500, 16, 95), /95 shards is more than the 94 batches/);
  assert.throws(() => shardCount(1500, 16, 0), InputError);
  assert.throws(() => shardRange(1500, 16, 6, 6), /shard 6 does not exist in a run of 6 shards/);
});

test('the worker shard: --shard i/N, or JOB_COMPLETION_INDEX of --shards N', () => {
  assert.deepEqual(parseShard('3/16'), { shard: 3, shards: 16 });
  assert.deepEqual(parseShard(' 0 / 1 '), { shard: 0, shards: 1 });
  for (const bad of ['16/16', '3', '-1/4', 'a/b', '1/0']) {
    assert.throws(
      () => parseShard(bad),
      (error: unknown) => error instanceof InputError && error.message.includes(bad),
    );
  }
  assert.deepEqual(shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' }, 3), { shard: 2, shards: 3 });
  assert.equal(shardFromEnvironment({}, 3), undefined);
  assert.throws(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' }, undefined), /number of shards is not given/);
  assert.throws(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '3' }, 3), /not i\/N/);
});

test('result payloads come back bit for bit: typed arrays, NaN and infinities, nested values', () => {
  const value = {
    labels: Int32Array.from([0, -1, 2]),
    scores: Float64Array.from([0.1, Number.NaN, Number.POSITIVE_INFINITY, -0]),
    x: Float32Array.from([1.5, -2.25, 3]),
    bytes: Uint8Array.from([1, 2, 3, 4, 5]),
    stats: [
      { mean: Number.NEGATIVE_INFINITY, name: 'a' },
      { mean: 2, name: 'b' },
    ],
  };
  const back = decodePayload<typeof value>(encodePayload(value));
  assert.deepEqual(back, value);
  assert.ok(Object.is(back.scores[3], -0));
  assert.throws(() => decodePayload(Buffer.from('not a payload')), /not a nap result file/);
  const bytes = encodePayload(value);
  assert.throws(() => decodePayload(bytes.subarray(0, bytes.length - 8)), /truncated/);
});

test('queue addresses: redis:// with host, port, database and credentials; a clear error otherwise', async () => {
  assert.deepEqual(redisOptions('redis://10.0.0.5'), {
    host: '10.0.0.5',
    port: 6379,
    db: 0,
    maxRetriesPerRequest: null,
  });
  assert.deepEqual(redisOptions('rediss://user:p%40ss@[::1]:7000/2'), {
    host: '::1',
    port: 7000,
    db: 2,
    username: 'user',
    password: 'p@ss',
    tls: {},
    maxRetriesPerRequest: null,
  });
  assert.throws(() => redisOptions('10.0.0.5:6379'), /queue address '10.0.0.5:6379' is not a URL/);
  assert.throws(() => redisOptions('localhost:6379'), /queue address 'localhost:6379' is not a redis:\/\/ address/);
  assert.throws(() => redisOptions('redis:///2'), /names no host/);
  assert.throws(() => redisOptions('http://host'), /is not a redis:\/\/ address/);
  // Nothing listens on a port just freed: refused at once, naming the address.
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  await assert.rejects(requireRedis(`redis://127.0.0.1:${port}`), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, new RegExp(`cannot reach the queue at redis://127.0.0.1:${port}`));
    assert.match(error.hint ?? '', /start redis-server/);
    return true;
  });
});
