/**
 * `nap export --static` at scale (issue 19 item 11's bar: the 70,000-image Fashion-MNIST run in <= 2 min
 * to <= 2,000 files). Exports a results file's newest run into a fresh folder, as the CLI does, and prints
 * the time, the files and bytes written by kind (sheets, tables, app), and each figure as a share of the
 * bar. Wall clock on a shared machine: the load average is printed before and after.
 *
 *   node build/scripts/bench-export.js --store results.duckdb [--keep DIR]
 *
 * The 70k run: `node build/scripts/bench/fashion-mnist-all.js` writes the 70,000 images as one IDX file,
 * then `nap analyze --model models/fashion-mnist-cnn.onnx --data <tmp>/nap-fashion-mnist-all/all-images-idx3-ubyte
 * --out fashion70k.duckdb` (long: start it with nice in the background).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { exportStaticSite } from '../src/engine/export-static.js';

const BAR_SECONDS = 120;
const BAR_FILES = 2000;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

/** Files and bytes under a folder by kind ('data/images/members', 'data/tables', 'assets', ...). */
async function census(folder: string, prefix = '', out = new Map<string, { files: number; bytes: number }>()) {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) await census(full, relative, out);
    else {
      const kind = relative
        .split('/')
        .slice(0, relative.startsWith('data/images/') ? 3 : relative.startsWith('data/') ? 2 : 1)
        .join('/');
      const bucket = out.get(kind) ?? { files: 0, bytes: 0 };
      bucket.files++;
      bucket.bytes += (await stat(full)).size;
      out.set(kind, bucket);
    }
  }
  return out;
}

const store = option('--store');
if (store === undefined) {
  console.error('usage: node build/scripts/bench-export.js --store results.duckdb [--keep DIR]');
  process.exit(2);
}
const keep = option('--keep');
const out = keep ?? path.join(await mkdtemp(path.join(tmpdir(), 'nap-bench-export-')), 'site');
try {
  console.log(`load average before: ${load()} (1, 5, 15 min)`);
  const started = process.hrtime.bigint();
  const result = await exportStaticSite({ store, out });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`load average after:  ${load()}`);
  console.log(
    `exported run ${result.runId}: ${result.thumbnails} thumbnails, ${result.averageImages} average images, ${result.heatmaps} heatmaps`,
  );
  console.log(
    `time   ${seconds.toFixed(1)} s  (${((100 * seconds) / BAR_SECONDS).toFixed(0)}% of the ${BAR_SECONDS} s bar)`,
  );
  console.log(
    `files  ${result.files}  (${((100 * result.files) / BAR_FILES).toFixed(0)}% of the ${BAR_FILES}-file bar), ${(result.bytes / 2 ** 20).toFixed(1)} MiB`,
  );
  for (const [kind, { files, bytes }] of [...(await census(out))].sort()) {
    console.log(
      `  ${kind.padEnd(28)} ${String(files).padStart(6)} files ${(bytes / 2 ** 20).toFixed(1).padStart(8)} MiB`,
    );
  }
} finally {
  if (keep === undefined) await rm(path.dirname(out), { recursive: true, force: true });
}
