/** The results' pure parts: parameter parsing, caches, pattern summaries, member order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import type { MemberOrder } from '../../src/results/api-types.js';
import { LruCache, PromiseCache } from '../../src/results/cache.js';
import { indexInputs, rowOfAscending } from '../../src/results/input-index.js';
import {
  groupByPattern,
  memberRows,
  orderedMembers,
  rowsOfPattern,
  selectMembers,
  type MemberFilter,
} from '../../src/results/members.js';
import {
  parseBoolean,
  parseId,
  parseIndexList,
  parseInteger,
  parseIntegerIn,
  parseQuery,
} from '../../src/results/params.js';
import { quantile, summarizePatterns } from '../../src/results/pattern-summaries.js';
import type { InputsTable, MembershipsTable } from '../../src/results/tables.js';

test('ids and integers are parsed strictly', () => {
  assert.equal(parseId('run id', '0'), 0);
  assert.equal(parseId('run id', '2147483647'), 2147483647);
  for (const bad of ['', '01', '-1', '1.0', '1e3', ' 1', '1 ', '0x1', '+1', '2147483648', '１']) {
    assert.throws(
      () => parseId('run id', bad),
      (error: Error) => error instanceof InputError && error.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
  assert.equal(parseInteger('unit', '-1'), -1);
  for (const bad of ['-0', '--1', '-', '1.', 'NaN', 'Infinity', '-2147483648'])
    assert.throws(() => parseInteger('unit', bad), InputError, bad);
  assert.equal(parseIntegerIn('size', '16', 16, 512), 16);
  assert.throws(() => parseIntegerIn('size', '513', 16, 512), /size 513 is outside 16\.\.512/);
  assert.equal(parseBoolean('misclassified', 'false'), false);
  assert.throws(() => parseBoolean('misclassified', 'True'), /"True"/);
});

test('index lists: comma-separated ids, bounded in count', () => {
  assert.deepEqual(parseIndexList('index', '4,0,4', 10), Int32Array.of(4, 0, 4));
  for (const bad of ['', '1,,2', '1, 2', '1,-2', '1,2,'])
    assert.throws(() => parseIndexList('index', bad, 10), InputError, bad);
  assert.throws(() => parseIndexList('index', '1,2,3', 2), /lists 3 values/);
});

test('query strings: unknown and repeated names are refused, v is always allowed', () => {
  const query = parseQuery('size=32&v=abc&label=a%20b', ['size', 'label']);
  assert.deepEqual(
    [...query],
    [
      ['size', '32'],
      ['v', 'abc'],
      ['label', 'a b'],
    ],
  );
  assert.throws(() => parseQuery('sise=32', ['size']), /"sise" is not known/);
  assert.throws(() => parseQuery('size=1&size=2', ['size']), /given twice/);
  assert.throws(
    () => parseQuery('x=1', []),
    (error: InputError) => error.hint === 'this route takes no query parameters',
  );
});

test('the LRU keeps the most recently used entries within its weight budget', () => {
  const cache = new LruCache<string, string>(6, (value) => value.length);
  cache.set('a', 'aa');
  cache.set('b', 'bb');
  assert.equal(cache.get('a'), 'aa'); // a is now more recent than b
  cache.set('c', 'ccc'); // 7 > 6: evicts b, the least recent
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 'aa');
  assert.equal(cache.weight, 5);
  cache.set('huge', 'x'.repeat(7));
  assert.equal(cache.get('huge'), undefined, 'heavier than the budget: not kept');
  assert.equal(cache.size, 2);
  cache.set('a', 'a');
  assert.equal(cache.weight, 4, 'replacing an entry replaces its weight');
});

test('the promise cache shares one computation and forgets failures', async () => {
  const cache = new PromiseCache<number, number>(4);
  let calls = 0;
  const compute = (): Promise<number> => Promise.resolve(++calls);
  const [x, y] = await Promise.all([cache.get(1, compute), cache.get(1, compute)]);
  assert.deepEqual([x, y, calls], [1, 1, 1]);
  await assert.rejects(cache.get(2, () => Promise.reject(new Error('boom'))));
  assert.equal(await cache.get(2, () => Promise.resolve(42)), 42);
});

test('quantile interpolates linearly between order statistics (numpy default)', () => {
  assert.ok(Math.abs(quantile([4, 1, 3, 2], 0.9) - 3.7) < 1e-12);
  assert.equal(quantile([5], 0.9), 5);
  assert.equal(quantile([1, 2], 1), 2);
  assert.ok(Number.isNaN(quantile([], 0.9)));
});

/** Six inputs: labels a a b b a b, predictions a b b b a a (inputs 1 and 5 misclassified). */
function sample(): { memberships: MembershipsTable; inputs: InputsTable } {
  return {
    inputs: {
      inputIndex: Int32Array.of(0, 1, 2, 3, 4, 5),
      path: ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'],
      label: ['a', 'a', 'b', 'b', 'a', 'b'],
      prediction: Int32Array.of(0, 1, 1, 1, 0, 0),
      predictionLabel: ['a', 'b', 'b', 'b', 'a', 'a'],
      probability: Float64Array.of(0.9, 0.8, 0.7, 0.6, 0.5, 0.4),
      content: [null, null, null, null, null, null],
    },
    memberships: {
      inputIndex: Int32Array.of(0, 1, 2, 3, 4, 5),
      patternId: Int32Array.of(0, 0, 1, 1, 0, -1),
      probability: Float64Array.of(1, 0.5, 0.9, 0.9, 0.5, 0),
      outlierScore: Float64Array.of(0, 0.6, 0.1, 0.2, 0.95, 1),
    },
  };
}

