/**
 * What stands for a pattern's average image when its inputs are texts: the words that set its members
 * apart, i.e. words found in a larger share of the pattern's texts than of all the clustered texts (words
 * every text has, like "the", score nothing). Each word counts once per text.
 */
import type { PatternWordsResponse } from './api-types.js';
import type { IndexedInputs } from './input-index.js';
import type { MembershipsTable } from './tables.js';

/** Words listed per pattern. */
export const PATTERN_WORDS = 8;

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;

/** The distinct words of a text, lower-cased; single characters are left out. */
export function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  for (const match of text.toLowerCase().matchAll(WORD)) if (match[0].length > 1) words.add(match[0]);
  return words;
}

/**
 * Each pattern's most distinctive words, by the share of its texts that have the word minus that share
 * among all clustered texts (ties: the larger share, then the word), at most `count`. A word of one member
 * of a large pattern scores next to nothing, so rare words come last.
 */
export function patternWords(
  memberships: MembershipsTable,
  inputs: Pick<IndexedInputs, 'rows' | 'content'>,
  patternCount: number,
  count = PATTERN_WORDS,
): PatternWordsResponse['patterns'] {
  const overall = new Map<string, number>();
  const perPattern = Array.from({ length: patternCount }, () => new Map<string, number>());
  const sizes = new Int32Array(patternCount);
  let texts = 0;
  memberships.inputIndex.forEach((input, row) => {
    const at = inputs.rows.rowOf(input);
    const text = at >= 0 ? inputs.content[at] : null;
    if (text == null) return;
    const words = wordsOf(text);
    texts++;
    for (const word of words) overall.set(word, (overall.get(word) ?? 0) + 1);
    const pattern = memberships.patternId[row]!;
    if (pattern < 0 || pattern >= patternCount) return;
    sizes[pattern]!++;
    const counts = perPattern[pattern]!;
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  });
  return perPattern.map((counts, patternId) => {
    const size = sizes[patternId]!;
    const ranked = [...counts]
      .map(([word, n]) => ({ word, share: n / size, lift: n / size - overall.get(word)! / texts }))
      .filter((w) => w.lift > 0)
      .sort((a, b) => b.lift - a.lift || b.share - a.share || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0))
      .slice(0, count);
    return { patternId, word: ranked.map((w) => w.word), share: ranked.map((w) => w.share) };
  });
}
