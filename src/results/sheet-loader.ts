/**
 * Images drawn from sprite sheets (sprites.ts), in the browser: tiles ask a SheetLoader for their image by a
 * numeric key (an input index, a pattern id); the loader gathers the keys asked for within one moment
 * (the tiles of the visible window and its margin), has the data source plan the fewest sheets holding
 * them, fetches those, and drops a fetch whose tiles all left the screen before it arrived (fast scroll).
 */
import type { SheetGrid } from './sprites.js';

/** A sheet to fetch and the cell of each key in it. */
export interface SheetPlan {
  url: string;
  grid: SheetGrid;
  cells: Map<number, number>;
}

/** Plans sheets that hold every key (keys no sheet holds are left out and show as missing). */
export type SheetPlanner = (keys: readonly number[]) => Promise<SheetPlan[]>;

/** One image: a cell of a fetched sheet (`url` is its object URL). */
export interface SheetCell {
  url: string;
  grid: SheetGrid;
  cell: number;
}

/** The image of a key: a cell, or null when it cannot be had. */
type Listener = (cell: SheetCell | null) => void;

interface Sheet {
  plan: SheetPlan;
  controller: AbortController;
  /** The object URL once fetched; null when the fetch failed. */
  loaded?: string | null;
}

/** Keys asked for until this many milliseconds pass without a new one share sheets (a grid mounts its
 * tiles over a render or two), but never waiting longer than GATHER_MAX_MS. */
const GATHER_MS = 16;
const GATHER_MAX_MS = 64;

export class SheetLoader {
  private readonly waiting = new Map<number, Set<Listener>>();
  /** Keys waiting for the next plan. */
  private readonly unplanned = new Set<number>();
  private readonly sheetOf = new Map<number, Sheet>();
  /** Sheets by URL, so that two plans naming one file (a static export's) fetch it once. */
  private readonly byUrl = new Map<string, Sheet>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private gatherStart = 0;

  constructor(
    private readonly plan: SheetPlanner,
    private readonly fetchSheet: (url: string, signal: AbortSignal) => Promise<Blob> = defaultFetch,
  ) {}

  /** Calls `listener` with the key's image once (at once when it is here); returns the cancel. */
  request(key: number, listener: Listener): () => void {
    const sheet = this.sheetOf.get(key);
    if (sheet?.loaded !== undefined) {
      listener(
        sheet.loaded === null ? null : { url: sheet.loaded, grid: sheet.plan.grid, cell: sheet.plan.cells.get(key)! },
      );
      return () => undefined;
    }
    let listeners = this.waiting.get(key);
    if (listeners === undefined) this.waiting.set(key, (listeners = new Set()));
    listeners.add(listener);
    if (sheet === undefined) {
      this.unplanned.add(key);
      this.schedule();
    }
    return () => this.cancel(key, listener);
  }

  private cancel(key: number, listener: Listener): void {
    const listeners = this.waiting.get(key);
    if (listeners === undefined) return;
    listeners.delete(listener);
    if (listeners.size > 0) return;
    this.waiting.delete(key);
    this.unplanned.delete(key);
    const sheet = this.sheetOf.get(key);
    if (sheet === undefined || sheet.loaded !== undefined) return;
    // A sheet still on its way that no tile waits for any more is dropped (and asked again when needed).
    if ([...sheet.plan.cells.keys()].some((k) => this.waiting.has(k))) return;
    sheet.controller.abort();
    this.byUrl.delete(sheet.plan.url);
    for (const k of sheet.plan.cells.keys()) if (this.sheetOf.get(k) === sheet) this.sheetOf.delete(k);
  }

  private schedule(): void {
    const now = performance.now();
    if (this.timer === null) this.gatherStart = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(GATHER_MS, this.gatherStart + GATHER_MAX_MS - now));
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const keys = [...this.unplanned];
    this.unplanned.clear();
    let plans: SheetPlan[];
    try {
      plans = await this.plan(keys);
    } catch {
      plans = [];
    }
    const planned = new Set<number>();
    for (const plan of plans) {
      for (const key of plan.cells.keys()) planned.add(key);
      if (![...plan.cells.keys()].some((key) => this.waiting.has(key) && !this.sheetOf.has(key))) continue;
      const known = this.byUrl.get(plan.url);
      if (known !== undefined) {
        for (const [key, cell] of plan.cells) {
          if (this.sheetOf.has(key)) continue;
          known.plan.cells.set(key, cell);
          this.sheetOf.set(key, known);
          if (known.loaded !== undefined)
            this.settle(key, known.loaded === null ? null : { url: known.loaded, grid: known.plan.grid, cell });
        }
        continue;
      }
      const sheet: Sheet = { plan, controller: new AbortController() };
      this.byUrl.set(plan.url, sheet);
      for (const key of plan.cells.keys()) if (!this.sheetOf.has(key)) this.sheetOf.set(key, sheet);
      void this.load(sheet);
    }
    for (const key of keys) if (!planned.has(key)) this.settle(key, null);
  }

  private async load(sheet: Sheet): Promise<void> {
    try {
      const blob = await this.fetchSheet(sheet.plan.url, sheet.controller.signal);
      sheet.loaded = URL.createObjectURL(blob);
    } catch {
      if (sheet.controller.signal.aborted) return;
      sheet.loaded = null;
    }
    for (const [key, cell] of sheet.plan.cells) {
      if (this.sheetOf.get(key) !== sheet) continue;
      this.settle(key, sheet.loaded === null ? null : { url: sheet.loaded, grid: sheet.plan.grid, cell });
    }
  }

  private settle(key: number, cell: SheetCell | null): void {
    const listeners = this.waiting.get(key);
    this.waiting.delete(key);
    for (const listener of listeners ?? []) listener(cell);
  }
}

async function defaultFetch(url: string, signal: AbortSignal): Promise<Blob> {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.blob();
}
