/** SheetLoader: keys asked for together share planned sheets; a sheet no tile waits for is dropped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SheetLoader, type SheetCell, type SheetPlan } from '../../src/results/sheet-loader.js';
import { sheetGrid } from '../../src/results/sprites.js';

/** Plans sheets of 4 keys in ascending order, as the server source does with 256. */
function planner(calls: number[][]) {
  return (keys: readonly number[]): Promise<SheetPlan[]> => {
    calls.push([...keys]);
    const sorted = [...keys].filter((key) => key >= 0).sort((a, b) => a - b);
    const plans: SheetPlan[] = [];
    for (let start = 0; start < sorted.length; start += 4) {
      const chunk = sorted.slice(start, start + 4);
      plans.push({
        url: `sheet:${chunk.join(',')}`,
        grid: sheetGrid(chunk.length),
        cells: new Map(chunk.map((k, c) => [k, c])),
      });
    }
    return Promise.resolve(plans);
  };
}

/** A fetch that answers when told to, and records aborts. */
function controlledFetch() {
  const pending = new Map<string, { resolve: (blob: Blob) => void; reject: (error: Error) => void }>();
  const aborted: string[] = [];
  const fetched: string[] = [];
  const fetchSheet = (url: string, signal: AbortSignal) =>
    new Promise<Blob>((resolve, reject) => {
      fetched.push(url);
      pending.set(url, { resolve, reject });
      signal.addEventListener('abort', () => {
        aborted.push(url);
        reject(new Error('aborted'));
      });
    });
  return { fetchSheet, pending, aborted, fetched };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

test('keys asked for in one moment share sheets, and each listener gets its cell', async () => {
  const calls: number[][] = [];
  const net = controlledFetch();
  const loader = new SheetLoader(planner(calls), net.fetchSheet);
  const got = new Map<number, SheetCell | null>();
  for (const key of [7, 1, 5, 3, 2]) loader.request(key, (cell) => got.set(key, cell));
  await settle();
  assert.deepEqual(calls, [[7, 1, 5, 3, 2]], 'one plan for the five');
  assert.deepEqual(net.fetched, ['sheet:1,2,3,5', 'sheet:7']);
  net.pending.get('sheet:1,2,3,5')!.resolve(new Blob(['png']));
  await settle();
  assert.equal(got.get(5)?.cell, 3);
  assert.deepEqual(got.get(5)?.grid, { columns: 4, rows: 1 });
  assert.match(got.get(5)!.url, /^blob:/);
  assert.equal(got.has(7), false, 'its sheet is still on the way');
  net.pending.get('sheet:7')!.reject(new Error('404'));
  await settle();
  assert.equal(got.get(7), null, 'a failed sheet reads as missing');
  // Asked again: answered at once from the fetched sheet, no new plan.
  let again: SheetCell | null | undefined;
  loader.request(2, (cell) => (again = cell));
  assert.equal(again?.cell, 1);
  assert.equal(calls.length, 1);
});

test('a sheet whose tiles all left before it arrived is aborted, and asked again when they return', async () => {
  const calls: number[][] = [];
  const net = controlledFetch();
  const loader = new SheetLoader(planner(calls), net.fetchSheet);
  const cancels = [1, 2, 3, 4, 5, 6].map((key) => loader.request(key, () => undefined));
  await settle();
  assert.deepEqual(net.fetched, ['sheet:1,2,3,4', 'sheet:5,6']);
  // Keys 1-4 scroll away; 5 goes too but 6 stays: only the first sheet is dropped.
  for (const cancel of cancels.slice(0, 5)) cancel();
  assert.deepEqual(net.aborted, ['sheet:1,2,3,4']);
  let back: SheetCell | null | undefined;
  loader.request(3, (cell) => (back = cell));
  await settle();
  assert.deepEqual(calls.at(-1), [3], 'planned again');
  net.pending.get('sheet:3')!.resolve(new Blob(['png']));
  await settle();
  assert.equal(back?.cell, 0);
});

test('keys no sheet holds read as missing', async () => {
  const loader = new SheetLoader(planner([]), controlledFetch().fetchSheet);
  let got: SheetCell | null | undefined;
  loader.request(-1, (cell) => (got = cell));
  await settle();
  assert.equal(got, null);
});

test('two plans naming one sheet file fetch it once', async () => {
  const net = controlledFetch();
  const sameFile = (keys: readonly number[]): Promise<SheetPlan[]> =>
    Promise.resolve([{ url: 'block:0', grid: sheetGrid(16), cells: new Map(keys.map((key) => [key, key])) }]);
  const loader = new SheetLoader(sameFile, net.fetchSheet);
  const got = new Map<number, SheetCell | null>();
  loader.request(1, (cell) => got.set(1, cell));
  await settle();
  loader.request(2, (cell) => got.set(2, cell));
  await settle();
  assert.deepEqual(net.fetched, ['block:0']);
  net.pending.get('block:0')!.resolve(new Blob(['png']));
  await settle();
  assert.deepEqual([got.get(1)?.cell, got.get(2)?.cell], [1, 2]);
  loader.request(3, (cell) => got.set(3, cell));
  await settle();
  assert.equal(got.get(3)?.cell, 3, 'a key planned into a fetched sheet is answered from it');
  assert.deepEqual(net.fetched, ['block:0']);
});
