/**
 * The fast test tier (`npm run test:fast`): the built tests of compute, io, results and the CLI's command
 * line, without the browser, the server and the long model runs that `npm test` adds.
 *
 *   node build/scripts/test-fast.js
 *
 * Every test file under those folders runs except the few below, so a new test joins the tier by its place.
 * Two files run at a time: most tests are single-threaded and the target is a 2-core machine.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const testRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test');
const FOLDERS = ['compute', 'io', 'results', 'cli'];
/**
 * Whole analyses, an interrupted-and-resumed run, real third-party models, the ONNX-to-tf.js forward
 * check over every model and the store's migrations from every older version's fixture (each 3 to 23 s
 * alone on the 2-core target): `npm test` runs them.
 */
const SLOW = new Set([
  'cli/resume.test.js',
  'cli/flow.test.js',
  'cli/project.test.js',
  'cli/recluster.test.js',
  'cli/report.test.js',
  'cli/report-contents.test.js',
  'cli/transformers.test.js',
  'cli/visualize.test.js',
  'io/onnx-to-tfjs/forward.test.js',
  'io/store/migrations.test.js',
  'io/tfjs/nsfwjs.test.js',
  'results/compare.test.js',
  'results/triage.test.js',
]);

function testFiles(): string[] {
  return FOLDERS.flatMap((folder) => {
    const dir = path.join(testRoot, folder);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((file) => `${folder}/${file.split(path.sep).join('/')}`)
      .filter((file) => file.endsWith('.test.js') && !SLOW.has(file))
      .sort()
      .map((file) => path.join(testRoot, file));
  });
}

const files = testFiles();
if (files.length === 0) throw new Error(`no test files under ${testRoot}: run tsc -p tsconfig.json first`);
run({ files, concurrency: 2 })
  .on('test:fail', () => (process.exitCode = 1))
  .pipe(new spec())
  .pipe(process.stdout);
