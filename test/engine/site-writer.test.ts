/**
 * A static site's bounded number of files (src/engine/site-writer.ts): tables packed up to TABLE_PACK_BYTES
 * and read back where the index says, image sequences streamed into sheets, and sheet sizes that keep every
 * kind of image within its budget for runs far larger than the 70,000-image one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { planParts, SHEET_BUDGET, SheetStream, SiteWriter } from '../../src/engine/site-writer.js';
import { staticPaths, TABLE_PACK_BYTES } from '../../src/results/static/layout.js';
import { blockCell, blockSheets, MAX_SHEET_PIXELS, sheetCellsFor, SHEET_SIZES } from '../../src/results/sprites.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-site-writer-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `bytes` bytes counting up from `seed` (mod 256), so that two tables never read alike. */
function bytesOf(bytes: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, k) => (k + seed) % 256);
}

describe('table packs', () => {
  it('fills a pack up to its bytes, gives a larger table a pack of its own, and says where each lies', async () => {
    const out = path.join(dir, 'packs');
    const site = new SiteWriter(out);
    const MiB = 1024 * 1024;
    const tables = [
      ['a', bytesOf(3 * MiB + 3, 1)],
      ['b', bytesOf(1000, 2)],
      ['c', bytesOf(2 * MiB, 3)],
      ['d', bytesOf(TABLE_PACK_BYTES + 5, 4)],
      ['e', bytesOf(17, 5)],
    ] as const;
    for (const [name, data] of tables) await site.writeTable(name, data);
    await site.finishTables();
    assert.deepEqual(Object.fromEntries(Object.entries(site.tables).map(([name, [pack]]) => [name, pack])), {
      a: 0,
      b: 0,
      c: 1,
      d: 2,
      e: 3,
    });
    assert.deepEqual((await readdir(path.join(out, 'tables'))).sort(), ['0.bin', '1.bin', '2.bin', '3.bin']);
    assert.equal(site.files, 4);
    for (const [name, data] of tables) {
      const [pack, offset, length] = site.tables[name]!;
      assert.equal(offset % 8, 0, `${name} starts on an 8-byte boundary`);
      const file = await readFile(path.join(out, staticPaths.tablePack(pack)));
      assert.ok(file.subarray(offset, offset + length).equals(data), `${name} reads back as written`);
    }
  });
});

describe('image sheets', () => {
  it('streams a sequence of parts into sheets of the chosen size', async () => {
    const out = path.join(dir, 'sheets');
    const site = new SiteWriter(out);
    const stream = new SheetStream(site, 'average', 256, { width: 2, height: 3, channels: 1 });
    const image = (k: number) => Uint8Array.from({ length: 6 }, () => k % 256);
    await stream.addPart(
      7,
      Array.from({ length: 200 }, (_, k) => image(k)),
    );
    await stream.addPart(
      9,
      (async function* () {
        for (let k = 200; k < 300; k++) yield await Promise.resolve(image(k));
      })(),
    );
    const sequence = await stream.finish();
    assert.deepEqual(sequence, { cells: 256, count: 300, parts: { 7: [0, 200], 9: [200, 100] } });
    assert.deepEqual((await readdir(path.join(out, 'images', 'average'))).sort(), ['0.png', '1.png']);
    // Image 270 is cell 14 of the second sheet (44 cells: 16 columns, 3 rows).
    const { sheet, grid, cell } = blockCell(270, 300, 256);
    assert.deepEqual([sheet, grid, cell], [1, { columns: 16, rows: 3 }, 14]);
    const { data, info } = await sharp(path.join(out, staticPaths.sheet('average', 1)))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [16 * 2, 3 * 3]);
    const x = (cell % grid.columns) * 2;
    const y = Math.floor(cell / grid.columns) * 3;
    assert.equal(data[(y * info.width + x) * info.channels], 270 % 256, 'the cell holds image 270');
  });

  it('chooses the smallest sheet that keeps a kind within its budget, and never passes the pixel cap', () => {
    assert.equal(sheetCellsFor(70_000, 28 * 28, SHEET_BUDGET.thumbnails), 256, 'the 70k run keeps sheets of 256');
    assert.equal(sheetCellsFor(400 * 256 + 1, 28 * 28, SHEET_BUDGET.thumbnails), 1024);
    assert.equal(sheetCellsFor(10_000_000, 28 * 28, 400), 16_384);
    assert.equal(sheetCellsFor(10_000_000, 64 * 64, 400), 4096, '64-pixel cells: 4096 x 4096 px at most');
    assert.equal(sheetCellsFor(10_000_000, 512 * 512, 400), 256, 'one sheet of 256 is always allowed');
    for (const cells of SHEET_SIZES) {
      const { grid } = blockCell(0, cells, cells);
      assert.equal(grid.columns, grid.rows, `a full sheet of ${cells} is square`);
      if (cells > 256) assert.ok(cells * 28 * 28 <= MAX_SHEET_PIXELS);
    }
  });

  it('keeps every kind of image within its budget for runs of many layers, clusterings and patterns', () => {
    // [inputs, layer-wide clusterings, share of inputs in a pattern, thumbnail side, patterns per clustering]
    const runs = [
      [70_000, 3, 0.6, 28, 400],
      [70_000, 12, 1, 28, 1_500],
      [70_000, 40, 1, 64, 3_000],
      [200_000, 100, 0.95, 64, 5_000],
      [1_000_000, 20, 1, 64, 1_000],
    ] as const;
    for (const [inputs, clusterings, share, side, patterns] of runs) {
      const name = `${inputs} inputs, ${clusterings} clusterings`;
      const thumbnails = blockSheets(inputs, sheetCellsFor(inputs, side * side, SHEET_BUDGET.thumbnails));
      const parts = Array.from({ length: clusterings }, (_, k) => [k, Math.round(inputs * share)] as const);
      const members = planParts('members', parts, side * side);
      const averages = planParts(
        'average',
        parts.map(([k]) => [k, patterns] as const),
        28 * 28,
      );
      const files =
        thumbnails + blockSheets(members.count, members.cells) + blockSheets(averages.count, averages.cells);
      assert.ok(thumbnails <= SHEET_BUDGET.thumbnails, `${name}: ${thumbnails} thumbnail sheets`);
      assert.ok(blockSheets(members.count, members.cells) <= SHEET_BUDGET.members, `${name}: member sheets`);
      assert.ok(files <= 1_500, `${name}: ${files} image files`);
      // Members of the layer-wide clusterings come first and whole; those past the budget are left out.
      const kept = Object.keys(members.parts).length;
      assert.ok(kept >= 1, `${name}: members of ${kept} clusterings`);
      assert.deepEqual(members.parts[0], [0, parts[0]![1]]);
      if (kept < clusterings)
        assert.ok(
          members.count + parts[kept]![1] > members.cells * SHEET_BUDGET.members,
          `${name}: the next clustering would not fit`,
        );
      assert.equal(Object.keys(averages.parts).length, clusterings, `${name}: every average image`);
    }
  });
});
