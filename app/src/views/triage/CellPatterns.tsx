/**
 * A confusion cell's inputs in each layer's patterns, beside the correctly classified inputs of the
 * predicted class in the same pattern (src/results/cell-patterns.ts): where the network groups the errors
 * with the class it predicts.
 */
import type { RunSummary } from '../../../../src/results/api-types.js';
import { cellPatterns, type CellPattern } from '../../../../src/results/cell-patterns.js';
import { useAsync } from '../../api.js';
import { ImageTile } from '../../components/ImageTile.js';
import { ErrorMessage, Loading } from '../../components/Status.js';
import type { ViewContext } from '../../context.js';
import { defaultClustering } from '../../data/catalog.js';
import { loadInputTable, loadMembershipTable } from '../../data/tables.js';
import { formatCount, patternName } from '../../format.js';
import { hrefOf } from '../../route.js';

/** Images shown per side of a row. */
const SHOWN = 6;

async function load(run: RunSummary, cell: readonly number[], predicted: string): Promise<CellPattern[]> {
  const inputs = await loadInputTable(run.runId);
  const layers = await Promise.all(
    run.layers.flatMap((layer) => {
      const clustering = defaultClustering(layer);
      return clustering
        ? [
            loadMembershipTable(clustering.clusteringId).then((memberships) => ({
              clusteringId: clustering.clusteringId,
              layer: layer.layer,
              memberships,
            })),
          ]
        : [];
    }),
  );
  return cellPatterns(cell, predicted, layers, inputs);
}

export function CellPatterns({
  context,
  run,
  cell,
  predicted,
}: {
  context: ViewContext;
  run: RunSummary;
  cell: readonly number[];
  predicted: string;
}) {
  const rows = useAsync(`${run.runId} ${predicted} ${cell.join(',')}`, () => load(run, cell, predicted));
  if (rows.error) return <ErrorMessage error={rows.error} />;
  if (!rows.data) return <Loading what="the patterns of these inputs" />;
  const tiles = (inputs: number[]) =>
    inputs
      .slice(0, SHOWN)
      .map((input) => <ImageTile key={input} runId={run.runId} input={{ inputIndex: input }} size={32} />);
  return (
    <section class="cell-patterns" aria-labelledby="cell-patterns-title">
      <h3 id="cell-patterns-title">Patterns they fall into, beside correctly classified {predicted} inputs</h3>
      {rows.data.length === 0 ? (
        <p class="empty">These inputs are noise in every layer: no pattern holds them.</p>
      ) : (
        <table class="table compact cell-patterns-table">
          <thead>
            <tr>
              <th>Layer</th>
              <th>Pattern</th>
              <th>These inputs</th>
              <th>Correct {predicted} inputs sharing it</th>
            </tr>
          </thead>
          <tbody>
            {rows.data.map((row) => (
              <tr key={`${row.clusteringId}.${row.patternId}`} data-layer={row.layer} data-pattern={row.patternId}>
                <td class="mono">{row.layer}</td>
                <td>
                  <a
                    href={hrefOf(context.route, {
                      view: 'pattern',
                      layer: row.layer,
                      clustering: null,
                      pattern: row.patternId,
                    })}
                  >
                    {patternName(row.patternId)}
                  </a>
                </td>
                <td>
                  <span class="cell-count">{formatCount(row.cellInputs.length)}</span> {tiles(row.cellInputs)}
                </td>
                <td>
                  <span class="peer-count">{formatCount(row.peers.length)}</span> {tiles(row.peers)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
