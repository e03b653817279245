/**
 * The selected images and every pattern of every layer that contains them: per layer the patterns with
 * how many of the selected images they hold, and per image its path through the network.
 */
import { useMemo } from 'preact/hooks';
import { type InputPatternsResponse } from '../../../src/results/api-types.js';
import { averageImage, query, useAsync } from '../api.js';
import { describeInput, ImageTile } from '../components/ImageTile.js';
import { SourceImage } from '../components/SourceImage.js';
import { ErrorMessage, Loading } from '../components/Status.js';
import { TagEditor } from '../components/TagEditor.js';
import { VirtualGrid } from '../components/VirtualGrid.js';
import { MAX_SELECTION, toggleSelection, type ViewContext } from '../context.js';
import { clusteringParam } from '../data/catalog.js';
import { showsPatternWords, useInputTable } from '../data/tables.js';
import { formatCount, formatShare, plural, shortPatternName } from '../format.js';
import { hrefOf, navigate } from '../route.js';

/** Most indices the input-patterns route takes per request. */
const CHUNK = 1000;
/** Rows of the per-image path table. */
const PATH_ROWS = 100;
const TILE = 56;

async function loadPaths(runId: number, selection: number[]): Promise<InputPatternsResponse> {
  const parts: InputPatternsResponse[] = [];
  for (let start = 0; start < selection.length; start += CHUNK)
    parts.push(await query('inputPatterns', { runId, index: selection.slice(start, start + CHUNK) }));
  const first = parts[0]!;
  if (parts.length === 1) return first;
  // Chunks list rows by clustering, then input: merge clustering by clustering to keep that order.
  const rows: InputPatternsResponse['rows'] = { clusteringId: [], inputIndex: [], patternId: [], probability: [] };
  for (const { clusteringId } of first.clusterings) {
    for (const part of parts) {
      part.rows.clusteringId.forEach((c, i) => {
        if (c !== clusteringId) return;
        rows.clusteringId.push(c);
        rows.inputIndex.push(part.rows.inputIndex[i]!);
        rows.patternId.push(part.rows.patternId[i]!);
        rows.probability.push(part.rows.probability[i]!);
      });
    }
  }
  return { runId, inputIndex: parts.flatMap((p) => p.inputIndex), clusterings: first.clusterings, rows };
}

interface LayerPatterns {
  clusteringId: number;
  layer: string;
  /** Patterns holding selected images, most images first. */
  patterns: { patternId: number; count: number }[];
  /** Pattern of each selected input, by input index. */
  byInput: Map<number, number>;
}

function byLayer(paths: InputPatternsResponse): LayerPatterns[] {
  const layers = new Map<number, LayerPatterns>(
    paths.clusterings.map((c) => [
      c.clusteringId,
      { clusteringId: c.clusteringId, layer: c.layer, patterns: [], byInput: new Map() },
    ]),
  );
  paths.rows.clusteringId.forEach((clusteringId, i) =>
    layers.get(clusteringId)?.byInput.set(paths.rows.inputIndex[i]!, paths.rows.patternId[i]!),
  );
  for (const layer of layers.values()) {
    const counts = new Map<number, number>();
    for (const patternId of layer.byInput.values()) counts.set(patternId, (counts.get(patternId) ?? 0) + 1);
    layer.patterns = [...counts]
      .map(([patternId, count]) => ({ patternId, count }))
      .sort(
        (a, b) =>
          (a.patternId === -1 ? 1 : 0) - (b.patternId === -1 ? 1 : 0) || b.count - a.count || a.patternId - b.patternId,
      );
  }
  return [...layers.values()];
}

function PatternChip({
  context,
  layer,
  patternId,
  count,
  total,
}: {
  context: ViewContext;
  layer: LayerPatterns;
  patternId: number;
  count?: number;
  total?: number;
}) {
  const place = context.catalog.place(layer.clusteringId);
  const href = hrefOf(context.route, {
    view: 'pattern',
    layer: layer.layer,
    clustering: place ? clusteringParam(place) : null,
    pattern: patternId,
  });
  return (
    <a
      class={`chip pattern-chip${patternId === -1 ? ' noise' : ''}`}
      href={href}
      title={`${layer.layer}: ${patternId === -1 ? 'noise' : `pattern ${patternId}`}`}
    >
      {/* A run of texts has no average image (its pattern page lists the pattern's words). */}
      {patternId >= 0 && !showsPatternWords(layer.clusteringId) && (
        <SourceImage source={averageImage(layer.clusteringId, patternId, 24)} width={24} height={24} />
      )}
      <span>{shortPatternName(patternId)}</span>
      {count !== undefined && total !== undefined && (
        <span class="muted">
          ×{formatCount(count)} <span class="share">{formatShare(count / total)}</span>
        </span>
      )}
    </a>
  );
}

