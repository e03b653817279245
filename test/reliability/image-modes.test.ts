/**
 * Images of mixed sizes and modes (gray, gray + alpha, RGBA, palette, 16-bit gray and RGB, JPEG, WebP,
 * CMYK JPEG) in one folder: each decodes to the pixels its plain 8-bit RGB twin has, and analyze gives
 * both the same activations, for gray and RGB models.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { assertClose, makeTempDir, readRun, writeUniformImage, type ImageMode } from './fixtures.js';

/** Each odd mode at an odd size; `tolerance` in 8-bit levels (lossy JPEG may be off by one). */
const CASES: { mode: ImageMode; size: { width: number; height: number }; tolerance: number }[] = [
  { mode: 'gray', size: { width: 1, height: 1 }, tolerance: 0 },
  { mode: 'gray-alpha', size: { width: 3, height: 50 }, tolerance: 0 },
  { mode: 'rgba', size: { width: 50, height: 3 }, tolerance: 0 },
  { mode: 'palette', size: { width: 37, height: 5 }, tolerance: 0 },
  { mode: 'gray16', size: { width: 301, height: 2 }, tolerance: 0 },
  { mode: 'rgb16', size: { width: 5, height: 5 }, tolerance: 0 },
  { mode: 'jpeg', size: { width: 64, height: 48 }, tolerance: 1 },
  { mode: 'webp', size: { width: 2, height: 9 }, tolerance: 0 },
];
const EXTENSION: Record<ImageMode, string> = {
  rgb: 'png',
  gray: 'png',
  'gray-alpha': 'png',
  rgba: 'png',
  palette: 'png',
  gray16: 'png',
  rgb16: 'png',
  'cmyk-jpeg': 'jpg',
  jpeg: 'jpg',
  webp: 'webp',
};
const GRAY_MODES: ImageMode[] = ['gray', 'gray-alpha', 'gray16'];

let dir: string;
let cleanup: () => Promise<void>;
let folder: string;

const colorOf = (i: number): [number, number, number] => [200 - i * 17, 30 + i * 23, 90 + i * 11];
/** What a case must decode to: its colour, or its red value in every channel for the gray modes. */
const expectedColor = (i: number): [number, number, number] => {
  const [r, g, b] = colorOf(i);
  return GRAY_MODES.includes(CASES[i]!.mode) ? [r, r, r] : [r, g, b];
};
const oddFile = (i: number) => path.join(folder, CASES[i]!.mode, `odd.${EXTENSION[CASES[i]!.mode]}`);
const twinFile = (i: number) => path.join(folder, CASES[i]!.mode, 'twin.png');

before(async () => {
  ({ dir, cleanup } = await makeTempDir('nap-image-modes-'));
  folder = path.join(dir, 'images');
  for (const [i, { mode, size }] of CASES.entries()) {
    await writeUniformImage(oddFile(i), colorOf(i), mode, size);
    await writeUniformImage(twinFile(i), expectedColor(i), 'rgb');
  }
  await writeUniformImage(path.join(folder, 'cmyk', 'white.jpg'), [255, 255, 255], 'cmyk-jpeg', {
    width: 9,
    height: 7,
  });
  await writeUniformImage(path.join(folder, 'cmyk', 'gray.jpg'), [128, 128, 128], 'cmyk-jpeg', { width: 7, height: 9 });
});

after(async () => {
  await cleanup();
});

test('every mode and size decodes to the 8-bit RGB pixels of its plain twin', async () => {
  const dataset = await openDataset(folder);
  const itemOf = new Map(dataset.items.map((item) => [item.path, item.index]));
  for (const [i, { mode, tolerance }] of CASES.entries()) {
    const pixels = await dataset.pixels(itemOf.get(oddFile(i))!, { width: 4, height: 4 }, 3);
    const expected = Array.from({ length: 16 }, () => expectedColor(i)).flat();
    assertClose(pixels, expected, tolerance, `${mode} decodes to ${expectedColor(i).join(',')}`);
  }
  // CMYK goes through a colour profile, so the colours shift a little; an inverted or channel-dropping
  // decoder would turn white dark and gray coloured.
  const white = await dataset.pixels(itemOf.get(path.join(folder, 'cmyk', 'white.jpg'))!, { width: 4, height: 4 }, 3);
  assert.ok(
    white.every((v) => v >= 250),
    `white CMYK stays white: ${white.slice(0, 3).join(',')}`,
  );
  const gray = await dataset.pixels(itemOf.get(path.join(folder, 'cmyk', 'gray.jpg'))!, { width: 4, height: 4 }, 3);
  assertClose(gray, new Array(48).fill(128), 24, 'mid-gray CMYK stays mid-gray');
  assert.ok(Math.max(...gray) - Math.min(...gray) <= 6, `mid-gray CMYK stays neutral: ${gray.slice(0, 3).join(',')}`);
});

test('analyze reads every mode and size, giving each the activations of its twin (RGB and gray models)', async () => {
  for (const channels of [3, 1]) {
    const model = path.join(dir, `tiny-${channels}.onnx`);
    await writeFile(model, tinyConvNet({ channels }));
    const out = path.join(dir, `modes-${channels}.duckdb`);
    const result = await analyze({
      model,
      data: folder,
      out,
      layers: [TINY.relu, TINY.pool, TINY.logits],
      clustering: { minClusterSize: 2 },
    });
    assert.deepEqual(result.skipped, [], `channels ${channels}: nothing skipped`);
    const stored = await readRun(out, result.runId);
    assert.equal(stored.paths.length, CASES.length * 2 + 2);
    for (const [layer, { rowOf }] of stored.layers) {
      for (const row of rowOf.values()) assert.ok(row.every(Number.isFinite), `${layer}: finite`);
      for (const [i, { mode, tolerance }] of CASES.entries()) {
        // One 8-bit level is at most 1/20 of the smallest normalized value here.
        assertClose(
          rowOf.get(oddFile(i))!,
          rowOf.get(twinFile(i))!,
          tolerance === 0 ? 1e-6 : 0.05,
          `channels ${channels}, ${layer}: ${mode} = its twin`,
        );
      }
    }
    // Filter 0 copies channel 0 (red for RGB, luma for gray), so unit 0's means are in the ratio of those values.
    const relu = stored.layers.get(TINY.relu)!.rowOf;
    const channel0 = CASES.map((_, i) => (channels === 3 ? expectedColor(i)[0] : luma(expectedColor(i))));
    for (const [i, { mode }] of CASES.entries()) {
      const ratio = relu.get(twinFile(i))![0]! / relu.get(twinFile(0))![0]!;
      assert.ok(
        Math.abs(ratio - channel0[i]! / channel0[0]!) < 1e-5,
        `channels ${channels}: unit 0 of ${mode}'s twin is ${ratio}, expected ${channel0[i]! / channel0[0]!}`,
      );
    }
  }
});

/** PIL's convert('L') in the same fixed point as the decoder. */
function luma([r, g, b]: [number, number, number]): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}
