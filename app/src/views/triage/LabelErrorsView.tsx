/**
 * Label errors (saved triage, `nap triage --save`): every labelled input, best lead first, with its image,
 * given and suggested labels, the reason, and the layer-by-layer agreement of its neighbours; each lead can
 * be marked "label error", "fine" or "unsure" and the decisions export as a relabelling CSV.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { DECISIONS, decisionsOf, type Decision } from '../../../../src/results/notes.js';
import { useQuery } from '../../api.js';
import { ImageTile } from '../../components/ImageTile.js';
import { LocalNotesNotice, useNoteEdits } from '../../components/NotesNotice.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { useNotes } from '../../data/notes.js';
import { formatNumber } from '../../format.js';
import { Metric } from '../../components/Metric.js';
import { AgreementChart } from './AgreementChart.js';
import { DECISION_NAMES, decisionsCsv } from './decisions.js';
import { downloadText } from './download.js';
import { TriageLists } from './OutliersView.js';

const ROWS = 200;

const formatOptional = (value: number | null) => (value === null ? '–' : formatNumber(value));

export function LabelErrorsView({ context }: { context: ViewContext }) {
  const { run } = context;
  const leads = useQuery('labelErrors', run ? { runId: run.runId, limit: ROWS } : null);
  const [open, setOpen] = useState<number | null>(null);
  const agreement = useQuery('agreement', run && open !== null ? { runId: run.runId, index: [open] } : null);
  const notes = useNotes();
  const edits = useNoteEdits();
  const data = leads.data;
  if (!run) return null;
  const decisions = decisionsOf(notes, run.runId);
  const decide = (input: number, decision: Decision, suggested: string | null) =>
    edits.change(
      decisions.get(input)?.decision === decision
        ? { op: 'undecide', runId: run.runId, input }
        : { op: 'decide', runId: run.runId, input, decision, label: decision === 'error' ? suggested : null },
    );
  const exportCsv = () =>
    edits.run(async () =>
      downloadText(`relabel-run${run.runId}.csv`, 'text/csv', await decisionsCsv(run.runId, [...decisions.values()])),
    );
  const decided = decisions.size;
  return (
    <section class="view label-errors-view" aria-labelledby="label-errors-title">
      <header class="view-header">
        <h1 id="label-errors-title">Label errors</h1>
        <TriageLists context={context} current="label-errors" />
      </header>
      <LocalNotesNotice />
      {edits.error && <ErrorMessage error={edits.error} />}
      {leads.error && <ErrorMessage error={leads.error} />}
      {!data && !leads.error && <Loading what="label errors" />}
      {data && (
        <>
          <p class="muted">
            <span class="lead-count">{data.total}</span> labelled inputs ranked; the first {data.inputIndex.length}{' '}
            shown. <span class="decided-count">{decided}</span> decided.{' '}
            <button type="button" class="export-decisions" disabled={decided === 0} onClick={exportCsv}>
              Export relabelling CSV
            </button>
          </p>
          <table class="table compact label-errors-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Image</th>
                <th>Given</th>
                <th>Suggested</th>
                <th>Score</th>
                <th>
                  <Metric name="selfConfidence" />
                </th>
                <th>
                  <Metric name="margin" />
                </th>
                <th>
                  <Metric name="linearProbe" />
                </th>
                <th>Reason</th>
                <th>Decision</th>
              </tr>
            </thead>
            <tbody>
              {data.inputIndex.map((input, k) => (
                <Fragment key={input}>
                  <tr data-input={input} class={open === input ? 'open' : ''}>
                    <td>{k + 1}</td>
                    <td>
                      <ImageTile
                        runId={run.runId}
                        input={{
                          inputIndex: input,
                          path: data.path[k],
                          label: data.label[k],
                          predictionLabel: data.predictionLabel[k],
                        }}
                        size={40}
                        onToggle={() => setOpen(open === input ? null : input)}
                      />
                    </td>
                    <td class="given-label">{data.label[k]}</td>
                    <td class="suggested-label">{data.suggestedLabel[k] ?? '–'}</td>
                    <td>{formatNumber(data.score[k]!)}</td>
                    <td class="self-confidence">{formatOptional(data.selfConfidence[k] ?? null)}</td>
                    <td class="margin">{formatOptional(data.margin[k] ?? null)}</td>
                    <td class="linear-probe">{formatOptional(data.probe[k] ?? null)}</td>
                    <td class="reason">{data.reason[k]}</td>
                    <td>
                      <span class="segmented" role="group" aria-label={`Decision on input ${input}`}>
                        {DECISIONS.map((decision) => (
                          <button
                            type="button"
                            key={decision}
                            class={decisions.get(input)?.decision === decision ? 'on' : ''}
                            aria-pressed={decisions.get(input)?.decision === decision}
                            onClick={() => decide(input, decision, data.suggestedLabel[k] ?? null)}
                          >
                            {DECISION_NAMES[decision]}
                          </button>
                        ))}
                      </span>
                    </td>
                  </tr>
                  {open === input && (
                    <tr class="agreement-row">
                      <td colSpan={10}>
                        {agreement.error && <ErrorMessage error={agreement.error} />}
                        {agreement.data && <AgreementChart agreement={agreement.data} />}
                        <p class="muted">
                          <Metric name="knnConsensus" /> per layer: green, the given label; red dashed, the prediction;
                          grey, the layer's kNN probe accuracy.
                        </p>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
