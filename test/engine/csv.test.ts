import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvText } from '../../src/engine/csv.js';

test('CSV cells that a spreadsheet would run as a formula get an apostrophe; numbers stay numbers', () => {
  assert.equal(csvField('=SUM(A1:A9)'), "'=SUM(A1:A9)");
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('-cmd'), "'-cmd");
  assert.equal(csvField('@x'), "'@x");
  assert.equal(csvField('\tx'), "'\tx");
  assert.equal(csvField(-0.5), '-0.5');
  assert.equal(csvField(Number.NaN), '');
  assert.equal(csvField(null), '');
  assert.equal(csvField('a,"b"'), '"a,""b"""');
  assert.equal(csvText(['x', 'y'], [['=1', 2]]), "x,y\n'=1,2\n");
});
