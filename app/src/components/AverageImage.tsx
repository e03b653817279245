/**
 * A pattern's average image; for a run of texts its most distinctive words instead (pattern-words.ts).
 * Noise has none, and clusterings without stored averages show a placeholder.
 */
import { useState } from 'preact/hooks';
import { averageImage, useQuery } from '../api.js';
import { showsPatternWords } from '../data/tables.js';
import { formatShare } from '../format.js';
import { SourceImage } from './SourceImage.js';

/** Words a box of `size` pixels lists (one line each). */
const wordsShown = (size: number) => Math.max(1, Math.floor((size - 4) / 13));

function PatternWords({
  clusteringId,
  patternId,
  size,
  className,
}: {
  clusteringId: number;
  patternId: number;
  size: number;
  className: string;
}) {
  const words = useQuery('patternWords', { clusteringId });
  const pattern = words.data?.patterns[patternId];
  const shown = pattern ? pattern.word.slice(0, wordsShown(size)) : [];
  return (
    <div
      class={`${className} pattern-words`}
      style={{ width: `${size}px`, height: `${size}px` }}
      role="img"
      aria-label={`Words of pattern ${patternId}: ${pattern ? pattern.word.join(', ') : 'loading'}`}
      data-state={words.data ? 'ready' : 'loading'}
    >
      {shown.map((word, k) => (
        <span key={word} class="word" title={`${word}: in ${formatShare(pattern!.share[k]!)} of its texts`}>
          {word}
        </span>
      ))}
      {words.data && shown.length === 0 && <span class="muted">no distinct words</span>}
    </div>
  );
}

export function AverageImage({
  clusteringId,
  patternId,
  size,
  className = 'average',
}: {
  clusteringId: number;
  patternId: number;
  size: number;
  className?: string;
}) {
  const [failed, setFailed] = useState<string | null>(null);
  const id = `${clusteringId}:${patternId}`;
  if (patternId >= 0 && showsPatternWords(clusteringId)) {
    return <PatternWords clusteringId={clusteringId} patternId={patternId} size={size} className={className} />;
  }
  if (patternId < 0 || failed === id) {
    return (
      <div
        class={`${className} noise-average`}
        style={{ width: `${size}px`, height: `${size}px` }}
        role="img"
        aria-label={patternId < 0 ? 'noise: no average image' : 'no average image stored'}
      >
        {patternId < 0 ? 'noise' : 'no image'}
      </div>
    );
  }
  return (
    <SourceImage
      class={className}
      source={averageImage(clusteringId, patternId, size)}
      width={size}
      height={size}
      alt={`Average image of pattern ${patternId}`}
      onError={() => setFailed(id)}
    />
  );
}