test('pattern summaries: mixes, purity, misclassified, outliers and representatives by hand', () => {
  const { memberships, inputs } = sample();
  const summary = summarizePatterns(memberships, Float64Array.of(0.3, 0.7), indexInputs(inputs), 2);
  // Scores sorted: 0 .1 .2 .6 .95 1; 90th percentile at position 4.5: 0.95 + 0.5 * 0.05.
  assert.ok(Math.abs(summary.outlierThreshold - 0.975) < 1e-12);
  const [first, second] = summary.patterns;
  assert.deepEqual(first!.labels, { label: ['a'], count: [3] });
  assert.deepEqual(first!.predictions, { label: ['a', 'b'], count: [2, 1] });
  assert.equal(first!.labelPurity, 1);
  assert.equal(first!.misclassifiedCount, 1);
  assert.equal(first!.outlierCount, 0, '0.95 is not above 0.975');
  assert.deepEqual(first!.mostStable, [0, 1], 'probability 1, then the tie 0.5 broken by input index');
  assert.deepEqual(first!.leastStable, [1, 4]);
  assert.deepEqual(first!.topOutliers, [4, 1]);
  assert.ok(Math.abs(first!.meanProbability - 2 / 3) < 1e-12);
  assert.equal(second!.persistence, 0.7);
  assert.equal(second!.size, 2);
  assert.equal(second!.dominantLabel, 'b');
  assert.equal(summary.noise.patternId, -1);
  assert.equal(summary.noise.size, 1);
  assert.equal(summary.noise.outlierCount, 1);
  assert.equal(summary.noise.outlierShare, 1);
  assert.equal(summary.noise.misclassifiedCount, 1);
});

test('member selection filters, orders with index tie-breaks and pages', () => {
  const { memberships, inputs } = sample();
  const table = indexInputs(inputs);
  const pick = (patternId: number, filter: MemberFilter, order: MemberOrder, page: { offset: number; limit: number }) =>
    selectMembers(memberships, table, patternId, filter, order, page);
  assert.deepEqual([...pick(0, {}, 'most-stable', { offset: 0, limit: 10 }).rows], [0, 1, 4]);
  assert.deepEqual([...pick(0, {}, 'least-stable', { offset: 0, limit: 10 }).rows], [1, 4, 0]);
  assert.deepEqual([...pick(0, {}, 'outlier', { offset: 0, limit: 10 }).rows], [4, 1, 0]);
  assert.deepEqual([...pick(0, {}, 'input', { offset: 1, limit: 1 }).rows], [1]);
  const wrong = pick(0, { misclassified: true }, 'input', { offset: 0, limit: 10 });
  assert.deepEqual([[...wrong.rows], wrong.total], [[1], 1]);
  const predictedA = pick(0, { prediction: 'a', label: 'a' }, 'input', { offset: 0, limit: 1 });
  assert.deepEqual([[...predictedA.rows], predictedA.total], [[0], 2]);
  assert.equal(pick(1, { label: 'a' }, 'input', { offset: 0, limit: 10 }).total, 0);
});

test('member rows grouped by pattern are the rows a scan of the table finds, in membership order', () => {
  const { memberships, inputs } = sample();
  const table = indexInputs(inputs);
  const groups = groupByPattern(memberships);
  assert.deepEqual([...groups.start], [0, 1, 4, 6]);
  assert.deepEqual([...rowsOfPattern(groups, -1)], [5]);
  assert.deepEqual([...rowsOfPattern(groups, 0)], [0, 1, 4]);
  assert.deepEqual([...rowsOfPattern(groups, 1)], [2, 3]);
  assert.deepEqual([...rowsOfPattern(groups, 2)], []);
  assert.deepEqual([...rowsOfPattern(groups, -2)], []);
  const filters: MemberFilter[] = [{}, { label: 'a' }, { misclassified: true }, { prediction: 'b', label: 'b' }];
  for (const patternId of [-1, 0, 1, 2])
    for (const filter of filters) {
      const scanned = memberRows(memberships, table, patternId, filter);
      assert.deepEqual(memberRows(memberships, table, patternId, filter, groups), scanned);
      for (const order of ['most-stable', 'outlier', 'input'] as const) {
        const ordered = orderedMembers(memberships, table, patternId, filter, order, groups);
        assert.deepEqual(ordered, orderedMembers(memberships, table, patternId, filter, order));
      }
    }
  // Ordering a pattern's members leaves the groups as they were.
  assert.deepEqual([...rowsOfPattern(groups, 0)], [0, 1, 4]);
});

test('rowOfAscending finds a value in an ascending column by bisection, -1 where absent', () => {
  const column = Int32Array.from([2, 3, 5, 8, 13, 21]);
  for (const [row, value] of column.entries()) assert.equal(rowOfAscending(column, value), row);
  for (const absent of [-1, 0, 1, 4, 9, 20, 22, 1e9]) assert.equal(rowOfAscending(column, absent), -1, `${absent}`);
  assert.equal(rowOfAscending(new Int32Array(0), 0), -1);
});
