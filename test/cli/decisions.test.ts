/** nap decisions: the app's label decisions, kept in the notes sidecar, as the relabelling CSV. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runDecisionsCommand } from '../../src/cli/commands/decisions.js';
import { analyze } from '../../src/engine/analyze.js';
import { NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { NotesFile, notesPathOf } from '../../src/results/node/notes-file.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

test('nap decisions writes one row per decided input of the run, with its file and given label', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nap-cli-decisions-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const store = path.join(dir, 'results.duckdb');
  const { runId } = await analyze({ model, data: 'mnist', out: store, limit: 40, layers: [TINY.logits] });
  const notes = new NotesFile(notesPathOf(store));
  await notes.change({ op: 'decide', runId, input: 9, decision: 'error', label: '=7' });
  await notes.change({ op: 'decide', runId, input: 2, decision: 'fine', label: null });
  await notes.change({ op: 'decide', runId, input: 5, decision: 'unsure', label: null });
  await notes.change({ op: 'decide', runId: runId + 1, input: 3, decision: 'fine', label: null });
  const opened = await NapStore.open(store, { readOnly: true });
  const inputs = await opened.readInputs(runId, Int32Array.from([2, 5, 9]));
  await opened.close();
  const given = (input: number) => inputs.label[inputs.index.indexOf(input)]!;
  const file = (input: number) => inputs.path[inputs.index.indexOf(input)]!;
  const out = path.join(dir, 'relabel.csv');
  assert.equal(await runDecisionsCommand([store, '--out', out]), 0);
  assert.equal(
    await readFile(out, 'utf8'),
    [
      'input,file,given_label,decided_label,decision',
      `2,${file(2)},${given(2)},${given(2)},fine`,
      `5,${file(5)},${given(5)},,unsure`,
      `9,${file(9)},${given(9)},'=7,error`,
      '',
    ].join('\n'),
  );
  await assert.rejects(runDecisionsCommand([store, '--run', String(runId + 5)]), NotFoundError);
});
