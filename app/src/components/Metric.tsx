/**
 * A metric's name that shows its one-sentence definition (src/results/glossary.ts) on hover or focus, with
 * the glossary page one click away.
 */
import type { ComponentChildren } from 'preact';
import { GLOSSARY, type MetricName } from '../../../src/results/glossary.js';
import { tooltipHandlers } from './Tooltip.js';

export function MetricDefinition({ name }: { name: MetricName }) {
  const entry = GLOSSARY[name];
  return (
    <span class="metric-definition" data-metric={name}>
      <strong>{entry.term}</strong>: {entry.definition}
    </span>
  );
}

/** `children` is the name as the place shows it (default: the glossary's term). */
export function Metric({ name, children }: { name: MetricName; children?: ComponentChildren }) {
  return (
    <span
      class="metric-term"
      data-metric={name}
      tabIndex={0}
      {...tooltipHandlers(() => <MetricDefinition name={name} />)}
    >
      {children ?? GLOSSARY[name].term}
    </span>
  );
}
