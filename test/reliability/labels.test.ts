/**
 * Labels with unicode, commas, quotes and line breaks (folder names and a CSV manifest), and files of the
 * same name in different folders: every input keeps its own label, path and image, from analyze through
 * the store to the server's label filters and thumbnails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { analyze } from '../../src/engine/analyze.js';
import { type LabelCountsResponse, type MembersResponse, type PatternsResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer } from '../../src/server/server.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { makeTempDir, readRun, writeUniformImage } from './fixtures.js';

const LABELS = ['café, crème', '日本語 ラベル', 'emoji 🐱‍👤', 'say "hi"', 'comma,only', 'two\nlines', ' spaced '];
const PER_LABEL = 3;

let dir: string;
let cleanup: () => Promise<void>;
let model: string;
/** Every image: its file, label and gray value (unique, so each input's activations tell which image it is). */
const images: { file: string; label: string; value: number }[] = [];

before(async () => {
  ({ dir, cleanup } = await makeTempDir('nap-labels-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  for (const [l, label] of LABELS.entries()) {
    for (let i = 0; i < PER_LABEL; i++) {
      // The same three file names in every folder.
      const value = 30 + l * PER_LABEL * 9 + i * 9;
      const file = path.join(dir, 'folders', label, `${i + 1}.png`);
      await writeUniformImage(file, [value, value, value], 'gray');
      images.push({ file, label, value });
    }
  }
});

after(async () => {
  await cleanup();
});

/** Filter 0 of the tiny net copies the pixel, so unit 0 of the ReLU layer is value / 255 before normalization. */
function assertOwnActivations(rowOf: Map<string, Float32Array>, entries: { file: string; value: number }[]): void {
  const brightest = Math.max(...entries.map((e) => e.value));
  for (const { file, value } of entries) {
    const row = rowOf.get(file);
    assert.ok(row, `${file} is stored`);
    assert.ok(
      Math.abs(row[0]! - value / brightest) < 1e-6,
      `${file}: unit 0 is ${row[0]}, expected ${value / brightest}`,
    );
  }
}

test('folder labels with unicode, commas, quotes and line breaks, and repeated file names, are kept exactly', async () => {
  const out = path.join(dir, 'folders.duckdb');
  const result = await analyze({ model, data: path.join(dir, 'folders'), out, layers: [TINY.relu, TINY.pool] });
  const stored = await readRun(out, result.runId);
  assert.equal(stored.paths.length, images.length);
  assert.equal(new Set(stored.paths).size, images.length, 'repeated file names stay distinct inputs');
  const labelOf = new Map(stored.paths.map((p, row) => [p, stored.labels[row]]));
  for (const { file, label } of images) assert.equal(labelOf.get(file), label, `label of ${file}`);
  assertOwnActivations(stored.layers.get(TINY.relu)!.rowOf, images);

  const server = await startServer({
    store: out,
    port: 0,
    thumbnailCacheDir: path.join(dir, 'thumbnails'),
    appDir: path.join(dir, 'no-app'),
  });
  try {
    const get = async <T>(url: string): Promise<T> => {
      const response = await fetch(server.url + url);
      assert.equal(response.status, 200, `GET ${url}: ${await response.clone().text()}`);
      return (await response.json()) as T;
    };
    const clusteringId = result.layers[0]!.clusteringId;
    const counts = await get<LabelCountsResponse>(apiPaths.labelCounts(clusteringId));
    for (const label of LABELS) {
      const total = counts.count.filter((_, i) => counts.label[i] === label).reduce((a, b) => a + b, 0);
      assert.equal(total, PER_LABEL, `label counts of ${JSON.stringify(label)}`);
    }
    const { patterns } = await get<PatternsResponse>(apiPaths.patterns(clusteringId));
    for (const label of LABELS) {
      let total = 0;
      for (let patternId = -1; patternId < patterns.length; patternId++) {
        const members = await get<MembersResponse>(apiPaths.members(clusteringId, patternId, { label, limit: 100 }));
        assert.ok(
          members.label.every((l) => l === label),
          `filter ${JSON.stringify(label)} returns only its members`,
        );
        total += members.total;
      }
      assert.equal(total, PER_LABEL, `members labelled ${JSON.stringify(label)}`);
    }
    // Same file name, different folders: each thumbnail shows its own image.
    for (const { file, value } of images.filter((image) => path.basename(image.file) === '1.png')) {
      const inputIndex = stored.paths.indexOf(file);
      const response = await fetch(server.url + apiPaths.thumbnail(result.runId, inputIndex, 16));
      assert.equal(response.status, 200);
      const pixels = await sharp(Buffer.from(await response.arrayBuffer()))
        .extractChannel(0)
        .raw()
        .toBuffer();
      assert.ok(
        pixels.every((v) => v === value),
        `thumbnail of ${file} is ${pixels[0]}, expected ${value}`,
      );
    }
  } finally {
    await server.close();
  }
});

test('a CSV manifest with quoted commas, quotes, unicode, CRLF, a BOM and repeated file names is read exactly', async () => {
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  const rows = images.map(({ file, label }, i) =>
    [quote(path.relative(dir, file)), quote(label), i % 2 ? 'train' : ''].join(','),
  );
  const manifest = path.join(dir, 'manifest.csv');
  await writeFile(manifest, `\ufeffpath,label,split\r\n${rows.join('\r\n')}\r\n\r\n`);
  const out = path.join(dir, 'manifest.duckdb');
  const result = await analyze({ model, data: manifest, out, layers: [TINY.relu] });
  const stored = await readRun(out, result.runId);
  assert.deepEqual(
    stored.paths,
    images.map((image) => image.file),
    'manifest order, every file once',
  );
  assert.deepEqual(
    stored.labels,
    images.map((image) => image.label),
  );
  assertOwnActivations(stored.layers.get(TINY.relu)!.rowOf, images);
});
