/** A pattern's distinctive words (results/pattern-words.ts) on a handful of texts worked out by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowIndex } from '../../src/results/input-index.js';
import { patternWords, wordsOf } from '../../src/results/pattern-words.js';

test('words are lower-cased and distinct; single characters are left out', () => {
  assert.deepEqual([...wordsOf("Don't STOP-me now, I said: now!")], ["don't", 'stop-me', 'now', 'said']);
});

test('each pattern lists the words more of its texts have than of all texts, by that margin', () => {
  const texts = [
    'the cat sat', // pattern 0
    'the cat ran on the mat', // pattern 0
    'a cat and the dog on a mat', // pattern 0
    'the dog barked', // pattern 1
    'the dog ran', // pattern 1
    'the bird', // noise
    null, // no text: left out of every count
  ];
  const inputIndex = Int32Array.from([10, 11, 12, 13, 14, 15, 16]);
  const memberships = {
    inputIndex,
    patternId: Int32Array.from([0, 0, 0, 1, 1, -1, 1]),
    probability: new Float64Array(7),
    outlierScore: new Float64Array(7),
  };
  const inputs = { rows: new RowIndex(inputIndex), content: texts };
  // "the" is in every text: no margin. Pattern 0: cat 3/3 - 3/6 = 1/2, mat 2/3 - 2/6 = 1/3, on likewise,
  // and 1/3 - 1/6, sat likewise; ran 1/3 - 2/6 = 0 and dog 1/3 - 3/6 < 0 are left out. Pattern 1: dog
  // 2/2 - 3/6 = 1/2, barked 1/2 - 1/6, ran 1/2 - 2/6.
  assert.deepEqual(patternWords(memberships, inputs, 2), [
    { patternId: 0, word: ['cat', 'mat', 'on', 'and', 'sat'], share: [1, 2 / 3, 2 / 3, 1 / 3, 1 / 3] },
    { patternId: 1, word: ['dog', 'barked', 'ran'], share: [1, 1 / 2, 1 / 2] },
  ]);
  assert.deepEqual(patternWords(memberships, inputs, 2, 1)[0]!.word, ['cat'], 'at most count words');
});