export function ImagesView({ context }: { context: ViewContext }) {
  const { route, run } = context;
  const selection = route.selection;
  const inputs = useInputTable(run?.runId ?? null);
  const key = run && selection.length > 0 ? `${run.runId}:${selection.join(',')}` : null;
  const paths = useAsync(key, () => loadPaths(run!.runId, selection));
  const layers = useMemo(() => (paths.data ? byLayer(paths.data) : undefined), [paths.data]);
  const selectedSet = useMemo(() => new Set(selection), [selection]);

  if (!run) return <p class="empty">Choose a run.</p>;
  return (
    <section class="view images-view" aria-labelledby="images-title">
      <div class="view-heading">
        <h1 id="images-title">
          Selected images {selection.length > 0 && <span class="count">{formatCount(selection.length)}</span>}
        </h1>
        {selection.length > 0 && (
          <button type="button" class="button" onClick={() => navigate({ selection: [] }, { replace: true })}>
            Clear selection
          </button>
        )}
      </div>
      {selection.length > 0 && (
        <TagEditor
          targets={selection.map((input) => ({ kind: 'input' as const, runId: run.runId, input }))}
          what={selection.length === 1 ? `input ${selection[0]}` : `the ${selection.length} selected images`}
        />
      )}
      {selection.length >= MAX_SELECTION && (
        <p class="note">A selection holds at most {formatCount(MAX_SELECTION)} images; the rest were not added.</p>
      )}
      {selection.length === 0 ? (
        <p class="empty">
          No images selected. Click images on pattern cards, pattern pages or max activations to select them; this page
          then shows every pattern of every layer that contains them.
        </p>
      ) : (
        <>
          <div class="panel">
            <VirtualGrid
              count={selection.length}
              itemWidth={TILE}
              itemHeight={TILE}
              gap={4}
              label="Selected images (click to deselect)"
              renderItem={(i) => (
                <ImageTile
                  runId={run.runId}
                  input={describeInput(selection[i]!, inputs.data)}
                  size={TILE - 2}
                  selected={selectedSet.has(selection[i]!)}
                  onToggle={(index) => toggleSelection(route, index)}
                />
              )}
            />
          </div>
          {paths.error && <ErrorMessage error={paths.error} />}
          {!layers && !paths.error && <Loading what="patterns of the selected images" />}
          {layers && (
            <>
              <section class="panel" aria-labelledby="layers-title">
                <div class="panel-heading">
                  <h2 id="layers-title">Patterns containing the selection, layer by layer</h2>
                </div>
                <ol class="layer-patterns">
                  {layers.map((layer) => (
                    <li key={layer.clusteringId}>
                      <span class="mono layer-label">{layer.layer}</span>
                      <span class="muted">
                        {plural(layer.patterns.filter((p) => p.patternId >= 0).length, 'pattern')}
                      </span>
                      <div class="chips">
                        {layer.patterns.map(({ patternId, count }) => (
                          <PatternChip
                            key={patternId}
                            context={context}
                            layer={layer}
                            patternId={patternId}
                            count={count}
                            total={selection.length}
                          />
                        ))}
                      </div>
                    </li>
                  ))}
                </ol>
              </section>
              <section class="panel" aria-labelledby="paths-title">
                <div class="panel-heading">
                  <h2 id="paths-title">Path of each image through the network</h2>
                  {selection.length > PATH_ROWS && (
                    <span class="muted">
                      first {PATH_ROWS} of {formatCount(selection.length)} images
                    </span>
                  )}
                </div>
                <div class="table-scroll">
                  <table class="table paths">
                    <thead>
                      <tr>
                        <th>Image</th>
                        {layers.map((layer) => (
                          <th key={layer.clusteringId} class="mono">
                            {layer.layer}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {selection.slice(0, PATH_ROWS).map((inputIndex) => (
                        <tr key={inputIndex}>
                          <th scope="row">
                            <ImageTile runId={run.runId} input={describeInput(inputIndex, inputs.data)} size={40} />
                          </th>
                          {layers.map((layer) => {
                            const patternId = layer.byInput.get(inputIndex);
                            return (
                              <td key={layer.clusteringId}>
                                {patternId === undefined ? (
                                  <span class="muted">–</span>
                                ) : (
                                  <PatternChip context={context} layer={layer} patternId={patternId} />
                                )}
                              </td>
                            );
                          })}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
            </>
          )}
        </>
      )}
    </section>
  );
}
