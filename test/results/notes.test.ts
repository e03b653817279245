/** The notes sidecar: validation naming the bad field, atomic writes, concurrent writers, the relabelling CSV. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { InputError, NotFoundError } from '../../src/errors.js';
import { NotesFile, notesPathOf } from '../../src/results/node/notes-file.js';
import {
  applyChange,
  decisionsOf,
  emptyNotes,
  parseDecision,
  parseNotes,
  parseState,
  parseTag,
  parseView,
  stateId,
  tagsOn,
  type DecisionNote,
} from '../../src/results/notes.js';
import { relabellingCsv } from '../../src/results/relabel-csv.js';

const NOW = '2026-12-07T00:00:00.000Z';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nap-notes-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function refusal(field: string) {
  return (error: unknown) => error instanceof InputError && error.message.includes(`"${field}"`);
}

test('bodies are validated field by field, each error naming the field', () => {
  assert.throws(() => parseDecision(1, 2, { decision: 'maybe' }), refusal('decision'));
  assert.throws(() => parseDecision(1, 2, { decision: 'error', label: 7 }), refusal('label'));
  assert.throws(() => parseDecision(1, 2, [1]), /not a JSON object/);
  assert.throws(
    () => parseTag({ tag: 'ok', target: { kind: 'pattern', clusteringId: -1, patternId: 0 } }),
    refusal('clusteringId'),
  );
  assert.throws(() => parseTag({ tag: 'a,b', target: { kind: 'input', runId: 1, input: 0 } }), refusal('tag'));
  assert.throws(() => parseTag({ tag: 'x', target: { kind: 'unit' } }), refusal('kind'));
  assert.throws(() => parseTag({ tag: 'x' }), /field "target"/);
  assert.throws(() => parseView({ name: '', query: '?view=map' }), refusal('name'));
  assert.throws(() => parseView({ name: 'mine', query: 'view=map' }), refusal('query'));
  assert.throws(() => parseState({ params: 'a b' }), refusal('params'));
  assert.deepEqual(parseDecision(1, 2, { decision: 'error', label: 'Sneaker' }), {
    op: 'decide',
    runId: 1,
    input: 2,
    decision: 'error',
    label: 'Sneaker',
  });
  assert.deepEqual(parseDecision(1, 2, { decision: 'fine', label: 'ignored' }), {
    op: 'decide',
    runId: 1,
    input: 2,
    decision: 'fine',
    label: null,
  });
});

test('changes replace by content: one decision per input, one note per tag and target, views by name', () => {
  let doc = emptyNotes();
  const apply = (change: Parameters<typeof applyChange>[1]) => (doc = applyChange(doc, change, NOW).doc);
  apply(parseDecision(1, 5, { decision: 'unsure' }));
  apply(parseDecision(1, 5, { decision: 'error', label: 'cat' }));
  apply(parseDecision(2, 5, { decision: 'fine' }));
  assert.deepEqual(
    [...decisionsOf(doc, 1).values()].map((d) => [d.input, d.decision, d.label]),
    [[5, 'error', 'cat']],
  );
  const target = { kind: 'pattern', clusteringId: 3, patternId: -1 } as const;
  apply(parseTag({ tag: 'boots', target }));
  apply(parseTag({ tag: 'boots', target }));
  assert.equal(tagsOn(doc, target).length, 1);
  assert.equal(tagsOn(doc, { kind: 'pattern', clusteringId: 3, patternId: 0 }).length, 0);
  apply(parseView({ name: 'mine', query: '?view=map' }));
  apply(parseView({ name: 'mine', query: '?view=flow' }));
  assert.deepEqual(
    doc.views.map((v) => v.query),
    ['?view=flow'],
  );
  const state = applyChange(doc, parseState({ params: 'sel=1,2,3' }), NOW).result;
  assert.equal((state as { id: string }).id, stateId('sel=1,2,3'));
  assert.throws(() => applyChange(doc, { op: 'untag', id: '0000000000000000' }, NOW), NotFoundError);
  assert.throws(() => applyChange(doc, { op: 'undecide', runId: 9, input: 5 }, NOW), NotFoundError);
});

test('the relabelling CSV: one row per decided input, by input, formula-safe', () => {
  const note = (input: number, decision: DecisionNote['decision'], label: string | null = null): DecisionNote => ({
    runId: 1,
    input,
    decision,
    label,
    updatedAt: NOW,
  });
  const inputs = new Map([
    [3, { path: '=cmd|x.png', label: 'cat' }],
    [1, { path: 'b.png', label: 'dog' }],
    [2, { path: 'c.png', label: 'cow' }],
  ]);
  const csv = relabellingCsv([note(3, 'error', '+dog'), note(1, 'fine'), note(2, 'unsure')], (i) => inputs.get(i));
  assert.equal(
    csv,
    "input,file,given_label,decided_label,decision\n1,b.png,dog,dog,fine\n2,c.png,cow,,unsure\n3,'=cmd|x.png,cat,'+dog,error\n",
  );
});

test('a NotesFile starts empty, writes atomically and leaves no temporary or lock file', async (t) => {
  const dir = await tempDir(t);
  const notes = new NotesFile(notesPathOf(path.join(dir, 'results.duckdb')));
  assert.deepEqual(await notes.read(), emptyNotes());
  // A reader polling while 40 changes land sees a whole document every time, never half a file.
  let writing = true;
  let reads = 0;
  const reader = (async () => {
    while (writing) {
      const text = await readFile(notes.path, 'utf8').catch(() => null);
      if (text !== null) {
        parseNotes(text, notes.path);
        reads++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  for (let i = 0; i < 40; i++) await notes.change(parseDecision(1, i, { decision: 'fine' }));
  writing = false;
  await reader;
  assert.ok(reads > 0, 'the reader read the file while it was written');
  assert.equal((await notes.read()).decisions.length, 40);
  assert.deepEqual(await readdir(dir), ['results.duckdb.nap-notes.json']);
});

test('a notes file that is not one is refused and left as it was', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'x.nap-notes.json');
  await writeFile(file, '{"format": "something else"}');
  const notes = new NotesFile(file);
  await assert.rejects(notes.change(parseDecision(1, 1, { decision: 'fine' })), /is not a nap notes file/);
  assert.equal(await readFile(file, 'utf8'), '{"format": "something else"}');
  await writeFile(file, '{"form');
  await assert.rejects(notes.read(), /not valid JSON/);
});

test('concurrent writers lose nothing: 100 changes at once, and two processes writing the same file', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'results.duckdb.nap-notes.json');
  const a = new NotesFile(file);
  const b = new NotesFile(file);
  await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? a : b).change(parseTag({ tag: `t${i}`, target: { kind: 'input', runId: 1, input: i } })),
    ),
  );
  assert.equal((await a.read()).tags.length, 100);
  // Two more processes, 30 changes each, on the same file at the same time.
  const script = `
    import { NotesFile } from ${JSON.stringify(new URL('../../src/results/node/notes-file.js', import.meta.url).href)};
    const notes = new NotesFile(process.argv[1]);
    const base = Number(process.argv[2]);
    await Promise.all(Array.from({ length: 30 }, (_, i) =>
      notes.change({ op: 'decide', runId: 1, input: base + i, decision: 'unsure', label: null })));`;
  const run = (base: number) =>
    promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, file, String(base)]);
  await Promise.all([run(0), run(1000)]);
  const doc = await a.read();
  assert.equal(doc.decisions.length, 60, 'every change of both processes is there');
  assert.equal(doc.tags.length, 100, 'the earlier tags stay');
  assert.deepEqual((await readdir(dir)).sort(), ['results.duckdb.nap-notes.json']);
});
