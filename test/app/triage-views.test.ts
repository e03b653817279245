/**
 * The label-errors and model-errors views in a real browser over `nap serve`, on run A of the tiny store
 * with its triage saved (`nap triage --save`): what they show is the API's answer, decisions go to the
 * notes sidecar, survive a reload and export as a relabelling CSV, and a confusion cell lists its inputs with their curves.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { runTriageCommand } from '../../src/cli/commands/triage.js';
import type {
  AgreementResponse,
  InputsResponse,
  LabelErrorsResponse,
  MembershipsResponse,
  ModelErrorsResponse,
} from '../../src/results/api-types.js';
import { formatNumber } from '../../src/results/format.js';
import { notesPathOf } from '../../src/results/node/notes-file.js';
import type { NotesDocument } from '../../src/results/notes.js';
import { apiPaths } from '../../src/results/routes.js';
import { serveTinyApp, type ServedApp } from './fixture.js';

let app: ServedApp;

before(async () => {
  app = await serveTinyApp('nap-triage-views-', async (tiny, dir) => {
    const args = ['--run', String(tiny.runA.runId), '--k', '5', '--save', '--quiet'];
    assert.equal(await runTriageCommand([tiny.store, ...args, '--out', path.join(dir, 'leads.csv')]), 0);
  });
});

after(async () => {
  await app?.close();
  assert.deepEqual(app.pageErrors, [], 'no script errors in the pages');
});

const runA = () => app.fixture.runA.runId;

async function openPage(query: string): Promise<Page> {
  const page = await app.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/${query}`);
  return page;
}

test('label errors: the ranked leads with given and suggested labels and reasons; decisions persist and export', async () => {
  const leads = await app.api<LabelErrorsResponse>(apiPaths.labelErrors(runA(), 200));
  const page = await openPage(`?view=label-errors&run=${runA()}`);
  const rows = page.locator('.label-errors-table tbody tr[data-input]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), leads.inputIndex.length);
  assert.equal(await page.locator('.lead-count').textContent(), String(leads.total));
  assert.deepEqual(
    (await rows.evaluateAll((trs) => trs.slice(0, 5).map((tr) => tr.getAttribute('data-input')))).map(Number),
    leads.inputIndex.slice(0, 5),
  );
  assert.equal(await rows.nth(0).locator('.given-label').textContent(), leads.label[0]);
  assert.equal(await rows.nth(0).locator('.suggested-label').textContent(), leads.suggestedLabel[0] ?? '–');
  assert.equal(await rows.nth(0).locator('.reason').textContent(), leads.reason[0]);
  // Each score has its column: the linear probe's p(given) beside the model's.
  assert.ok(leads.probe[0] !== null, 'the tiny run has a probe layer');
  assert.equal(await rows.nth(0).locator('.linear-probe').textContent(), formatNumber(leads.probe[0]!));
  assert.equal(await page.locator('.label-errors-table thead th').count(), 10);

  // The first lead's image opens its agreement curves: one point per layer for the given label.
  await rows.nth(0).locator('.tile').click();
  const chart = page.locator('.agreement-row svg.agreement-chart');
  await chart.waitFor();
  const agreement = await app.api<AgreementResponse>(apiPaths.agreement(runA(), [leads.inputIndex[0]!]));
  assert.deepEqual(
    await chart.locator('.layer-name').allTextContents(),
    agreement.layers.map((l) => l.layer),
  );
  const given = agreement.inputs[0]!.given.filter((v) => v !== null).length;
  const d = (await chart.locator('.given-curve').getAttribute('d')) ?? '';
  assert.equal((d.match(/[ML]/g) ?? []).length, given);

  // Decide two leads, reload: the decisions are kept, in the sidecar beside the results (not in this
  // browser); the CSV lists them with the decided labels.
  await rows.nth(0).getByRole('button', { name: 'label error' }).click();
  await rows.nth(1).getByRole('button', { name: 'fine' }).click();
  await page.locator('.decided-count', { hasText: '2' }).waitFor();
  const sidecar = JSON.parse(await readFile(notesPathOf(app.fixture.store), 'utf8')) as NotesDocument;
  assert.deepEqual(
    sidecar.decisions.map((d) => [d.runId, d.input, d.decision]),
    [
      [runA(), leads.inputIndex[0], 'error'],
      [runA(), leads.inputIndex[1], 'fine'],
    ],
  );
  await page.evaluate('localStorage.clear()');
  await page.reload();
  await rows.first().waitFor();
  assert.equal(await page.locator('.decided-count').textContent(), '2');
  assert.equal(await rows.nth(0).getByRole('button', { name: 'label error' }).getAttribute('aria-pressed'), 'true');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.export-decisions').click()]);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], 'input,file,given_label,decided_label,decision');
  const expected = [
    [leads.inputIndex[0]!, leads.label[0], leads.suggestedLabel[0]],
    [leads.inputIndex[1]!, leads.label[1], leads.label[1]],
  ].sort((a, b) => Number(a[0]) - Number(b[0]));
  assert.deepEqual(
    lines.slice(1).map((line) => {
      const cells = line.split(',');
      return [Number(cells[0]), cells[2], cells[3]];
    }),
    expected,
  );
  await page.close();
});

test('model errors: the confusion matrix; a cell lists its inputs with their agreement curves', async () => {
  const matrix = await app.api<ModelErrorsResponse>(apiPaths.modelErrors(runA()));
  const page = await openPage(`?view=model-errors&run=${runA()}`);
  await page.locator('.confusion-matrix').waitFor();
  assert.equal(await page.locator('.misclassified-count').textContent(), String(matrix.misclassified));
  assert.equal(await page.locator('.confusion-matrix tbody tr').count(), matrix.labels.length);
  // The largest off-diagonal cell (or the largest cell when the model makes no error).
  let best: [number, number] = [0, 0];
  matrix.counts.forEach((row, r) =>
    row.forEach((count, c) => {
      const offBest = matrix.labels[best[0]] !== matrix.predictions[best[1]];
      const off = matrix.labels[r] !== matrix.predictions[c];
      if ((off && !offBest) || (off === offBest && count > matrix.counts[best[0]]![best[1]]!)) best = [r, c];
    }),
  );
  const [r, c] = best;
  await page
    .getByRole('button', {
      name: `given ${matrix.labels[r]}, predicted ${matrix.predictions[c]}: ${matrix.counts[r]![c]} inputs`,
    })
    .click();
  const cellInputs = matrix.inputs[r]![c]!.slice(0, 50);
  await page.locator('.cell-inputs svg.agreement-chart').waitFor();
  assert.equal(await page.locator('.cell-inputs > .tiles .tile').count(), cellInputs.length);
  assert.equal(await page.locator('.cell-inputs .input-curves').count(), cellInputs.length);

  // The patterns the cell's inputs fall into, per layer, beside the correctly classified inputs of the
  // predicted class in each: counted here from the memberships and inputs the API answers.
  const table = page.locator('.cell-patterns-table tbody tr');
  await table.first().waitFor();
  const inputs = await app.api<InputsResponse>(apiPaths.inputs(runA(), { limit: 100_000 }));
  const predicted = matrix.predictions[c]!;
  const cell = new Set(matrix.inputs[r]![c]);
  const expected: [string, number, number, number][] = [];
  for (const layer of app.fixture.runA.layers) {
    const members = await app.api<MembershipsResponse>(apiPaths.memberships(layer.clusteringId));
    const patterns = new Set(
      members.inputIndex.flatMap((input, k) => (cell.has(input) ? [members.patternId[k]!] : [])),
    );
    for (const pattern of [...patterns].filter((p) => p >= 0)) {
      const inPattern = members.inputIndex.filter((_, k) => members.patternId[k] === pattern);
      const peers = inPattern.filter((input) => {
        const row = inputs.inputIndex.indexOf(input);
        return inputs.label[row] === predicted && inputs.predictionLabel[row] === predicted;
      });
      expected.push([layer.layer, pattern, inPattern.filter((input) => cell.has(input)).length, peers.length]);
    }
  }
  const shown = await table.evaluateAll((trs) =>
    trs.map((tr) => [
      tr.getAttribute('data-layer'),
      Number(tr.getAttribute('data-pattern')),
      Number(tr.querySelector('.cell-count')!.textContent),
      Number(tr.querySelector('.peer-count')!.textContent),
    ]),
  );
  const key = (row: (string | number | null)[]) => `${row[0]} ${row[1]}`;
  assert.deepEqual(
    [...shown].sort((a, b) => key(a).localeCompare(key(b))),
    [...expected].sort((a, b) => key(a).localeCompare(key(b))),
  );
  await page.close();
});
