/**
 * Unreadable files with image extensions (text, truncated PNG/JPEG/WebP, zero bytes), folders without
 * images and datasets where nothing can be read: each is skipped and reported, or refused with a message
 * that names it, through analyze() and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { InputError } from '../../src/errors.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { makeTempDir, readRun, reciprocalModel, runCli, runStatuses, writeUniformImage } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let model: string;
let clean: string;
let dirty: string;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];
const BAD_FILES = ['a/text.png', 'a/truncated.png', 'b/zero.jpg', 'b/truncated.jpg', 'b/truncated.webp', 'b/zero.webp'];

before(async () => {
  ({ dir, cleanup } = await makeTempDir('nap-bad-images-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  clean = path.join(dir, 'clean');
  dirty = path.join(dir, 'dirty');
  for (let i = 0; i < 16; i++) {
    const value = 20 + i * 13;
    await writeUniformImage(path.join(clean, i % 2 ? 'a' : 'b', `${i}.png`), [value, value, value], 'gray', {
      width: 6 + i,
      height: 5,
    });
  }
  await mkdir(path.join(dirty, 'a'), { recursive: true });
  await mkdir(path.join(dirty, 'b'), { recursive: true });
  for (let i = 0; i < 16; i++)
    await copyFile(path.join(clean, i % 2 ? 'a' : 'b', `${i}.png`), path.join(dirty, i % 2 ? 'a' : 'b', `${i}.png`));
  const truncated = async (source: string, target: string, mode: 'jpeg' | 'webp' | 'rgb') => {
    await writeUniformImage(source, [90, 120, 200], mode, { width: 32, height: 32 });
    const bytes = await readFile(source);
    await writeFile(target, bytes.subarray(0, Math.floor(bytes.length / 2)));
  };
  await writeFile(path.join(dirty, 'a/text.png'), 'hello, I am not a picture\n');
  await truncated(path.join(dir, 'whole.png'), path.join(dirty, 'a/truncated.png'), 'rgb');
  await truncated(path.join(dir, 'whole.jpg'), path.join(dirty, 'b/truncated.jpg'), 'jpeg');
  await truncated(path.join(dir, 'whole.webp'), path.join(dirty, 'b/truncated.webp'), 'webp');
  await writeFile(path.join(dirty, 'b/zero.jpg'), new Uint8Array(0));
  await writeFile(path.join(dirty, 'b/zero.webp'), new Uint8Array(0));
});

after(async () => {
  await cleanup();
});

const relative = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

test("unreadable files are skipped and reported; the readable ones give exactly the clean folder's result", async () => {
  const cleanOut = path.join(dir, 'clean.duckdb');
  const dirtyOut = path.join(dir, 'dirty.duckdb');
  const reference = await analyze({ model, data: clean, out: cleanOut, layers: LAYERS });
  const result = await analyze({ model, data: dirty, out: dirtyOut, layers: LAYERS });
  assert.deepEqual(reference.skipped, []);
  assert.deepEqual(result.skipped.map((s) => relative(dirty, s.path)).sort(), [...BAD_FILES].sort());
  for (const skipped of result.skipped) assert.ok(skipped.reason.length > 0, `${skipped.path} has a reason`);

  const expected = await readRun(cleanOut, reference.runId);
  const actual = await readRun(dirtyOut, result.runId);
  assert.equal(actual.status, 'complete');
  assert.deepEqual(
    actual.paths.map((p) => relative(dirty, p)),
    expected.paths.map((p) => relative(clean, p)),
    'the same inputs, in the same order',
  );
  for (const layer of LAYERS) {
    const want = expected.layers.get(layer)!;
    const got = actual.layers.get(layer)!;
    for (const [file, row] of want.rowOf) {
      assert.deepEqual(
        got.rowOf.get(path.join(dirty, relative(clean, file))),
        row,
        `${layer} of ${relative(clean, file)}`,
      );
    }
    assert.deepEqual(got.patternId, want.patternId, `${layer}: same patterns`);
  }
});

test('names that are not valid UTF-8 (a file, a folder) are left out and reported, never a crash', async () => {
  const odd = path.join(dir, 'odd-names');
  for (let i = 0; i < 16; i++) {
    const folder = path.join(odd, i % 2 ? 'a' : 'b');
    await mkdir(folder, { recursive: true });
    await copyFile(path.join(clean, i % 2 ? 'a' : 'b', `${i}.png`), path.join(folder, `${i}.png`));
  }
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
  const image = await readFile(path.join(clean, 'a', '1.png'));
  await writeFile(bytes(odd, '/a/latin1-', [0xe9, 0xff], '.png'), image);
  await mkdir(bytes(odd, '/', [0xc3, 0x28]));
  await writeFile(bytes(odd, '/', [0xc3, 0x28], '/inside.png'), image);

  const reference = await analyze({ model, data: clean, out: path.join(dir, 'odd-reference.duckdb'), layers: LAYERS });
  const result = await analyze({ model, data: odd, out: path.join(dir, 'odd.duckdb'), layers: LAYERS });
  assert.equal(result.skipped.length, 2, JSON.stringify(result.skipped));
  for (const skipped of result.skipped)
    assert.match(skipped.reason, /name is not valid UTF-8 \(bytes [0-9a-f]+\); rename/);
  assert.deepEqual(
    result.layers.map((layer) => [layer.layer, layer.inputs, layer.patterns]),
    reference.layers.map((layer) => [layer.layer, layer.inputs, layer.patterns]),
    'the other images give the result of the folder without the odd names',
  );
  const cli = await runCli(['analyze', '--model', model, '--data', odd, '--out', path.join(dir, 'odd-cli.duckdb')]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /2 unreadable images were skipped, e\.g\. .*: the (file|folder) name is not valid UTF-8/);
});

test('--fail-on-bad-image stops at the first unreadable file and names it', async () => {
  await assert.rejects(
    analyze({ model, data: dirty, out: path.join(dir, 'fail.duckdb'), layers: LAYERS, onBadImage: 'fail' }),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /cannot (read|decode) image .*(text|truncated|zero)\.(png|jpg|webp)/);
      return true;
    },
  );
  const cli = await runCli([
    'analyze',
    '--model',
    model,
    '--data',
    dirty,
    '--out',
    path.join(dir, 'fail-cli.duckdb'),
    '--layers',
    LAYERS.join(','),
    '--fail-on-bad-image',
    '--quiet',
  ]);
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(cli.stderr, /^nap analyze: cannot (read|decode) image \S*(text|truncated|zero)\.(png|jpg|webp)/m);
  assert.doesNotMatch(cli.stderr, /\n\s+at /, 'no stack trace');
});

test('a model that gives Inf for an all-zero input does not trip over the rows of skipped images', async () => {
  const inverse = path.join(dir, 'reciprocal.onnx');
  await writeFile(inverse, reciprocalModel());
  const out = path.join(dir, 'reciprocal.duckdb');
  // Every readable image is at least 20/255, so 1/x is finite for all of them; unreadable ones are fed as zeros.
  const result = await analyze({ model: inverse, data: dirty, out, layers: ['inverse'] });
  assert.equal(result.skipped.length, BAD_FILES.length);
  const stored = await readRun(out, result.runId);
  const layer = stored.layers.get('inverse')!;
  assert.equal(layer.rowOf.size, 16);
  for (const [file, row] of layer.rowOf) {
    const value = 20 + Number(path.basename(file, '.png')) * 13;
    // 1/x normalized by its largest value (that of the darkest image, 20): 20 / value.
    assert.ok(
      row.every((v) => Math.abs(v - 20 / value) < 1e-5),
      `${relative(dirty, file)}: ${row[0]} vs ${20 / value}`,
    );
  }
});

test('a dataset where nothing can be read is refused with an example, and the run is marked failed', async () => {
  const unreadable = path.join(dir, 'unreadable');
  await mkdir(path.join(unreadable, 'only'), { recursive: true });
  for (let i = 0; i < 6; i++) await writeFile(path.join(unreadable, 'only', `${i}.png`), i % 2 ? '' : 'not a png');
  const out = path.join(dir, 'unreadable.duckdb');
  await assert.rejects(analyze({ model, data: unreadable, out, layers: LAYERS }), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /none of the 6 inputs of \S+unreadable could be read \(e\.g\. \S+only\/[0-5]\.png: /);
    return true;
  });
  assert.deepEqual(await runStatuses(out), ['failed']);
});

test('a folder without images is refused before anything runs, through the CLI too', async () => {
  const empty = path.join(dir, 'empty');
  await mkdir(path.join(empty, 'cats', 'nested'), { recursive: true });
  await writeFile(path.join(empty, 'cats', 'notes.txt'), 'no pictures here');
  await writeFile(path.join(empty, 'cats', 'picture.gif.bak'), 'neither');
  await writeFile(path.join(empty, '.hidden.png'), 'hidden files are not items');
  await assert.rejects(analyze({ model, data: empty, out: path.join(dir, 'empty.duckdb') }), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /image folder \S+empty holds no images/);
    assert.match(error.hint ?? '', /\.png/);
    return true;
  });
  const cli = await runCli([
    'analyze',
    '--model',
    model,
    '--data',
    empty,
    '--out',
    path.join(dir, 'empty-cli.duckdb'),
    '--quiet',
  ]);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /^nap analyze: image folder \S+empty holds no images\n\s+put images/m);
});

test('an unreadable image listed twice (explicit indices) is skipped at both places, never kept as a black input', async () => {
  const dataset = await openDataset(dirty);
  const bad = dataset.items.find((item) => item.path.endsWith('text.png'))!.index;
  const good = dataset.items
    .filter((item) => !BAD_FILES.includes(relative(dirty, item.path)))
    .map((item) => item.index);
  const out = path.join(dir, 'twice.duckdb');
  const result = await analyze({
    model,
    data: dirty,
    out,
    layers: LAYERS,
    indices: [bad, ...good.slice(0, 3), bad, ...good.slice(3)],
  });
  assert.deepEqual(
    result.skipped.map((s) => relative(dirty, s.path)),
    ['a/text.png', 'a/text.png'],
  );
  const stored = await readRun(out, result.runId);
  assert.equal(stored.paths.length, good.length);
  assert.ok(!stored.paths.some((p) => p.endsWith('text.png')));
});
