/**
 * Notes: what the user keeps beside the results (data/notes.ts): saved views (named app states), tags on
 * patterns and inputs, and label decisions per run; each links to what it is about. Downloadable as JSON.
 */
import type { TagNote } from '../../../src/results/notes.js';
import { LocalNotesNotice, useNoteEdits } from '../components/NotesNotice.js';
import { ErrorMessage } from '../components/Status.js';
import type { ViewContext } from '../context.js';
import { clusteringParam } from '../data/catalog.js';
import { useNotes } from '../data/notes.js';
import { formatCount, patternName } from '../format.js';
import { hrefOf } from '../route.js';
import { downloadText } from './triage/download.js';

function targetLink(context: ViewContext, note: TagNote) {
  const { route, catalog } = context;
  const target = note.target;
  if (target.kind === 'input') {
    return (
      <a href={hrefOf(route, { view: 'images', run: target.runId, selection: [target.input] })}>
        input {target.input} <span class="muted">(run {target.runId})</span>
      </a>
    );
  }
  const place = catalog.place(target.clusteringId);
  if (!place)
    return (
      <span class="muted">
        pattern {target.patternId} of clustering {target.clusteringId} (not in this store)
      </span>
    );
  return (
    <a
      href={hrefOf(route, {
        view: 'pattern',
        run: place.run.runId,
        layer: place.layer.layer,
        clustering: clusteringParam(place),
        pattern: target.patternId,
      })}
    >
      {patternName(target.patternId)} <span class="muted">in {place.layer.layer}</span>
    </a>
  );
}

export function NotesView({ context }: { context: ViewContext }) {
  const doc = useNotes();
  const edits = useNoteEdits();
  const byTag = new Map<string, TagNote[]>();
  for (const note of doc.tags) byTag.set(note.tag, [...(byTag.get(note.tag) ?? []), note]);
  const runs = [...new Set(doc.decisions.map((d) => d.runId))].sort((a, b) => a - b);
  return (
    <section class="view notes-view" aria-labelledby="notes-title">
      <header class="view-header">
        <h1 id="notes-title">Notes</h1>
        <button
          type="button"
          class="button"
          onClick={() => downloadText('nap-notes.json', 'application/json', `${JSON.stringify(doc, null, 1)}\n`)}
        >
          Download notes (JSON)
        </button>
      </header>
      <LocalNotesNotice />
      {edits.error && <ErrorMessage error={edits.error} />}
      <section class="panel" aria-labelledby="views-title">
        <h2 id="views-title">Saved views</h2>
        {doc.views.length === 0 ? (
          <p class="empty">No saved views yet: “Save view” in the header keeps the view you are looking at.</p>
        ) : (
          <ul class="saved-views">
            {doc.views.map((view) => (
              <li key={view.id} data-view={view.id}>
                <a href={`${location.pathname}${view.query}`}>{view.name}</a>{' '}
                <span class="muted">{view.createdAt.slice(0, 16).replace('T', ' ')}</span>{' '}
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`Delete view ${view.name}`}
                  onClick={() => edits.change({ op: 'delete-view', id: view.id })}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="panel" aria-labelledby="tags-title">
        <h2 id="tags-title">Tags</h2>
        {byTag.size === 0 ? (
          <p class="empty">No tags yet: tag a pattern on its page, or selected images on the Images page.</p>
        ) : (
          <dl class="tag-index">
            {[...byTag]
              .sort((a, b) => a[0].localeCompare(b[0]))
              .map(([tag, notes]) => (
                <div key={tag} data-tag={tag}>
                  <dt>
                    <span class="chip tag">{tag}</span> <span class="muted">{formatCount(notes.length)}</span>
                  </dt>
                  <dd>
                    <ul class="tag-targets">
                      {notes.map((note) => (
                        <li key={note.id}>{targetLink(context, note)}</li>
                      ))}
                    </ul>
                  </dd>
                </div>
              ))}
          </dl>
        )}
      </section>
      <section class="panel" aria-labelledby="decisions-title">
        <h2 id="decisions-title">Label decisions</h2>
        {runs.length === 0 ? (
          <p class="empty">No decisions yet: mark leads in the Label errors view.</p>
        ) : (
          <ul>
            {runs.map((runId) => (
              <li key={runId}>
                <a href={hrefOf(context.route, { view: 'label-errors', run: runId })}>run {runId}</a>:{' '}
                {formatCount(doc.decisions.filter((d) => d.runId === runId).length)} decided (export them there, or with{' '}
                <code>nap decisions</code>)
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
