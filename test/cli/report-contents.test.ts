/**
 * `nap report` on runs without images: a run of texts (tiny BERT over a CSV text column) shows each
 * pattern's distinctive words where an average image would be and each triage lead's text; a run of rows
 * of numbers shows the drawn mean row of each pattern and each lead's row drawn; both pages stay
 * self-contained.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { drawSeries } from '../../src/compute/series-image.js';
import { analyze } from '../../src/engine/analyze.js';
import { writeReport } from '../../src/engine/report.js';
import { triageToSave } from '../../src/engine/triage-save.js';
import { scoreRun } from '../../src/engine/triage-scores.js';
import { NapStore } from '../../src/io/store/index.js';
import { createResultsApi, type ResultsService } from '../../src/results/api.js';
import { escapeHtml } from '../../src/results/report-html.js';
import { storeReader } from '../../src/results/node/duckdb-reader.js';
import { differing, makeNumericRuns, meanRow, type NumericRuns } from '../helpers/numeric-runs.js';

let dir: string;
let textStore: string;
let textRun: number;
let numeric: NumericRuns;

/** Saves the run's triage (k = 3), as `nap triage --save` does. */
async function saveTriage(store: string, runId: number): Promise<void> {
  const napStore = await NapStore.open(store);
  try {
    await napStore.saveTriage(triageToSave(await scoreRun(napStore, runId, { k: 3 })));
  } finally {
    await napStore.close();
  }
}

async function withApi<T>(store: string, body: (api: ResultsService) => Promise<T>): Promise<T> {
  const opened = await NapStore.open(store, { readOnly: true });
  try {
    return await body(createResultsApi(storeReader(opened)));
  } finally {
    await opened.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-report-contents-'));
  textStore = path.join(dir, 'text.duckdb');
  textRun = (
    await analyze({
      model: 'test/fixtures/text/tiny-bert.onnx',
      data: 'test/fixtures/text/sentences.csv',
      out: textStore,
      tensorData: {
        textColumn: 'text',
        tokenizer: 'test/fixtures/text/wordpiece/tokenizer.json',
        maxLength: 16,
      },
      threads: 1,
      projection: 'pca',
      clustering: { minClusterSize: 2, minSamples: 2 },
    })
  ).runId;
  await saveTriage(textStore, textRun);
  numeric = await makeNumericRuns(dir);
  await saveTriage(numeric.store, numeric.seriesRun);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const all = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1]!);

/** The page has no script, link or URL: images only as data URIs. */
function assertSelfContained(html: string): void {
  const withoutImages = html.replace(/data:image\/png;base64,[A-Za-z0-9+/=]+/g, '');
  assert.doesNotMatch(withoutImages, /https?:|\/\/[a-z0-9]/i, 'no URL');
  assert.doesNotMatch(withoutImages, /<script|<link|<iframe|@import|url\(/i);
}

/** Each card of the report's layer sections, with its layer's clustering. */
function cardsOf(html: string): { layer: string; patternId: number; card: string }[] {
  const out: { layer: string; patternId: number; card: string }[] = [];
  for (const section of html.split('<section class="layer" data-layer="').slice(1)) {
    const layer = section.slice(0, section.indexOf('"'));
    const body = section.slice(0, section.indexOf('</section>'));
    for (const card of body.split('<div class="card" data-pattern="').slice(1))
      out.push({ layer, patternId: Number(card.slice(0, card.indexOf('"'))), card });
  }
  return out;
}

test('a report of texts lists each pattern’s distinctive words and each lead’s text', async () => {
  const out = path.join(dir, 'text.html');
  const result = await writeReport({ store: textStore, out });
  const html = await readFile(out, 'utf8');
  assertSelfContained(html);
  assert.equal(result.images, 0, 'no average image');
  assert.equal(result.thumbnails, 0, 'no thumbnail');
  await withApi(textStore, async (api) => {
    const run = await api.run({ runId: textRun });
    assert.equal(run.inputPictures, 'text');
    const cards = cardsOf(html);
    assert.ok(cards.length > 0);
    for (const { layer, patternId, card } of cards) {
      const clusteringId = run.layers.find((l) => l.layer === layer)!.clusterings.at(-1)!.clusteringId;
      const words = (await api.patternWords({ clusteringId })).patterns[patternId]!.word;
      const list = /<ul class="words"[^>]*>(.*?)<\/ul>/.exec(card)![1]!;
      assert.deepEqual(all(list, /<li>([^<]*)<\/li>/g), words.map(escapeHtml));
      assert.doesNotMatch(card, /<img/);
    }
    const leads = await api.labelErrors({ runId: textRun, limit: 25 });
    const texts = await api.inputs({ runId: textRun, index: leads.inputIndex });
    const table = html.slice(html.indexOf('<table class="triage-table">'));
    assert.match(table, /<th>Text<\/th>/);
    const shown = all(table, /<span class="text" title="([^"]*)">/g);
    assert.deepEqual(
      shown,
      texts.content.map((text) => escapeHtml(text!)),
    );
  });
});

test('a report of rows of numbers draws each pattern’s mean row and each lead’s row', async () => {
  const out = path.join(dir, 'numbers.html');
  const result = await writeReport({ store: numeric.store, out, runId: numeric.seriesRun });
  const html = await readFile(out, 'utf8');
  assertSelfContained(html);
  const cards = cardsOf(html);
  assert.equal(result.images, cards.length, 'an image per pattern shown');
  await withApi(numeric.store, async (api) => {
    const run = await api.run({ runId: numeric.seriesRun });
    assert.equal(run.inputPictures, 'series');
    for (const { layer, patternId, card } of cards) {
      const clusteringId = run.layers.find((l) => l.layer === layer)!.clusterings.at(-1)!.clusteringId;
      const { inputIndex, patternId: patterns } = await api.memberships({ clusteringId });
      const members = Array.from(inputIndex).filter((_, row) => patterns[row] === patternId);
      const { mean, low, high } = meanRow(members.map((input) => numeric.rows[input]!));
      const uri = /src="data:image\/png;base64,([^"]+)"/.exec(card)![1]!;
      const decoded = await sharp(Buffer.from(uri, 'base64')).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([decoded.info.width, decoded.info.channels], [96, 3]);
      const off = differing(decoded.data, drawSeries(mean, 96, { low, high }));
      assert.ok(off <= 96, `${layer} pattern ${patternId}: ${off} pixels differ from its mean row drawn`);
    }
    const leads = await api.labelErrors({ runId: numeric.seriesRun, limit: 25 });
    const table = html.slice(html.indexOf('<table class="triage-table">'));
    const thumbnails = all(table, /<img src="data:image\/png;base64,([^"]+)" alt="input \d+">/g);
    assert.equal(thumbnails.length, leads.inputIndex.length);
    assert.equal(result.thumbnails, leads.inputIndex.length);
    for (const [k, input] of leads.inputIndex.entries()) {
      const decoded = await sharp(Buffer.from(thumbnails[k]!, 'base64')).raw().toBuffer();
      assert.equal(differing(decoded, drawSeries(numeric.rows[input]!, 32)), 0, `lead ${input}`);
    }
  });
});
