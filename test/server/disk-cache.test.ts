/**
 * The thumbnail disk cache: in a folder of this user's (0700, refused when it is a link or another user's),
 * never serving a link or a file planted in it, and bounded by bytes, least recently used first.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { InputError } from '../../src/errors.js';
import { DiskCache, defaultThumbnailCacheDir } from '../../src/server/disk-cache.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer } from '../../src/server/server.js';
import { buildFixture, SECRET, type Fixture } from './fixture.js';

const isRoot = process.getuid?.() === 0;
const entry = (n: number) => `${n.toString(16).padStart(40, '0')}.png`;

describe('thumbnail disk cache', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await buildFixture('nap-disk-cache-');
  });
  after(() => fixture.cleanup());

  async function thumbnail(cacheDir: string): Promise<Buffer> {
    const server = await startServer({
      store: fixture.storePath,
      port: 0,
      appDir: fixture.appDir,
      thumbnailCacheDir: cacheDir,
      imageCacheBytes: 0,
    });
    try {
      const response = await fetch(server.url + apiPaths.thumbnail(fixture.runId, 3, 32));
      assert.equal(response.status, 200);
      return Buffer.from(await response.arrayBuffer());
    } finally {
      await server.close();
    }
  }

  it('is per user by default, outside the shared temp folder', () => {
    assert.equal(
      defaultThumbnailCacheDir({ XDG_CACHE_HOME: '/home/ann/.xdg' }, '/home/ann'),
      '/home/ann/.xdg/nap-lens/thumbnails',
    );
    assert.equal(defaultThumbnailCacheDir({}, '/home/ann'), '/home/ann/.cache/nap-lens/thumbnails');
    assert.ok(!defaultThumbnailCacheDir().startsWith(path.join(os.tmpdir(), path.sep)));
  });

  it('makes its folder 0700, also one that existed open to others', async () => {
    const fresh = path.join(fixture.dir, 'fresh', 'thumbnails');
    await DiskCache.open(fresh);
    assert.equal(lstatSync(fresh).mode & 0o777, 0o700);
    const open = path.join(fixture.dir, 'open-to-all');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await DiskCache.open(open);
    assert.equal(lstatSync(open).mode & 0o777, 0o700);
  });

  it('refuses a folder that is a link, or that belongs to another user', async () => {
    const real = path.join(fixture.dir, 'real-folder');
    mkdirSync(real);
    const link = path.join(fixture.dir, 'linked-folder');
    symlinkSync(real, link);
    await assert.rejects(DiskCache.open(link), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /linked-folder is a link/);
      return true;
    });
    await assert.rejects(
      startServer({ store: fixture.storePath, port: 0, appDir: fixture.appDir, thumbnailCacheDir: link }),
      /is a link/,
    );
    if (isRoot) {
      const foreign = path.join(fixture.dir, 'foreign');
      mkdirSync(foreign, { mode: 0o777 });
      chownSync(foreign, 12345, 12345);
      await assert.rejects(DiskCache.open(foreign), /foreign belongs to another user \(uid 12345\)/);
    }
  });

  it('never serves a link or a file someone else put in it', async () => {
    const cacheDir = path.join(fixture.dir, 'planted');
    const genuine = await thumbnail(cacheDir);
    const [name] = readdirSync(cacheDir).filter((file) => file.endsWith('.png'));
    assert.ok(name, 'the thumbnail was cached');
    const secret = path.join(fixture.dir, 'secret.txt');

    await rm(path.join(cacheDir, name));
    symlinkSync(secret, path.join(cacheDir, name));
    const throughLink = await thumbnail(cacheDir);
    assert.ok(!throughLink.includes(SECRET), 'a link in the cache is not followed');
    assert.deepEqual(throughLink, genuine, 'the thumbnail is made again from the dataset');
    assert.ok(!lstatSync(path.join(cacheDir, name)).isSymbolicLink(), 'the link was replaced');

    if (isRoot) {
      const planted = path.join(cacheDir, name);
      writeFileSync(planted, SECRET);
      chownSync(planted, 12345, 12345);
      const fromOther = await thumbnail(cacheDir);
      assert.ok(!fromOther.includes(SECRET), 'a file of another user is not served');
      assert.deepEqual(fromOther, genuine);
    }
  });

  it('holds at most its byte budget, dropping the least recently used files first', async () => {
    const dir = path.join(fixture.dir, 'bounded');
    const cache = await DiskCache.open(dir, 300);
    const png = (n: number) => Buffer.alloc(100, n);
    for (let n = 1; n <= 4; n++) await cache.set(entry(n), png(n));
    assert.deepEqual(readdirSync(dir).sort(), [entry(2), entry(3), entry(4)]);
    assert.equal(cache.bytes, 300);
    assert.deepEqual(await cache.get(entry(2)), png(2), 'a read makes 2 the most recent');
    await cache.set(entry(5), png(5));
    assert.deepEqual(readdirSync(dir).sort(), [entry(2), entry(4), entry(5)]);
    assert.equal(await cache.get(entry(3)), null);

    // Opened again with a smaller budget, it keeps the most recently used files (by their times).
    utimesSync(path.join(dir, entry(4)), new Date(1000), new Date(1000));
    const smaller = await DiskCache.open(dir, 200);
    assert.deepEqual(readdirSync(dir).sort(), [entry(2), entry(5)]);
    assert.equal(smaller.bytes, 200);
    await smaller.set(entry(6), Buffer.alloc(250));
    assert.equal(await smaller.get(entry(6)), null, 'a file over the whole budget is not kept');
    assert.ok(readdirSync(dir).every((file) => !file.endsWith('.tmp')));
  });

  it('the server keeps the cache within --thumbnail-cache-mb', async () => {
    const dir = path.join(fixture.dir, 'server-bounded');
    const size = (await sharp(await thumbnail(dir)).metadata()).size ?? 0;
    const budget = 3 * 1024;
    const server = await startServer({
      store: fixture.storePath,
      port: 0,
      appDir: fixture.appDir,
      thumbnailCacheDir: dir,
      thumbnailCacheBytes: budget,
      imageCacheBytes: 0,
    });
    try {
      for (let input = 0; input < 40; input++) {
        const response = await fetch(server.url + apiPaths.thumbnail(fixture.runId, input, 32));
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }
    } finally {
      await server.close();
    }
    const bytes = readdirSync(dir).reduce((sum, file) => sum + lstatSync(path.join(dir, file)).size, 0);
    assert.ok(size > 0 && bytes <= budget, `${bytes} bytes cached, budget ${budget}`);
    assert.ok(readdirSync(dir).length >= 2, 'the budget is used');
  });
});
