/**
 * The header's sharing controls: copy the current view's link (short: data/short-url.ts), and save the
 * view under a name (a saved view in the notes, listed on the Notes page).
 */
import { useState } from 'preact/hooks';
import { changeNotes, useNotes } from '../data/notes.js';
import { missingState, savedStates } from '../data/short-url.js';
import { hrefOf, useRoute } from '../route.js';

type Status = { kind: 'idle' } | { kind: 'done' | 'failed'; text: string };

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function ShareControls() {
  const route = useRoute();
  const doc = useNotes();
  const noted = doc.views.length + doc.tags.length + doc.decisions.length;
  // useRoute re-renders on every move, so this follows the URL.
  const missing = missingState(location.search);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const fail = (error: unknown) =>
    setStatus({ kind: 'failed', text: error instanceof Error ? error.message : String(error) });

  const copyLink = async () => {
    try {
      // The link's saved state must be stored before the link leaves this page.
      await savedStates();
      const link = location.href;
      setStatus(
        (await copyText(link))
          ? { kind: 'done', text: `Link copied (${link.length} characters)` }
          : { kind: 'failed', text: `Copy this link: ${link}` },
      );
    } catch (error) {
      fail(error);
    }
  };

  const saveView = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') return;
    try {
      await savedStates();
      await changeNotes({ op: 'save-view', name: trimmed, query: location.search || '?' });
      setNaming(false);
      setName('');
      setStatus({ kind: 'done', text: `View “${trimmed}” saved` });
    } catch (error) {
      fail(error);
    }
  };

  return (
    <span class="share-controls">
      <a
        class={`tab notes-link${route.view === 'notes' ? ' current' : ''}`}
        href={hrefOf(route, { view: 'notes' })}
        title="Saved views, tags and label decisions kept beside the results"
      >
        Notes{noted > 0 && <span class="tab-badge">{noted}</span>}
      </a>
      <button
        type="button"
        class="header-button copy-link"
        aria-label="Copy link"
        title="Copy a link to this view"
        onClick={() => void copyLink()}
      >
        <span class="button-icon" aria-hidden="true">
          ↗
        </span>
        <span class="button-label">Copy link</span>
      </button>
      {naming ? (
        <form class="save-view-form" onSubmit={(e) => void saveView(e)}>
          <input
            class="save-view-name"
            aria-label="Name of the view"
            placeholder="Name this view"
            value={name}
            maxLength={200}
            autoFocus
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => e.key === 'Escape' && setNaming(false)}
          />
          <button type="submit" class="header-button" disabled={name.trim() === ''}>
            Save
          </button>
        </form>
      ) : (
        <button
          type="button"
          class="header-button save-view"
          aria-label="Save view"
          title="Save this view under a name (listed in Notes)"
          onClick={() => setNaming(true)}
        >
          <span class="button-icon" aria-hidden="true">
            ☆
          </span>
          <span class="button-label">Save view</span>
        </button>
      )}
      {missing !== null && status.kind === 'idle' && (
        <span class="share-status failed" role="status" title="The link was made where other notes were kept">
          This link's saved selection ({missing}) is not in these notes
        </span>
      )}
      {status.kind !== 'idle' && (
        <span class={`share-status ${status.kind}`} role="status">
          {status.text}
        </span>
      )}
    </span>
  );
}
