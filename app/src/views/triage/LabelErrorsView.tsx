/**
 * Label errors (saved triage, `nap triage --save`): every labelled input, best lead first, with its image,
 * given and suggested labels, the reason, and the layer-by-layer agreement of its neighbours; each lead can
 * be marked "label error", "fine" or "unsure" and the decisions export as a relabelling CSV.
 */
import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useQuery } from '../../api.js';
import { ImageTile } from '../../components/ImageTile.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { formatNumber } from '../../format.js';
import { AgreementChart } from './AgreementChart.js';
import {
  DECISION_NAMES,
  DECISIONS,
  loadDecisions,
  relabellingCsv,
  saveDecisions,
  type Decision,
  type Decisions,
} from './decisions.js';
import { downloadText } from './download.js';

const ROWS = 200;

export function LabelErrorsView({ context }: { context: ViewContext }) {
  const { run } = context;
  const leads = useQuery('labelErrors', run ? { runId: run.runId, limit: ROWS } : null);
  const [open, setOpen] = useState<number | null>(null);
  const agreement = useQuery('agreement', run && open !== null ? { runId: run.runId, index: [open] } : null);
  const source = run ? `${run.createdAt}:${run.name}` : '';
  const [decisions, setDecisions] = useState<Decisions>(() => (run ? loadDecisions(source, run.runId) : {}));
  const data = leads.data;
  const known = useMemo(
    () =>
      new Map((data?.inputIndex ?? []).map((input, k) => [input, { path: data!.path[k]!, label: data!.label[k]! }])),
    [data],
  );
  if (!run) return null;
  const decide = (input: number, decision: Decision, suggested: string | null) => {
    const next = { ...decisions, [input]: { decision, label: decision === 'error' ? suggested : null } };
    setDecisions(next);
    saveDecisions(source, run.runId, next);
  };
  const decided = Object.keys(decisions).length;
  return (
    <section class="view label-errors-view" aria-labelledby="label-errors-title">
      <header class="view-header">
        <h1 id="label-errors-title">Label errors</h1>
      </header>
      {leads.error && <ErrorMessage error={leads.error} />}
      {!data && !leads.error && <Loading what="label errors" />}
      {data && (
        <>
          <p class="muted">
            <span class="lead-count">{data.total}</span> labelled inputs ranked; the first {data.inputIndex.length}{' '}
            shown. <span class="decided-count">{decided}</span> decided.{' '}
            <button
              type="button"
              class="export-decisions"
              disabled={decided === 0}
              onClick={() => downloadText(`relabel-run${run.runId}.csv`, 'text/csv', relabellingCsv(decisions, known))}
            >
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
                    <td class="reason">{data.reason[k]}</td>
                    <td>
                      <span class="segmented" role="group" aria-label={`Decision on input ${input}`}>
                        {DECISIONS.map((decision) => (
                          <button
                            type="button"
                            key={decision}
                            class={decisions[input]?.decision === decision ? 'on' : ''}
                            aria-pressed={decisions[input]?.decision === decision}
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
                      <td colSpan={7}>
                        {agreement.error && <ErrorMessage error={agreement.error} />}
                        {agreement.data && <AgreementChart agreement={agreement.data} />}
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
