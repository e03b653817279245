/**
 * Label agreement of inputs' neighbourhoods layer by layer (saved triage): per input, the share of its
 * neighbours with its given label (solid) and with its predicted label (dashed), and the layers' kNN probe
 * accuracy (grey): where a wrong prediction's neighbourhood turns from one class to the other.
 */
import type { AgreementResponse } from '../../../../src/results/api-types.js';

const WIDTH = 360;
const HEIGHT = 140;
const PAD = 24;

function path(values: readonly (number | null)[]): string {
  const step = values.length > 1 ? (WIDTH - 2 * PAD) / (values.length - 1) : 0;
  let d = '';
  let pen = 'M';
  values.forEach((value, j) => {
    if (value === null) {
      pen = 'M';
      return;
    }
    d += `${pen}${(PAD + j * step).toFixed(1)},${(HEIGHT - PAD - value * (HEIGHT - 2 * PAD)).toFixed(1)} `;
    pen = 'L';
  });
  return d.trim();
}

export function AgreementChart({ agreement, inputs }: { agreement: AgreementResponse; inputs?: readonly number[] }) {
  const shown = agreement.inputs.filter((input) => !inputs || inputs.includes(input.inputIndex));
  const probe = agreement.layers.map((l) => l.probeAccuracy);
  return (
    <svg
      class="agreement-chart"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Neighbour label agreement over ${agreement.layers.length} layers`}
    >
      <line x1={PAD} x2={WIDTH - PAD} y1={HEIGHT - PAD} y2={HEIGHT - PAD} stroke="currentColor" stroke-opacity="0.3" />
      <path class="probe-curve" d={path(probe)} fill="none" stroke="#999" stroke-width="2" />
      {shown.map((input) => (
        <g key={input.inputIndex} class="input-curves" data-input={input.inputIndex}>
          <path class="given-curve" d={path(input.given)} fill="none" stroke="#2a7" stroke-width="1.5" />
          <path
            class="predicted-curve"
            d={path(input.predicted)}
            fill="none"
            stroke="#d43"
            stroke-width="1.5"
            stroke-dasharray="4 3"
          />
        </g>
      ))}
      {agreement.layers.map((l, j) => (
        <text
          key={l.layer}
          class="layer-name"
          x={PAD + (agreement.layers.length > 1 ? (j * (WIDTH - 2 * PAD)) / (agreement.layers.length - 1) : 0)}
          y={HEIGHT - 6}
          font-size="9"
          text-anchor="middle"
        >
          {l.layer}
        </text>
      ))}
    </svg>
  );
}
