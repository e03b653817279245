import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { parseCsv } from '../../../src/io/datasets/csv.js';

test('plain, quoted, escaped and multi-line fields', () => {
  const text = 'path,label\na.png,cat\n"b, c.png","say ""hi"""\n"multi\nline.png",x\n';
  assert.deepEqual(parseCsv(text, 'm.csv'), [
    { fields: ['path', 'label'], line: 1 },
    { fields: ['a.png', 'cat'], line: 2 },
    { fields: ['b, c.png', 'say "hi"'], line: 3 },
    { fields: ['multi\nline.png', 'x'], line: 4 },
  ]);
});

test('BOM, CRLF, blank lines, empty fields and a last line without a line end', () => {
  const text = '\uFEFFpath,label\r\n\r\nä.png,\r\n"",ß';
  assert.deepEqual(parseCsv(text, 'm.csv'), [
    { fields: ['path', 'label'], line: 1 },
    { fields: ['ä.png', ''], line: 3 },
    { fields: ['', 'ß'], line: 4 },
  ]);
});

test('an unterminated quote names the line it starts on', () => {
  assert.throws(
    () => parseCsv('path,label\n"a.png,cat\n', 'm.csv'),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /m\.csv: the quoted field that starts on line 2 never ends/);
      return true;
    },
  );
});

test('text after a closing quote is an error', () => {
  assert.throws(() => parseCsv('"a"b,c\n', 'm.csv'), /m\.csv line 1: unexpected "b" after a closing quote/);
});
