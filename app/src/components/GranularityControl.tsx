/**
 * The granularity of a layer's patterns: min cluster size, leaf / eom selection and epsilon, re-selected
 * in the page from the stored tree; "stored" goes back to the clustering as analysed.
 */
import { useRef } from 'preact/hooks';
import type { Granularity, Selection } from '../data/reselection.js';

export interface GranularityControlProps {
  stored: Granularity;
  value: Granularity;
  /** Inputs clustered: the largest min cluster size. */
  inputs: number;
  /** `replace`: a step of a slider drag, which keeps the drag's history entry (back returns to before the drag). */
  onChange: (value: Granularity, replace: boolean) => void;
}

/** Slider positions: min cluster sizes spread evenly in log scale from 2 to the input count. */
const STEPS = 200;
const sizeAt = (step: number, inputs: number) => Math.round(2 * Math.pow(inputs / 2, step / STEPS));
const stepOf = (size: number, inputs: number) => Math.round((STEPS * Math.log(size / 2)) / Math.log(inputs / 2));

export function GranularityControl({ stored, value, inputs, onChange: change }: GranularityControlProps) {
  const dragging = useRef(false);
  const onChange = (next: Granularity) => change(next, false);
  const atStored =
    value.minClusterSize === stored.minClusterSize &&
    value.selection === stored.selection &&
    value.epsilon === stored.epsilon;
  return (
    <div class="granularity" role="group" aria-label="Granularity">
      <label class="field">
        <span>Min cluster size</span>
        <input
          type="range"
          class="granularity-slider"
          min={0}
          max={STEPS}
          value={stepOf(value.minClusterSize, inputs)}
          aria-label="Min cluster size (slider)"
          onPointerDown={() => (dragging.current = false)}
          onKeyDown={() => (dragging.current = false)}
          onChange={() => (dragging.current = false)}
          onInput={(e) => {
            change({ ...value, minClusterSize: sizeAt(Number(e.currentTarget.value), inputs) }, dragging.current);
            dragging.current = true;
          }}
        />
        <input
          type="number"
          class="granularity-size"
          min={2}
          max={inputs}
          step={1}
          value={value.minClusterSize}
          aria-label="Min cluster size"
          onChange={(e) => {
            const size = Number(e.currentTarget.value);
            if (Number.isInteger(size) && size >= 2 && size <= inputs) onChange({ ...value, minClusterSize: size });
          }}
        />
      </label>
      <label class="field">
        <span>Selection</span>
        <select
          class="granularity-selection"
          value={value.selection}
          onChange={(e) => onChange({ ...value, selection: e.currentTarget.value as Selection })}
        >
          <option value="leaf">leaf (finest)</option>
          <option value="eom">eom (most persistent)</option>
        </select>
      </label>
      <label class="field">
        <span>Epsilon</span>
        <input
          type="number"
          class="granularity-epsilon"
          min={0}
          step={0.01}
          value={value.epsilon}
          aria-label="Epsilon"
          onChange={(e) => {
            const epsilon = Number(e.currentTarget.value);
            if (Number.isFinite(epsilon) && epsilon >= 0) onChange({ ...value, epsilon });
          }}
        />
      </label>
      <button type="button" class="granularity-reset" disabled={atStored} onClick={() => onChange(stored)}>
        As stored
      </button>
    </div>
  );
}
