/**
 * Max-activating inputs: the layer's strongest inputs, then each unit's (a virtualized list of units);
 * a unit chosen elsewhere (statistics charts) is shown first.
 */
import { useMemo } from 'preact/hooks';
import { type MaxActivationsResponse } from '../../../src/results/api-types.js';
import { useQuery } from '../api.js';
import { describeInput, ImageTile } from '../components/ImageTile.js';
import { FeatureImages } from '../components/FeatureImages.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import { VirtualGrid } from '../components/VirtualGrid.js';
import { toggleSelection, type ViewContext } from '../context.js';
import { useInputTable, type InputTable } from '../data/tables.js';
import { formatCount, formatNumber } from '../format.js';
import { navigate, type Route } from '../route.js';

const TILE = 52;
const ROW_HEIGHT = TILE + 30;

/** Rows of each unit (unit -1: the whole layer), in rank order. */
function groupByUnit(response: MaxActivationsResponse): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  response.unit.forEach((unit, row) => {
    const rows = groups.get(unit);
    if (rows) rows.push(row);
    else groups.set(unit, [row]);
  });
  for (const rows of groups.values()) rows.sort((a, b) => response.rank[a]! - response.rank[b]!);
  return groups;
}

function Tiles({
  route,
  runId,
  response,
  rows,
  inputs,
  size,
}: {
  route: Route;
  runId: number;
  response: MaxActivationsResponse;
  rows: number[];
  inputs: InputTable | undefined;
  size: number;
}) {
  const selected = new Set(route.selection);
  return (
    <div class="tile-row-tiles">
      {rows.map((row) => {
        const inputIndex = response.inputIndex[row]!;
        return (
          <ImageTile
            key={`${row}`}
            runId={runId}
            input={describeInput(inputIndex, inputs)}
            size={size}
            caption={formatNumber(response.value[row]!, 2)}
            selected={selected.has(inputIndex)}
            onToggle={(i) => toggleSelection(route, i)}
          />
        );
      })}
    </div>
  );
}

export function MaxActivationsView({ context }: { context: ViewContext }) {
  const { route, run, layer } = context;
  const response = useQuery('maxActivations', run && layer ? { runId: run.runId, layer: layer.layer } : null);
  const stats = useQuery('layerStats', run && layer ? { runId: run.runId, layer: layer.layer } : null);
  const inputs = useInputTable(run?.runId ?? null);
  const groups = useMemo(() => (response.data ? groupByUnit(response.data) : undefined), [response.data]);
  const units = useMemo(() => (groups ? [...groups.keys()].filter((u) => u >= 0).sort((a, b) => a - b) : []), [groups]);

  if (!run || !layer) return <p class="empty">Choose a run and a layer.</p>;
  if (response.error) return <ErrorMessage error={response.error} />;
  if (!response.data || !groups) return <Loading what="max activations" />;
  const data = response.data;
  const focused = route.unit !== null && route.unit >= 0 ? route.unit : null;
  const statRow = (unit: number) => (stats.data ? stats.data.unit.indexOf(unit) : -1);
  const unitFacts = (unit: number) => {
    const row = statRow(unit);
    return row >= 0 && stats.data
      ? `mean ${formatNumber(stats.data.mean[row]!, 2)} · q3 ${formatNumber(stats.data.q3[row]!, 2)} · max ${formatNumber(stats.data.max[row]!, 2)}`
      : '';
  };

  return (
    <section class="view maxact-view" aria-labelledby="maxact-title">
      <div class="view-heading">
        <h1 id="maxact-title">
          Max-activating inputs of <span class="mono">{layer.layer}</span>
        </h1>
        <label class="field">
          <span>Unit</span>
          <input
            type="number"
            min={0}
            max={layer.dim - 1}
            value={focused ?? ''}
            placeholder="all"
            onChange={(e) => {
              const text = e.currentTarget.value;
              navigate(
                { unit: text === '' ? null : Math.max(0, Math.min(layer.dim - 1, Math.trunc(Number(text)))) },
                { replace: true },
              );
            }}
          />
        </label>
        <span class="muted">
          Values are the layer’s maximum activation (whole layer) or the unit’s aggregated activation.
        </span>
      </div>
      {focused !== null && (
        <section class="panel focus-unit" aria-label={`Unit ${focused}`}>
          <div class="panel-heading">
            <h2>Unit {focused}</h2>
            <span class="muted">{unitFacts(focused)}</span>
            <button type="button" class="link-button" onClick={() => navigate({ unit: null }, { replace: true })}>
              show all units
            </button>
          </div>
          {groups.get(focused) ? (
            <Tiles
              route={route}
              runId={run.runId}
              response={data}
              rows={groups.get(focused)!}
              inputs={inputs.data}
              size={80}
            />
          ) : (
            <p class="muted">No max activations stored for unit {focused}.</p>
          )}
        </section>
      )}
      {focused !== null && (
        <FeatureImages
          runId={run.runId}
          layer={layer.layer}
          shows={(image) => (image.objective === 'unit' || image.objective === 'channel') && image.target === focused}
          what={`unit ${focused}`}
        />
      )}
      {groups.get(-1) && (
        <section class="panel" aria-labelledby="layer-max-title">
          <div class="panel-heading">
            <h2 id="layer-max-title">Whole layer</h2>
            <span class="muted">inputs with the highest maximum over all units</span>
          </div>
          <Tiles
            route={route}
            runId={run.runId}
            response={data}
            rows={groups.get(-1)!}
            inputs={inputs.data}
            size={64}
          />
        </section>
      )}
      <section class="panel" aria-labelledby="units-max-title">
        <div class="panel-heading">
          <h2 id="units-max-title">Each unit</h2>
          <span class="muted">{formatCount(units.length)} units</span>
        </div>
        <VirtualGrid
          count={units.length}
          itemWidth="full"
          itemHeight={ROW_HEIGHT}
          gap={6}
          label="Max-activating inputs per unit"
          renderItem={(i) => {
            const unit = units[i]!;
            return (
              <div class={`unit-row${unit === focused ? ' current' : ''}`}>
                <button
                  type="button"
                  class="unit-name link-button"
                  onClick={() => navigate({ unit }, { replace: true })}
                  title={unitFacts(unit)}
                >
                  unit {unit}
                </button>
                <Tiles
                  route={route}
                  runId={run.runId}
                  response={data}
                  rows={groups.get(unit)!}
                  inputs={inputs.data}
                  size={TILE}
                />
              </div>
            );
          }}
        />
      </section>
    </section>
  );
}
