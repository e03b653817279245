/**
 * A folder of cached files (thumbnails) that only this user can write, bounded by bytes with least-recently
 * used eviction. The folder is made 0700 and refused when it is a link, or owned by someone else; files are
 * opened with O_NOFOLLOW and served only when they are regular files of this user listed in the cache's own
 * index (found at open, or written since), so a link or a file planted in the folder is never served.
 * Writes go to a new file (O_EXCL) and are renamed into place, which replaces whatever name was there.
 */
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';
import { LruCache } from '../results/cache.js';

/** Default budget of a disk cache. */
export const DEFAULT_DISK_CACHE_BYTES = 256 * 1024 * 1024;
/** Largest file the cache keeps: a thumbnail is a few KB; anything far bigger is not ours. */
const MAX_ENTRY_BYTES = 8 * 1024 * 1024;
const ENTRY_NAME = /^[0-9a-f]{40}\.png$/;

/** The per-user cache folder: $XDG_CACHE_HOME/nap-lens/thumbnails, else ~/.cache/nap-lens/thumbnails. */
export function defaultThumbnailCacheDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(base, 'nap-lens', 'thumbnails');
}

const ownUid = typeof process.getuid === 'function' ? process.getuid() : null;

function unsafe(dir: string, why: string): InputError {
  return new InputError(`the thumbnail cache folder ${dir} ${why}`, {
    hint: 'other users could put files there that the server would serve: remove it, or choose a folder of your own (--thumbnail-cache DIR), or --no-disk-cache',
  });
}

export class DiskCache {
  /** Entry name -> size, least recently used first. */
  private readonly index: LruCache<string, number>;
  /** Entries the budget pushed out of the index, whose files are still to be removed. */
  private evicted: string[] = [];

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    this.index = new LruCache<string, number>(
      maxBytes,
      (size) => size,
      (name) => this.evicted.push(name),
    );
  }

  /** Opens (creating) the cache folder after checking that only this user can write it. */
  static async open(dir: string, maxBytes = DEFAULT_DISK_CACHE_BYTES): Promise<DiskCache> {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new InputError(`thumbnail cache size ${maxBytes} is not a byte count`, {
        hint: 'pass a whole number of bytes >= 0',
      });
    }
    const folder = path.resolve(dir);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const info = await lstat(folder);
    if (info.isSymbolicLink()) throw unsafe(folder, 'is a link');
    if (!info.isDirectory()) throw unsafe(folder, 'is not a folder');
    if (ownUid !== null && info.uid !== ownUid) throw unsafe(folder, `belongs to another user (uid ${info.uid})`);
    if ((info.mode & 0o077) !== 0) await chmod(folder, 0o700);
    const cache = new DiskCache(folder, maxBytes);
    await cache.load();
    return cache;
  }

  /** The entries already in the folder, oldest first; the budget evicts the oldest of them. */
  private async load(): Promise<void> {
    const found: { name: string; size: number; mtimeMs: number }[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      const file = path.join(this.dir, entry.name);
      if (entry.name.endsWith('.tmp')) {
        await rm(file, { force: true });
        continue;
      }
      if (!ENTRY_NAME.test(entry.name)) continue;
      const info = await lstat(file).catch(() => null);
      if (info === null || !this.isOurs(info)) {
        await rm(file, { force: true });
        continue;
      }
      found.push({ name: entry.name, size: info.size, mtimeMs: info.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { name, size } of found) this.index.set(name, size);
    await this.removeEvicted();
  }

  private isOurs(info: { isFile(): boolean; uid: number; size: number }): boolean {
    return info.isFile() && (ownUid === null || info.uid === ownUid) && info.size <= MAX_ENTRY_BYTES;
  }

  /** Total bytes of the cached files. */
  get bytes(): number {
    return this.index.weight;
  }

  /** The cached file `name` (40 hex digits + .png), or null. Never follows a link. */
  async get(name: string): Promise<Buffer | null> {
    if (this.index.get(name) === undefined) return null;
    const file = path.join(this.dir, name);
    let handle;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      this.index.delete(name);
      await rm(file, { force: true });
      return null;
    }
    try {
      const info = await handle.stat();
      if (!this.isOurs(info)) {
        this.index.delete(name);
        await rm(file, { force: true });
        return null;
      }
      const data = await handle.readFile();
      // The file's time orders the index when the cache is opened again.
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return data;
    } finally {
      await handle.close();
    }
  }

  /** Stores `data` under `name`; best effort: a failed write only costs a later decode. */
  async set(name: string, data: Buffer): Promise<void> {
    if (!ENTRY_NAME.test(name) || data.length > MAX_ENTRY_BYTES || data.length > this.maxBytes) return;
    const file = path.join(this.dir, name);
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      const handle = await open(
        temporary,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
      this.index.set(name, data.length);
      await this.removeEvicted();
    } catch {
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  }

  private async removeEvicted(): Promise<void> {
    const names = this.evicted;
    this.evicted = [];
    for (const name of names) await rm(path.join(this.dir, name), { force: true }).catch(() => undefined);
  }
}
