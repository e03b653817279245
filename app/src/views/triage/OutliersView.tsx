/**
 * Outliers and duplicates (saved triage, `nap triage --save`), for labelled and unlabelled runs alike:
 * every input ranked by how far it lies from its neighbours (the mean percentile of its kNN distance over
 * the layers, beside its highest GLOSH score), and the inputs that repeat (the same input, the same
 * activations in every layer, or a pair closer than a fraction of the median nearest-neighbour distance).
 * Both lists download as CSV (formula-safe), in a static export too.
 */
import { csvText, type CsvCell } from '../../../../src/results/csv.js';
import type { DuplicateInput, DuplicatesResponse, OutliersResponse } from '../../../../src/results/api-types.js';
import { query, useQuery } from '../../api.js';
import { ImageTile } from '../../components/ImageTile.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { formatNumber } from '../../format.js';
import { hrefOf, type ViewName } from '../../route.js';
import { downloadText } from './download.js';

const ROWS = 200;
const TILE = 40;

const formatOptional = (value: number | null) => (value === null ? '–' : formatNumber(value));

/** Links between the three lists of the saved triage. */
export function TriageLists({ context, current }: { context: ViewContext; current: ViewName }) {
  const lists: [ViewName, string][] = [
    ['label-errors', 'Label errors'],
    ['outliers', 'Outliers'],
    ['duplicates', 'Duplicates'],
  ];
  return (
    <nav class="segmented triage-lists" aria-label="Triage lists">
      {lists.map(([view, name]) => (
        <a
          key={view}
          class={view === current ? 'on' : ''}
          aria-current={view === current ? 'page' : undefined}
          href={hrefOf(context.route, { view })}
        >
          {name}
        </a>
      ))}
    </nav>
  );
}

/** The CSV of the outlier list: one row per input, most outlying first. */
export function outliersCsv(data: OutliersResponse): string {
  const rows: CsvCell[][] = data.inputIndex.map((input, k) => [
    k + 1,
    input,
    data.path[k] ?? null,
    data.label[k] ?? null,
    data.score[k] ?? null,
    data.glosh[k] ?? null,
    data.farthestLayer[k] ?? null,
  ]);
  return csvText(['rank', 'input', 'file', 'label', 'score', 'glosh', 'farthest_layer'], rows);
}

/** The CSV of the duplicates: one row per member of each exact group, then one per near pair. */
export function duplicatesCsv(data: DuplicatesResponse): string {
  const rows: CsvCell[][] = [];
  for (const group of data.groups) {
    for (const member of group.inputs) {
      rows.push([group.kind, group.group, member.inputIndex, null, member.path, member.label, 0]);
    }
  }
  for (const pair of data.near) {
    rows.push([
      `near (${pair.layer})`,
      null,
      pair.a.inputIndex,
      pair.b.inputIndex,
      pair.a.path,
      pair.a.label,
      pair.distance,
    ]);
  }
  return csvText(['kind', 'group', 'input', 'other', 'file', 'label', 'distance'], rows);
}

function Tile({ runId, input }: { runId: number; input: DuplicateInput }) {
  return <ImageTile runId={runId} input={input} size={TILE} />;
}

export function OutliersView({ context }: { context: ViewContext }) {
  const { run } = context;
  const list = useQuery('outliers', run ? { runId: run.runId, limit: ROWS } : null);
  const data = list.data;
  if (!run) return null;
  const exportCsv = async () =>
    downloadText(
      `outliers-run${run.runId}.csv`,
      'text/csv',
      outliersCsv(await query('outliers', { runId: run.runId })),
    );
  return (
    <section class="view outliers-view" aria-labelledby="outliers-title">
      <header class="view-header">
        <h1 id="outliers-title">Outliers</h1>
        <TriageLists context={context} current="outliers" />
      </header>
      {list.error && <ErrorMessage error={list.error} />}
      {!data && !list.error && <Loading what="outliers" />}
      {data && (
        <>
          <p class="muted">
            <span class="outlier-count">{data.total}</span> inputs ranked by their distance to their neighbours (the
            mean percentile over the layers; 1 is the farthest); the first {data.inputIndex.length} shown.{' '}
            <button type="button" class="export-outliers" onClick={() => void exportCsv()}>
              Export CSV
            </button>
          </p>
          <table class="table compact outliers-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Image</th>
                <th>Label</th>
                <th>Score</th>
                <th>GLOSH</th>
                <th>Farthest in</th>
              </tr>
            </thead>
            <tbody>
              {data.inputIndex.map((input, k) => (
                <tr key={input} data-input={input}>
                  <td>{k + 1}</td>
                  <td>
                    <Tile
                      runId={run.runId}
                      input={{
                        inputIndex: input,
                        path: data.path[k] ?? null,
                        label: data.label[k] ?? null,
                        predictionLabel: data.predictionLabel[k] ?? null,
                      }}
                    />
                  </td>
                  <td class="label">{data.label[k] ?? '–'}</td>
                  <td class="score">{formatOptional(data.score[k] ?? null)}</td>
                  <td class="glosh">{formatOptional(data.glosh[k] ?? null)}</td>
                  <td class="farthest-layer">{data.farthestLayer[k] ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function DuplicatesView({ context }: { context: ViewContext }) {
  const { run } = context;
  const list = useQuery('duplicates', run ? { runId: run.runId } : null);
  const data = list.data;
  if (!run) return null;
  const exportCsv = () => data && downloadText(`duplicates-run${run.runId}.csv`, 'text/csv', duplicatesCsv(data));
  return (
    <section class="view duplicates-view" aria-labelledby="duplicates-title">
      <header class="view-header">
        <h1 id="duplicates-title">Duplicates</h1>
        <TriageLists context={context} current="duplicates" />
      </header>
      {list.error && <ErrorMessage error={list.error} />}
      {!data && !list.error && <Loading what="duplicates" />}
      {data && (
        <>
          <p class="muted">
            <span class="group-count">{data.groups.length}</span> groups of exact duplicates,{' '}
            <span class="near-count">{data.near.length}</span> near-duplicate pairs.{' '}
            <button
              type="button"
              class="export-duplicates"
              disabled={data.groups.length + data.near.length === 0}
              onClick={exportCsv}
            >
              Export CSV
            </button>
          </p>
          {data.groups.length > 0 && (
            <table class="table compact duplicate-groups">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Inputs</th>
                </tr>
              </thead>
              <tbody>
                {data.groups.map((group) => (
                  <tr key={`${group.kind} ${group.group}`} data-kind={group.kind} data-group={group.group}>
                    <td>{group.kind}</td>
                    <td class="tiles">
                      {group.inputs.map((member) => (
                        <Tile key={member.inputIndex} runId={run.runId} input={member} />
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {data.near.length > 0 && (
            <table class="table compact near-duplicates">
              <thead>
                <tr>
                  <th>Pair</th>
                  <th>Layer</th>
                  <th>Distance</th>
                  <th>Cut</th>
                </tr>
              </thead>
              <tbody>
                {data.near.map((pair) => (
                  <tr
                    key={`${pair.a.inputIndex} ${pair.b.inputIndex}`}
                    data-pair={`${pair.a.inputIndex},${pair.b.inputIndex}`}
                  >
                    <td class="tiles">
                      <Tile runId={run.runId} input={pair.a} />
                      <Tile runId={run.runId} input={pair.b} />
                    </td>
                    <td>{pair.layer}</td>
                    <td class="distance">{formatNumber(pair.distance)}</td>
                    <td>{formatNumber(pair.threshold)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
