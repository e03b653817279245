/** The inputs of the map's selection (narrowed to the highlighted pattern) as a gallery of thumbnails. */
import { useMemo } from 'preact/hooks';
import { describeInput, ImageTile } from '../../components/ImageTile.js';
import { VirtualGrid } from '../../components/VirtualGrid.js';
import { addToSelection, MAX_SELECTION, toggleSelection } from '../../context.js';
import type { InputTable, MembershipTable } from '../../data/tables.js';
import { formatCount, patternName } from '../../format.js';
import type { Route } from '../../route.js';
import type { MapPoints } from './map-data.js';

const TILE = 56;

export interface MapGalleryProps {
  route: Route;
  runId: number;
  /** Point rows to show; null: nothing is selected or highlighted. */
  rows: Int32Array | null;
  points: MapPoints;
  inputs: InputTable | undefined;
  memberships: MembershipTable | undefined;
  highlight: number | null;
  selecting: boolean;
}

export function MapGallery({ route, runId, rows, points, inputs, memberships, highlight, selecting }: MapGalleryProps) {
  const inputIndices = useMemo(() => (rows ? Array.from(rows, (row) => points.inputIndex[row]!) : []), [rows, points]);
  const chosen = useMemo(() => new Set(route.selection), [route.selection]);
  if (!rows)
    return (
      <p class="note">
        Select points with the lasso or the box, or highlight a pattern in the list, to see their images here.
      </p>
    );
  const title = selecting
    ? highlight !== null
      ? `Selected inputs in ${patternName(highlight).toLowerCase()}`
      : 'Selected inputs'
    : `Inputs of ${patternName(highlight ?? -1).toLowerCase()}`;
  return (
    <section class="panel map-gallery" aria-labelledby="map-gallery-title">
      <div class="panel-heading">
        <h2 id="map-gallery-title">
          {title} <span class="count">{formatCount(inputIndices.length)}</span>
        </h2>
        {inputIndices.length > 0 && (
          <button
            type="button"
            class="button"
            onClick={() => addToSelection(route, inputIndices)}
            title="The Images view shows the patterns of selected images in every layer"
          >
            Add {inputIndices.length > MAX_SELECTION ? `the first ${formatCount(MAX_SELECTION)}` : 'them'} to the image
            selection
          </button>
        )}
        <span class="muted">Click images to add them to the image selection one by one.</span>
      </div>
      {inputIndices.length === 0 ? (
        <p class="note">No inputs here.</p>
      ) : (
        <VirtualGrid
          count={inputIndices.length}
          itemWidth={TILE}
          itemHeight={TILE}
          gap={4}
          label={title}
          className="map-gallery-grid"
          renderItem={(i) => {
            const inputIndex = inputIndices[i]!;
            return (
              <ImageTile
                runId={runId}
                input={describeInput(inputIndex, inputs, memberships)}
                size={TILE - 2}
                selected={chosen.has(inputIndex)}
                onToggle={(index) => toggleSelection(route, index)}
              />
            );
          }}
        />
      )}
    </section>
  );
}
