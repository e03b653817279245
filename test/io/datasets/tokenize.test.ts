import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadTokenizer } from '../../../src/io/datasets/tokenize.js';

// Ids the reference tokenizer (the Rust `tokenizers` library, via Python) gave for these texts with the same
// tokenizer.json files: scripts/train/vit/make_fixtures.py.
const expected = JSON.parse(readFileSync('test/fixtures/text/tokenized.json', 'utf8')) as Record<
  string,
  { text: string; ids: number[] }[]
>;

for (const kind of ['wordpiece', 'bpe']) {
  test(`${kind}: ids match the reference tokenizer's`, async () => {
    const tokenizer = await loadTokenizer(`test/fixtures/text/${kind}/tokenizer.json`);
    for (const { text, ids } of expected[kind]!) assert.deepEqual(tokenizer.encode(text), ids, text);
  });
}

test('a batch is padded with the pad id and masked, or truncated keeping the closing token', async () => {
  const tokenizer = await loadTokenizer('test/fixtures/text/wordpiece/tokenizer.json');
  const [short, long] = expected.wordpiece!.map((entry) => entry.ids).sort((a, b) => a.length - b.length) as [
    number[],
    number[],
  ];
  const texts = expected.wordpiece!.map((entry) => entry.text);
  const shortText = texts.find((text) => tokenizer.encode(text).length === short.length)!;
  const longText = texts.find((text) => tokenizer.encode(text).length === long.length)!;
  const padded = tokenizer.encodeBatch([shortText, longText], { maxLength: 512 });
  assert.equal(padded.length, long.length);
  assert.deepEqual(Array.from(padded.inputIds.subarray(0, long.length), Number), [
    ...short,
    ...new Array<number>(long.length - short.length).fill(0), // [PAD] is id 0
  ]);
  assert.deepEqual(Array.from(padded.attentionMask.subarray(0, long.length), Number), [
    ...short.map(() => 1),
    ...new Array<number>(long.length - short.length).fill(0),
  ]);
  const cut = tokenizer.encodeBatch([longText], { maxLength: 4, length: 4 });
  assert.deepEqual(Array.from(cut.inputIds, Number), [...long.slice(0, 3), long[long.length - 1]!]);
});
