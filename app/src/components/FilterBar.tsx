/** Label, prediction and misclassified filters: dropdowns to add them and removable pills for the active ones. */
import type { RunSummary } from '../../../src/results/api-types.js';
import type { MemberFilter } from '../../../src/results/members.js';
import { isFiltering } from '../data/filters.js';
import { predictionLabelsOf } from '../data/labels.js';
import { navigate } from '../route.js';

function Pill({ text, onRemove }: { text: string; onRemove: () => void }) {
  return (
    <span class="pill">
      {text}
      <button type="button" class="pill-remove" aria-label={`Remove filter ${text}`} onClick={onRemove}>
        ×
      </button>
    </span>
  );
}

export function FilterBar({ run, filters }: { run: RunSummary; filters: MemberFilter }) {
  const predictions = predictionLabelsOf(run);
  const canClassify = run.predictionLabels !== null || run.labels.length > 0;
  return (
    <div class="filter-bar" role="group" aria-label="Filters">
      <label class="field">
        <span>Label</span>
        <select value={filters.label ?? ''} onChange={(e) => navigate({ label: e.currentTarget.value || null })}>
          <option value="">any</option>
          {run.labels.map((label) => (
            <option key={label} value={label}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {canClassify && (
        <label class="field">
          <span>Prediction</span>
          <select
            value={filters.prediction ?? ''}
            onChange={(e) => navigate({ prediction: e.currentTarget.value || null })}
          >
            <option value="">any</option>
            {predictions.map((label) => (
              <option key={label} value={label}>
                {label}
              </option>
            ))}
          </select>
        </label>
      )}
      <label class="field check">
        <input
          type="checkbox"
          checked={filters.misclassified === true}
          onChange={(e) => navigate({ misclassified: e.currentTarget.checked })}
        />
        <span>Misclassified only</span>
      </label>
      {isFiltering(filters) && (
        <div class="pills" aria-label="Active filters">
          {filters.label !== undefined && (
            <Pill text={`label = ${filters.label}`} onRemove={() => navigate({ label: null })} />
          )}
          {filters.prediction !== undefined && (
            <Pill text={`prediction = ${filters.prediction}`} onRemove={() => navigate({ prediction: null })} />
          )}
          {filters.misclassified && <Pill text="misclassified" onRemove={() => navigate({ misclassified: false })} />}
          <button
            type="button"
            class="link-button"
            onClick={() => navigate({ label: null, prediction: null, misclassified: false })}
          >
            clear all
          </button>
        </div>
      )}
    </div>
  );
}
