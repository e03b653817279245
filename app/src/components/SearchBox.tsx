/**
 * The header's search box: patterns, inputs and units of the current run that match a query such as
 * `label:Sneaker size>50 purity>0.8` (src/results/search.ts), grouped by kind. Arrow keys move through the
 * hits, Enter or a click opens one (a pattern's page, an input among the selected images, a unit's max
 * activations), Escape closes the list.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SearchResponse } from '../../../src/results/api-types.js';
import { query } from '../api.js';
import { formatCount, formatShare } from '../format.js';
import { navigate, type Route } from '../route.js';

/** Hits shown per kind. */
const HITS = 8;
/** Typing pauses this long (ms) before the query is asked. */
const DEBOUNCE = 150;

interface Hit {
  key: string;
  group: 'Patterns' | 'Inputs' | 'Units';
  text: string;
  detail: string;
  go: Partial<Route>;
}

const CLEARED: Partial<Route> = { clustering: null, unit: null, pattern: null, region: [] };

function hitsOf(response: SearchResponse): Hit[] {
  return [
    ...response.patterns.hits.map((p): Hit => ({
      key: `p:${p.clusteringId}:${p.patternId}`,
      group: 'Patterns',
      text: `${p.layer} · pattern ${p.patternId}`,
      detail: `${formatCount(p.size)} inputs${p.dominantLabel === null ? '' : ` · ${formatShare(p.labelPurity)} ${p.dominantLabel}`}`,
      go: { ...CLEARED, view: 'pattern', layer: p.layer, pattern: p.patternId },
    })),
    ...response.inputs.hits.map((input): Hit => ({
      key: `i:${input.inputIndex}`,
      group: 'Inputs',
      text: `input ${input.inputIndex}${input.path === null ? '' : ` · ${input.path}`}`,
      detail: [input.label, input.predictionLabel === null ? null : `predicted ${input.predictionLabel}`]
        .filter((part) => part !== null)
        .join(' · '),
      go: { ...CLEARED, view: 'images', selection: [input.inputIndex] },
    })),
    ...response.units.hits.map((unit): Hit => ({
      key: `u:${unit.layer}:${unit.unit}`,
      group: 'Units',
      text: `${unit.layer} · unit ${unit.unit}`,
      detail: 'max activations',
      go: { ...CLEARED, view: 'maxact', layer: unit.layer, unit: unit.unit },
    })),
  ];
}

const TOTAL = { Patterns: 'patterns', Inputs: 'inputs', Units: 'units' } as const;

export function SearchBox({ runId }: { runId: number }) {
  const [text, setText] = useState('');
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setResponse(null);
    setFailure(null);
    if (text.trim() === '') return undefined;
    let live = true;
    const timer = setTimeout(() => {
      query('search', { runId, q: text, limit: HITS }).then(
        (answer) => {
          if (!live) return;
          setResponse(answer);
          setActive(0);
        },
        (error: Error) => live && setFailure(error.message),
      );
    }, DEBOUNCE);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text, runId]);

  useEffect(() => {
    const close = (event: MouseEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  // An answer to an earlier text is not shown while the current one is asked.
  const current = response?.q === text ? response : null;
  const hits = current ? hitsOf(current) : [];
  const go = (hit: Hit) => {
    setOpen(false);
    navigate(hit.go);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(true);
      if (hits.length > 0) setActive((k) => (k + (event.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length);
    } else if (event.key === 'Enter') {
      const hit = hits[active];
      if (hit) go(hit);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };

  const shown = open && text.trim() !== '' && (current !== null || failure !== null);
  return (
    <div class="search-box" ref={box}>
      <input
        type="search"
        class="search-input"
        placeholder="Search: label:Sneaker size>50, input 12, unit 3…"
        aria-label="Search patterns, inputs and units"
        aria-expanded={shown}
        aria-controls="search-results"
        aria-activedescendant={shown && hits[active] ? `search-hit-${active}` : undefined}
        value={text}
        onInput={(event) => {
          setText(event.currentTarget.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={onKeyDown}
      />
      {shown && (
        <div class="search-results" id="search-results" role="listbox" aria-label="Search results">
          {failure !== null && <p class="search-note error">{failure}</p>}
          {current?.errors.map((error) => (
            <p key={error} class="search-note">
              {error}
            </p>
          ))}
          {current && hits.length === 0 && <p class="search-note">Nothing matches.</p>}
          {(['Patterns', 'Inputs', 'Units'] as const).map((group) => {
            const total = current?.[TOTAL[group]].total ?? 0;
            if (total === 0) return null;
            return (
              <div key={group} class="search-group" role="group" aria-label={group} data-group={group}>
                <div class="search-group-title">
                  {group} <span class="muted">{total > HITS ? `first ${HITS} of ${formatCount(total)}` : total}</span>
                </div>
                {hits.map((hit, k) =>
                  hit.group !== group ? null : (
                    <div
                      key={hit.key}
                      id={`search-hit-${k}`}
                      role="option"
                      aria-selected={k === active}
                      class={`search-hit${k === active ? ' active' : ''}`}
                      onMouseEnter={() => setActive(k)}
                      onMouseDown={(event) => {
                        event.preventDefault();
                        go(hit);
                      }}
                    >
                      <span class="search-hit-text">{hit.text}</span>
                      <span class="search-hit-detail">{hit.detail}</span>
                    </div>
                  ),
                )}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
