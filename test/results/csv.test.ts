/** CSV exports (nap triage, nap decisions and the app's relabelling download) never hand a spreadsheet a formula to run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, csvText } from '../../src/results/csv.js';
import { relabellingCsv } from '../../src/results/relabel-csv.js';

test('text starting with = + - @ tab or carriage return is written as text, with a leading apostrophe', () => {
  for (const cell of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://x","y")']) {
    const field = csvField(cell);
    const unquoted = field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field;
    assert.equal(unquoted, `'${cell}`, `${JSON.stringify(cell)} -> ${field}`);
  }
  assert.equal(csvField('=cmd|"/c calc"!A1'), `"'=cmd|""/c calc""!A1"`, 'quoted as well where it holds a quote');
});

test('numbers, booleans and harmless text are written as they are', () => {
  assert.equal(csvField(-0.25), '-0.25', 'a negative number stays a number');
  assert.equal(csvField(3), '3');
  assert.equal(csvField(true), 'true');
  assert.equal(csvField(null), '');
  assert.equal(csvField('a=b'), 'a=b', 'only the first character matters');
  assert.equal(csvField('mnist#12'), 'mnist#12');
  assert.equal(csvField(Number.NaN), '', 'a number that is not finite is empty');
  assert.equal(csvText(['a', 'b'], [['x,y', 1]]), 'a,b\n"x,y",1\n');
});

test('a relabelling export with a hostile file name and labels defuses them', () => {
  const decision = { runId: 1, input: 7, decision: 'error', label: '-dog', updatedAt: '' } as const;
  const [, row] = relabellingCsv([decision], () => ({
    path: '=HYPERLINK("http://evil.example","click")',
    label: '@cat',
  }))
    .trimEnd()
    .split('\n');
  assert.equal(row, `7,"'=HYPERLINK(""http://evil.example"",""click"")",'@cat,'-dog,error`);
});
