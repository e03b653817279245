/** The flags of distributed runs on their option schemas: nap analyze --queue, nap worker --shard, nap gather. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnalyzeArgs } from '../../src/cli/commands/analyze.js';
import { runGatherCommand } from '../../src/cli/commands/gather.js';
import { parseShardWorkerArgs } from '../../src/cli/commands/worker.js';
import { InputError } from '../../src/errors.js';

const base = ['--model', 'm.onnx', '--data', 'mnist'];

/** `run` throws an InputError whose message matches `message` (and whose hint matches `hint`, where given). */
function refused(run: () => unknown, message: RegExp, hint?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, message);
    if (hint) assert.match(error.hint ?? '', hint);
    return true;
  });
}

test('nap analyze: --queue, --shards and --shared are the distributed flags, beside the analyze options', () => {
  const parsed = parseAnalyzeArgs([
    ...base,
    '--out',
    'r.duckdb',
    '--queue',
    'redis://10.0.0.5:6379',
    '--shards',
    '16',
    '--shared',
    '/shared/run',
  ]);
  assert.notEqual(parsed, 'help');
  if (parsed === 'help') return;
  assert.deepEqual(parsed.distributed, { queue: 'redis://10.0.0.5:6379', shards: 16, shared: '/shared/run' });
  assert.equal('distributed' in parsed.options, false, 'the distributed flags are not options of analyze()');
  const plain = parseAnalyzeArgs([...base, '--out', 'r.duckdb']);
  assert.ok(plain !== 'help' && Object.keys(plain.distributed).length === 0);
});

test('nap analyze: the distributed flags keep their rules', () => {
  const withOut = [...base, '--out', 'r.duckdb'];
  refused(
    () => parseAnalyzeArgs([...withOut, '--shards', '4']),
    /^--shards needs --queue redis:\/\/HOST:PORT/,
    /nap gather/,
  );
  refused(() => parseAnalyzeArgs([...withOut, '--shared', 'dir']), /^--shared needs --queue/);
  refused(() => parseAnalyzeArgs([...withOut, '--shard', '1/4']), /^--shard belongs to nap worker/, /--shard i\/N/);
  refused(
    () => parseAnalyzeArgs([...withOut, '--queue', 'redis://h', '--shards', '0']),
    /^--shards '0' is not a whole number >= 1/,
    /--shards 16/,
  );
  refused(() => parseAnalyzeArgs([...base, '--queue', 'redis://h']), /^--out is required/);
});

test('nap worker --shard: the analyze options without --out, and the indexed flags', () => {
  const parsed = parseShardWorkerArgs([...base, '--shard', '2/3', '--shared', '/shared/run', '--limit', '100']);
  assert.equal(parsed.options.out, undefined);
  assert.equal(parsed.options.limit, 100);
  assert.deepEqual(parsed.distributed, { shard: '2/3', shared: '/shared/run' });
  refused(
    () => parseShardWorkerArgs([...base, '--queue', 'redis://h']),
    /^nap worker takes the queue as its argument, not --queue/,
  );
  refused(() => parseShardWorkerArgs(['--data', 'mnist', '--shard', '0/1']), /^--model is required/);
  refused(() => parseShardWorkerArgs([...base, '--limit', 'ten']), /^--limit 'ten'/);
  refused(() => parseShardWorkerArgs([...base, '--nope']), /^unknown option '--nope'/, /nap worker --help/);
});

test('nap gather: --shared and --out are required; messages name the flags', async () => {
  await assert.rejects(runGatherCommand(['--shared', 'dir']), /^InputError: --out is required/);
  await assert.rejects(runGatherCommand(['--out', 'r.duckdb']), /^InputError: --shared is required/);
  await assert.rejects(
    runGatherCommand(['--shared', 'dir', '--out', 'r.duckdb', '--threads', '0']),
    /--threads '0' is not a whole number from 1 to 1024/,
  );
});
