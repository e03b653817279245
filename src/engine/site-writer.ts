/**
 * Writing a static site's data folder (src/results/static/layout.ts) with a bounded number of files: tables
 * go into packs of up to TABLE_PACK_BYTES, images into sprite sheets streamed one sequence per kind.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeSheet } from '../results/node/sprite-sheet.js';
import { staticPaths, TABLE_PACK_BYTES, type SheetKind, type SheetSequence } from '../results/static/layout.js';
import { SHEET_CELLS, sheetCellsFor, sheetColumns } from '../results/sprites.js';

/**
 * The most sheets of each kind of image. With the table packs and the app's files a site stays within
 * 2,000 files, unless a kind's sheets reach MAX_SHEET_PIXELS first (more than 1.6 million thumbnails of 64
 * pixels); member sheets then leave out the clusterings that do not fit (their galleries draw from the
 * thumbnails' sheets).
 */
export const SHEET_BUDGET: Readonly<Record<SheetKind, number>> = {
  thumbnails: 400,
  members: 800,
  average: 100,
  heatmap: 200,
  features: 100,
};

/** Bytes of a table's start within a pack are a multiple of this (Arrow's alignment). */
const TABLE_ALIGN = 8;

/** Writes files under the data folder, counting them, and packs tables (see the top of this file). */
export class SiteWriter {
  files = 0;
  bytes = 0;
  /** Where each table lies: StaticResults.tables. */
  readonly tables: Record<string, [number, number, number]> = {};
  private pack: Uint8Array[] = [];
  private packBytes = 0;
  private packs = 0;

  constructor(private readonly dataDir: string) {}

  async write(relative: string, data: string | Uint8Array): Promise<void> {
    const file = path.join(this.dataDir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    this.files++;
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  }

  /** Adds table `name` to the current pack, first writing the pack when the table would take it past its bytes. */
  async writeTable(name: string, data: Uint8Array): Promise<void> {
    if (this.packBytes > 0 && this.packBytes + data.length > TABLE_PACK_BYTES) await this.finishTables();
    this.tables[name] = [this.packs, this.packBytes, data.length];
    const padded = Math.ceil(data.length / TABLE_ALIGN) * TABLE_ALIGN;
    this.pack.push(data);
    if (padded > data.length) this.pack.push(new Uint8Array(padded - data.length));
    this.packBytes += padded;
  }

  /** Writes the pack being filled, if any. */
  async finishTables(): Promise<void> {
    if (this.packBytes === 0) return;
    await this.write(staticPaths.tablePack(this.packs), Buffer.concat(this.pack));
    this.packs++;
    this.pack = [];
    this.packBytes = 0;
  }
}

/** The image format of one kind's sheets. */
export interface CellFormat {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/**
 * One kind of image written as a sequence of sprite sheets: images are added in sequence order, and each
 * full sheet is encoded and written at once. Parts (a clustering's images) are recorded for the layout.
 */
export class SheetStream {
  private cells: (Uint8Array | null)[] = [];
  private sheet = 0;
  private count = 0;
  private readonly parts: Record<string, [number, number]> = {};

  constructor(
    private readonly site: SiteWriter,
    private readonly kind: SheetKind,
    /** Cells per sheet (sprites.ts SHEET_SIZES). */
    readonly sheetCells: number,
    private readonly format: CellFormat,
  ) {}

  /** A stream whose sheets keep `count` images (at most; fewer may come) within the kind's budget. */
  static forCount(site: SiteWriter, kind: SheetKind, count: number, format: CellFormat): SheetStream {
    const cells = sheetCellsFor(count, format.width * format.height, SHEET_BUDGET[kind]);
    return new SheetStream(site, kind, cells, format);
  }

  /** Adds the images of one part (keyed by clustering id, or layer name) in order. */
  async addPart(
    key: number | string,
    images: readonly (Uint8Array | null)[] | AsyncIterable<Uint8Array | null>,
  ): Promise<void> {
    const start = this.count;
    if (Symbol.asyncIterator in images) for await (const image of images) await this.add(image);
    else for (const image of images) await this.add(image);
    this.parts[key] = [start, this.count - start];
  }

  async add(image: Uint8Array | null): Promise<void> {
    this.cells.push(image);
    this.count++;
    if (this.cells.length === this.sheetCells) await this.flush();
  }

  /** Writes the last, partly filled sheet; returns the sequence for StaticResults.sheets. */
  async finish(): Promise<SheetSequence> {
    if (this.cells.length > 0) await this.flush();
    return { cells: this.sheetCells, count: this.count, parts: this.parts };
  }

  private async flush(): Promise<void> {
    const { width, height, channels } = this.format;
    const png = await encodeSheet(this.cells, width, height, channels, sheetColumns(this.sheetCells));
    this.cells = [];
    await this.site.write(staticPaths.sheet(this.kind, this.sheet++), png);
  }
}

/** A sequence made of parts (a clustering's images each): cells per sheet, and each part's place in it. */
export interface PartsPlan {
  cells: number;
  count: number;
  parts: Record<string, [number, number]>;
}

/**
 * Plans a kind's sequence of parts ([key, images] in order) of `cellPixels`-pixel images within its budget
 * of sheets: every part with a part of no images left out, unless even sheets of the largest size allowed
 * cannot hold them all; then the parts that fit, in order.
 */
export function planParts(
  kind: SheetKind,
  parts: readonly (readonly [number, number])[],
  cellPixels: number,
): PartsPlan {
  const total = parts.reduce((sum, [, count]) => sum + count, 0);
  const cells = sheetCellsFor(total, cellPixels, SHEET_BUDGET[kind]);
  const room = cells * SHEET_BUDGET[kind];
  const plan: PartsPlan = { cells, count: 0, parts: {} };
  for (const [key, count] of parts) {
    if (count === 0 || plan.count + count > room) continue;
    plan.parts[key] = [plan.count, count];
    plan.count += count;
  }
  return plan;
}

/** A kind without images. */
export const NO_SHEETS: SheetSequence = { cells: SHEET_CELLS, count: 0, parts: {} };
