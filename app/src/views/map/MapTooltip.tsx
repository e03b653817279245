/** What hovering a point of the map shows: the input's thumbnail, label, prediction and pattern. */
import { Fragment } from 'preact';
import { thumbnailImage } from '../../api.js';
import { SourceImage } from '../../components/SourceImage.js';
import { finiteOrNull, type InputTable } from '../../data/tables.js';
import { formatNumber, formatShare, patternName } from '../../format.js';
import { NOT_CLUSTERED } from './map-data.js';

const THUMBNAIL = 72;

export interface MapTooltipProps {
  runId: number;
  inputIndex: number;
  inputs: InputTable | undefined;
  patternId: number;
  membership: number;
  outlierScore: number;
}

export function MapTooltip({ runId, inputIndex, inputs, patternId, membership, outlierScore }: MapTooltipProps) {
  const row = inputs ? inputs.rows.rowOf(inputIndex) : -1;
  const rows: [string, string][] = [['Input', `#${inputIndex}`]];
  if (inputs && row >= 0) {
    rows.push(['Label', inputs.label[row] ?? '–']);
    const probability = finiteOrNull(inputs.probability[row]);
    rows.push([
      'Prediction',
      `${inputs.predictionLabel[row] ?? '–'}${probability != null ? ` (${formatShare(probability)})` : ''}`,
    ]);
  }
  rows.push(['Pattern', patternId === NOT_CLUSTERED ? 'not clustered' : patternName(patternId)]);
  if (Number.isFinite(membership)) rows.push(['Membership', formatNumber(membership)]);
  if (Number.isFinite(outlierScore)) rows.push(['Outlier score', formatNumber(outlierScore)]);
  const wrong = inputs && row >= 0 ? inputs.misclassified[row] === 1 : false;
  return (
    <div class="map-tip">
      <SourceImage
        class="thumb"
        source={thumbnailImage(runId, inputIndex, THUMBNAIL)}
        width={THUMBNAIL}
        height={THUMBNAIL}
      />
      <dl class="tip-table">
        {rows.map(([key, value]) => (
          <Fragment key={key}>
            <dt>{key}</dt>
            <dd class={key === 'Prediction' && wrong ? 'wrong' : undefined}>{value}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}
