/**
 * Gallery contents of inputs that are not images (tensor-records.ts): texts, rows of numbers and named
 * images come back as stored, whatever else the store read before them, and each run's kinds are counted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleRun, tempStore } from './helpers.js';

test('rows of numbers, texts and image paths round-trip; each run counts its kinds of content', async () => {
  const { store, done } = await tempStore();
  try {
    const numbers = await store.createRun(sampleRun({ modelLayout: 'tensors' }));
    const texts = await store.createRun(sampleRun({ modelLayout: 'tensors', datasetFingerprint: 'fp-2' }));
    await store.createRun(sampleRun({ datasetFingerprint: 'fp-3' }));
    // Rows of several lengths, many of them: the blobs DuckDB hands back are small views of shared buffers.
    const rows = Array.from({ length: 40 }, (_, i) => Float32Array.from({ length: 3 + (i % 5) }, (_, k) => i + k / 8));
    await store.saveInputContents(
      numbers,
      rows.map((series, inputIndex) => ({ inputIndex, text: null, series, imagePath: `/pictures/${inputIndex}.png` })),
    );
    await store.saveInputContents(texts, [
      { inputIndex: 0, text: 'the cat', series: null, imagePath: null },
      { inputIndex: 1, text: 'a dog', series: null, imagePath: null },
    ]);
    const read = await store.readInputContents(numbers);
    assert.deepEqual(
      read.map((c) => Array.from(c.series!)),
      rows.map((row) => Array.from(row)),
    );
    assert.deepEqual(
      read.map((c) => c.imagePath),
      rows.map((_, i) => `/pictures/${i}.png`),
    );
    const some = await store.readInputContents(numbers, Int32Array.of(7, 3));
    assert.deepEqual(
      some.map((c) => [c.inputIndex, Array.from(c.series!)]),
      [3, 7].map((i) => [i, Array.from(rows[i]!)]),
    );
    assert.deepEqual(
      (await store.readInputContents(texts)).map((c) => [c.text, c.series]),
      [
        ['the cat', null],
        ['a dog', null],
      ],
    );
    assert.deepEqual(
      [...(await store.readInputContentKinds())].sort((a, b) => a[0] - b[0]),
      [
        [numbers, { texts: 0, series: 40, images: 40 }],
        [texts, { texts: 2, series: 0, images: 0 }],
      ],
    );
  } finally {
    await done();
  }
});
