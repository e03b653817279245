/** A pattern's average image; noise has none, and clusterings without stored averages show a placeholder. */
import { useState } from 'preact/hooks';
import { averageImageUrl } from '../api.js';

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
  const url = averageImageUrl(clusteringId, patternId, size);
  if (patternId < 0 || failed === url) {
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
    <img
      class={className}
      src={url}
      width={size}
      height={size}
      alt={`Average image of pattern ${patternId}`}
      loading="lazy"
      onError={() => setFailed(url)}
    />
  );
}
