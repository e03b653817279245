/**
 * Model errors: the run's confusion matrix (given label by predicted label); a cell lists its inputs with
 * the layer-by-layer label agreement of their neighbours (saved triage), beside the layers' kNN probe
 * accuracy: where in the network their neighbourhood turns from the given class to the predicted one, and
 * the patterns they fall into per layer beside the correctly classified inputs of the predicted class there.
 */
import { useState } from 'preact/hooks';
import { useQuery } from '../../api.js';
import { ImageTile } from '../../components/ImageTile.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { AgreementChart } from './AgreementChart.js';
import { CellPatterns } from './CellPatterns.js';

/** Inputs of a cell whose curves are drawn. */
const CELL_INPUTS = 50;

export function ModelErrorsView({ context }: { context: ViewContext }) {
  const { run } = context;
  const matrix = useQuery('modelErrors', run ? { runId: run.runId } : null);
  const [cell, setCell] = useState<[number, number] | null>(null);
  const data = matrix.data;
  const members = data && cell ? data.inputs[cell[0]]![cell[1]]!.slice(0, CELL_INPUTS) : [];
  const agreement = useQuery('agreement', run && members.length > 0 ? { runId: run.runId, index: members } : null);
  if (!run) return null;
  return (
    <section class="view model-errors-view" aria-labelledby="model-errors-title">
      <header class="view-header">
        <h1 id="model-errors-title">Model errors</h1>
      </header>
      {matrix.error && <ErrorMessage error={matrix.error} />}
      {!data && !matrix.error && <Loading what="the confusion matrix" />}
      {data && (
        <>
          <p class="muted">
            <span class="misclassified-count">{data.misclassified}</span> of {data.total} inputs misclassified. Rows:
            given label; columns: predicted label.
          </p>
          <table class="table compact confusion-matrix">
            <thead>
              <tr>
                <th />
                {data.predictions.map((p) => (
                  <th key={p}>{p}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.labels.map((label, r) => (
                <tr key={label}>
                  <th>{label}</th>
                  {data.predictions.map((p, c) => (
                    <td key={p} class={label === p ? 'diagonal' : 'off-diagonal'}>
                      {data.counts[r]![c]! > 0 ? (
                        <button
                          type="button"
                          class={`confusion-cell${cell?.[0] === r && cell[1] === c ? ' on' : ''}`}
                          aria-label={`given ${label}, predicted ${p}: ${data.counts[r]![c]} inputs`}
                          onClick={() => setCell([r, c])}
                        >
                          {data.counts[r]![c]}
                        </button>
                      ) : (
                        ''
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {cell && (
            <div class="cell-inputs">
              <h2>
                Given {data.labels[cell[0]]}, predicted {data.predictions[cell[1]]}
              </h2>
              <div class="tiles">
                {members.map((input) => (
                  <ImageTile key={input} runId={run.runId} input={{ inputIndex: input }} size={40} />
                ))}
              </div>
              {agreement.error && <ErrorMessage error={agreement.error} />}
              {agreement.data && <AgreementChart agreement={agreement.data} />}
              <CellPatterns
                context={context}
                run={run}
                cell={data.inputs[cell[0]]![cell[1]]!}
                predicted={data.predictions[cell[1]]!}
              />
            </div>
          )}
        </>
      )}
    </section>
  );
}
