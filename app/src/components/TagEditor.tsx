/**
 * Tags on patterns and inputs (notes beside the results): the tags on the targets, each removable, and a
 * field to add one to every target (a pattern, or the selected inputs).
 */
import { useState } from 'preact/hooks';
import { tagId, tagsOn, type TagTarget } from '../../../src/results/notes.js';
import { changeNotes, useNotes } from '../data/notes.js';
import { ErrorMessage } from './Status.js';

export function TagEditor({ targets, what }: { targets: readonly TagTarget[]; what: string }) {
  const doc = useNotes();
  const [text, setText] = useState('');
  const [error, setError] = useState<Error>();
  const counts = new Map<string, number>();
  for (const target of targets)
    for (const note of tagsOn(doc, target)) counts.set(note.tag, (counts.get(note.tag) ?? 0) + 1);
  const tags = [...counts].sort((a, b) => a[0].localeCompare(b[0]));
  const each = async (work: (target: TagTarget) => Promise<unknown>) => {
    setError(undefined);
    try {
      for (const target of targets) await work(target);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    }
  };
  const add = (event: Event) => {
    event.preventDefault();
    const tag = text.trim();
    if (tag === '') return;
    setText('');
    void each((target) => changeNotes({ op: 'tag', tag, target }));
  };
  const remove = (tag: string) =>
    void each(async (target) => {
      if (tagsOn(doc, target).some((t) => t.tag === tag)) await changeNotes({ op: 'untag', id: tagId(tag, target) });
    });
  return (
    <div class="tag-editor">
      <span class="chips tag-list" aria-label={`Tags on ${what}`}>
        {tags.map(([tag, count]) => (
          <span class="chip tag" key={tag} data-tag={tag}>
            {tag}
            {targets.length > 1 && <span class="muted"> ×{count}</span>}
            <button type="button" class="icon-button" aria-label={`Remove tag ${tag}`} onClick={() => remove(tag)}>
              ×
            </button>
          </span>
        ))}
      </span>
      <form class="tag-form" onSubmit={add}>
        <input
          class="tag-input"
          aria-label={`New tag on ${what}`}
          placeholder="Add a tag"
          value={text}
          maxLength={64}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="button" disabled={text.trim() === ''}>
          Tag
        </button>
      </form>
      {error && <ErrorMessage error={error} />}
    </div>
  );
}
