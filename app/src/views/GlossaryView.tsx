/** Every metric the app shows, with its one-sentence definition (the hover text of its name elsewhere). */
import { GLOSSARY, METRIC_NAMES } from '../../../src/results/glossary.js';

export function GlossaryView() {
  return (
    <section class="view glossary-view" aria-labelledby="glossary-title">
      <header class="view-header">
        <h1 id="glossary-title">Glossary</h1>
      </header>
      <dl class="glossary">
        {METRIC_NAMES.map((name) => (
          <div key={name} id={`metric-${name}`} class="glossary-entry" data-metric={name}>
            <dt>{GLOSSARY[name].term}</dt>
            <dd>{GLOSSARY[name].definition}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
