/**
 * The output folder of a static export: built beside the target and swapped in when complete; a non-empty
 * folder that is not an earlier export refused; files an export did not write never deleted; a failed export
 * leaving the earlier one intact.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { prepareSiteFolder, SITE_MARKER } from '../../src/io/site-folder.js';
import { tempDir } from './store/helpers.js';

/** Every file under `folder` with its text, by relative path. */
function contents(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(folder, file)] = readFileSync(file, 'utf8');
  }
  return out;
}

/** Writes a site of the given files through a SiteFolder and commits it. */
async function exportSite(out: string, files: Record<string, string>): Promise<void> {
  const folder = await prepareSiteFolder(out);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder.staging, name)), { recursive: true });
    await writeFile(path.join(folder.staging, name), text);
  }
  await folder.commit();
}

describe('site folder', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it('a new folder gets the site and its marker, and no staging folder is left beside it', async () => {
    const out = path.join(dir, 'new', 'site');
    await exportSite(out, { 'index.html': 'one', 'data/a.json': '1' });
    const files = contents(out);
    assert.deepEqual(Object.keys(files).sort(), [SITE_MARKER, 'data/a.json', 'index.html']);
    assert.match(files[SITE_MARKER]!, /\ndata\/a\.json\nindex\.html\n$/);
    assert.deepEqual(readdirSync(path.dirname(out)), ['site']);
  });

  it('an empty folder is used as it is', async () => {
    const out = path.join(dir, 'empty');
    mkdirSync(out);
    await exportSite(out, { 'index.html': 'one' });
    assert.deepEqual(Object.keys(contents(out)).sort(), [SITE_MARKER, 'index.html']);
  });

  it('refuses a non-empty folder without the marker, even one that holds data/manifest.json, and deletes nothing', async () => {
    const out = path.join(dir, 'busy');
    mkdirSync(path.join(out, 'data'), { recursive: true });
    mkdirSync(path.join(out, 'images'));
    writeFileSync(path.join(out, 'data', 'manifest.json'), '{}');
    writeFileSync(path.join(out, 'results.duckdb'), 'precious');
    writeFileSync(path.join(out, 'images', 'cat.png'), 'a cat');
    const before = contents(out);
    await assert.rejects(prepareSiteFolder(out), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /busy is not empty and is not an earlier nap export \(it has no \.nap-export file\)/);
      return true;
    });
    assert.deepEqual(contents(out), before);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('.busy')),
      [],
      'no staging folder made',
    );
    // A marker with another first line is not ours either.
    writeFileSync(path.join(out, SITE_MARKER), 'something else\nresults.duckdb\n');
    await assert.rejects(prepareSiteFolder(out), /not an earlier nap export/);
  });

  it('refuses a path that is a file', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    await assert.rejects(prepareSiteFolder(file), /a-file exists and is not a folder/);
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });

  it('replaces an earlier export, keeping the files the export did not write', async () => {
    const out = path.join(dir, 'replaced');
    await exportSite(out, { 'index.html': 'one', 'data/old.json': 'old', 'data/kept.json': 'v1' });
    writeFileSync(path.join(out, 'CNAME'), 'example.org');
    mkdirSync(path.join(out, 'notes'));
    writeFileSync(path.join(out, 'notes', 'todo.txt'), 'mine');
    await exportSite(out, { 'index.html': 'two', 'data/kept.json': 'v2', 'data/new.json': 'new' });
    const files = contents(out);
    delete files[SITE_MARKER];
    assert.deepEqual(files, {
      CNAME: 'example.org',
      'data/kept.json': 'v2',
      'data/new.json': 'new',
      'index.html': 'two',
      'notes/todo.txt': 'mine',
    });
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('.replaced')),
      [],
    );
    // The user's files stay theirs: a third export carries them over again.
    await exportSite(out, { 'index.html': 'three' });
    assert.equal(readFileSync(path.join(out, 'CNAME'), 'utf8'), 'example.org');
    assert.ok(!contents(out)['data/kept.json'], 'files of the earlier export are dropped');
  });

  it('refuses to replace an export whose folder holds a file of its own where the new export writes one', async () => {
    const out = path.join(dir, 'clash');
    await exportSite(out, { 'index.html': 'one' });
    writeFileSync(path.join(out, 'robots.txt'), 'mine');
    const folder = await prepareSiteFolder(out);
    writeFileSync(path.join(folder.staging, 'robots.txt'), 'generated');
    await assert.rejects(folder.commit(), /robots\.txt was not written by nap export/);
    await folder.discard();
    assert.equal(readFileSync(path.join(out, 'robots.txt'), 'utf8'), 'mine');
    assert.equal(readFileSync(path.join(out, 'index.html'), 'utf8'), 'one');
  });

  it('a failed export leaves the earlier one exactly as it was', async () => {
    const out = path.join(dir, 'kept');
    await exportSite(out, { 'index.html': 'one', 'data/a.json': '1' });
    const before = contents(out);
    const folder = await prepareSiteFolder(out);
    writeFileSync(path.join(folder.staging, 'index.html'), 'half');
    await folder.discard();
    assert.deepEqual(contents(out), before);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('.kept')),
      [],
    );
  });
});
