/**
 * Writes the results-store fixtures of test/fixtures/stores: one small store per schema version (and per
 * shape a version had), each written by the nap of that version itself. For each commit below it checks
 * the commit out in a temporary git worktree, builds it (with this checkout's node_modules), runs its
 * `nap analyze` on 40 MNIST digits with a 734-byte model (and `nap heatmaps` where it has it), adds a run
 * killed during extraction through that version's NapStore, and summarizes the store with that version's
 * NapStore (test/io/store/fixture-summary.ts). The store goes in gzipped (a few tens of KB), the summary
 * beside it; the migration tests migrate the store with today's code and compare.
 *
 *   npx tsc -p tsconfig.json && node build/scripts/store-fixtures.js [--only NAME] [--out DIR]
 *
 * At a schema change, add the commit of the version before it here (see src/io/store/schema.ts); the
 * entry without a commit is the current version, written by this checkout's build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { TINY, tinyConvNet } from '../test/helpers/tiny-models.js';
import {
  addInterruptedRun,
  summarizeStore,
  type StoreModule,
  type WritableFixtureStore,
} from '../test/io/store/fixture-summary.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface StoreFixture {
  name: string;
  /** The commit whose nap writes it; null: this checkout. */
  commit: string | null;
  schemaVersion: number;
  shape: string;
}

export const STORE_FIXTURES: readonly StoreFixture[] = [
  { name: 'v1-first', commit: '5b52790', schemaVersion: 1, shape: 'version 1 as first released: no staging tables' },
  {
    name: 'v1-staged',
    commit: '6f9b899',
    schemaVersion: 1,
    shape: 'version 1 with one staged FLOAT[] row per input, unit patterns',
  },
  { name: 'v1-flow', commit: '883a798', schemaVersion: 1, shape: 'version 1 with concept flow tables' },
  { name: 'v2', commit: '8bc3bd6', schemaVersion: 2, shape: 'staged activations as BLOB rows per batch' },
  {
    name: 'v3',
    commit: 'e74d8bc',
    schemaVersion: 3,
    shape: 'layer divisors and pattern heatmaps, no projections table',
  },
  {
    name: 'v3-projections',
    commit: '24ad9f0',
    schemaVersion: 3,
    shape: 'version 3 with projections (added without a version bump)',
  },
  { name: 'v4', commit: 'b593e68', schemaVersion: 4, shape: 'schema history; every table required' },
  {
    name: 'v5',
    commit: '5642d53',
    schemaVersion: 5,
    shape: 'input details: class-probability vectors and input digests',
  },
  { name: 'v6', commit: '2592ed8', schemaVersion: 6, shape: 'feature visualizations' },
  {
    name: 'v7',
    commit: '80f0e14',
    schemaVersion: 7,
    shape: 'single-linkage trees, soft memberships and cluster spaces of clusterings',
  },
  { name: 'v8', commit: '4de1533', schemaVersion: 8, shape: 'saved triage scores' },
  {
    name: 'v9',
    commit: '5ad9e72',
    schemaVersion: 9,
    shape: 'layer layouts and input contents (token layers, non-image inputs)',
  },
  {
    name: 'v10',
    commit: '46a6e03',
    schemaVersion: 10,
    shape: 'saved triage outliers and duplicates',
  },
  {
    name: 'v11',
    commit: '04bf6da',
    schemaVersion: 11,
    shape: "saved triage's linear probe score per input",
  },
  {
    name: 'v12',
    commit: null,
    schemaVersion: 12,
    shape: 'class probabilities over test-time shifts',
  },
];

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A built checkout of `commit` in a temporary worktree (or this checkout for null) and its remover. */
function checkout(commit: string | null, scratch: string): { root: string; remove: () => void } {
  if (commit === null) return { root: REPO, remove: () => undefined };
  const root = path.join(scratch, `nap-${commit}`);
  run('git', ['worktree', 'add', '--detach', root, commit], REPO);
  symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  try {
    // Older commits may not type-check against today's dependencies; tsc emits all the same.
    run('npx', ['tsc', '-p', 'tsconfig.json'], root);
  } catch {
    // Checked below: the CLI must have been emitted.
  }
  if (!existsSync(path.join(root, 'build/src/cli/main.js'))) throw new Error(`commit ${commit} did not build`);
  return { root, remove: () => run('git', ['worktree', 'remove', '--force', root], REPO) };
}

async function writeFixture(fixture: StoreFixture, outDir: string, scratch: string): Promise<void> {
  const { root, remove } = checkout(fixture.commit, scratch);
  try {
    const cli = path.join(root, 'build/src/cli/main.js');
    const model = path.join(scratch, 'tiny.onnx');
    writeFileSync(model, tinyConvNet());
    const file = path.join(scratch, `${fixture.name}.duckdb`);
    const help = run(process.execPath, [cli, 'analyze', '--help'], root);
    const usage = run(process.execPath, [cli, '--help'], root);
    run(
      process.execPath,
      [
        cli,
        'analyze',
        '--model',
        model,
        '--data',
        'mnist',
        '--limit',
        '40',
        '--layers',
        `${TINY.relu},${TINY.pool},${TINY.logits}`,
        '--out',
        file,
        '--quiet',
        ...(help.includes('--unit-patterns') ? ['--unit-patterns', `${TINY.relu}:1`] : []),
        ...(help.includes('--test-time-shifts') ? ['--test-time-shifts', '1'] : []),
      ],
      scratch,
    );
    if (/^\s+heatmaps\b/m.test(usage))
      run(process.execPath, [cli, 'heatmaps', file, '--layer', TINY.relu, '--quiet'], scratch);

    const module = (await import(pathToFileURL(path.join(root, 'build/src/io/store/index.js')).href)) as StoreModule;
    const writer = (await module.NapStore.open(file)) as WritableFixtureStore;
    try {
      const [complete] = await writer.listRuns();
      await addInterruptedRun(writer, complete!.runId);
    } finally {
      await writer.close();
    }
    const reader = (await module.NapStore.open(file, { readOnly: true })) as WritableFixtureStore;
    let summary: unknown;
    try {
      summary = await summarizeStore(reader);
    } finally {
      await reader.close();
    }
    const gz = gzipSync(readFileSync(file), { level: 9 });
    writeFileSync(path.join(outDir, `${fixture.name}.duckdb.gz`), gz);
    writeFileSync(
      path.join(outDir, `${fixture.name}.json`),
      `${JSON.stringify({ fixture: { ...fixture, commit: fixture.commit ?? currentCommit() }, summary }, null, 1)}\n`,
    );
    console.log(`${fixture.name}: ${(gz.length / 1024).toFixed(0)} KB gzipped (${fixture.shape})`);
  } finally {
    remove();
  }
}

function currentCommit(): string {
  return `${run('git', ['rev-parse', '--short', 'HEAD'], REPO).trim()}+`;
}

async function main(argv: string[]): Promise<void> {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  const outDir = path.resolve(
    argv.includes('--out') ? argv[argv.indexOf('--out') + 1]! : path.join(REPO, 'test/fixtures/stores'),
  );
  mkdirSync(outDir, { recursive: true });
  const fixtures = STORE_FIXTURES.filter((fixture) => only === undefined || fixture.name === only);
  if (fixtures.length === 0) throw new Error(`no fixture named ${only}`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'nap-store-fixtures-'));
  try {
    for (const fixture of fixtures) await writeFixture(fixture, outDir, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
