/** A pattern's average image; noise has none, and clusterings without stored averages show a placeholder. */
import { useState } from 'preact/hooks';
import { averageImage } from '../api.js';
import { SourceImage } from './SourceImage.js';

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
  const source = averageImage(clusteringId, patternId, size);
  const id = `${clusteringId}:${patternId}`;
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
      source={source}
      width={size}
      height={size}
      alt={`Average image of pattern ${patternId}`}
      onError={() => setFailed(id)}
    />
  );
}
