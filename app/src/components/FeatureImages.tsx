/**
 * The feature visualizations (`nap visualize`) of a unit or a pattern: images optimised to maximise its
 * objective, each with the value it reaches beside the highest value over the run's inputs. Nothing is
 * shown where none is stored.
 */
import type { FeatureImage } from '../../../src/results/api-types.js';
import { featureImage, useQuery } from '../api.js';
import { formatNumber } from '../format.js';
import { SourceImage } from './SourceImage.js';

/** Side of the images on the page: small images are scaled up pixel for pixel. */
const SIDE = 112;

const OBJECTIVE_NAMES: Record<FeatureImage['objective'], string> = {
  unit: 'mean activation',
  channel: 'activation at one position',
  pattern: 'cosine with the centroid',
  pattern_contrast: 'cosine minus the nearest pattern’s',
};

function objectiveText(image: FeatureImage): string {
  if (image.objective === 'channel') return `activation at position ${image.position}`;
  if (image.objective === 'pattern_contrast') return `cosine minus pattern ${image.contrastPattern}’s`;
  return OBJECTIVE_NAMES[image.objective];
}

export function FeatureImages({
  runId,
  layer,
  shows,
  what,
}: {
  runId: number;
  layer: string;
  /** Which of the layer's images belong here. */
  shows: (image: FeatureImage) => boolean;
  /** 'unit 3', 'pattern 2': named in the labels. */
  what: string;
}) {
  const answer = useQuery('featureImages', { runId, layer });
  const images = answer.data?.images.filter(shows) ?? [];
  if (images.length === 0) return null;
  return (
    <section class="panel feature-images" aria-labelledby="feature-images-title">
      <div class="panel-heading">
        <h2 id="feature-images-title">Feature visualization</h2>
        <span class="muted">images optimised to maximise the objective; the dataset’s best for comparison</span>
      </div>
      <div class="feature-image-row">
        {images.map((image) => (
          <figure class="feature-image" key={image.row}>
            <SourceImage
              class="average"
              source={featureImage(runId, layer, image.row)}
              width={SIDE}
              height={SIDE}
              alt={`Feature visualization of ${what}: ${objectiveText(image)}`}
            />
            <figcaption>
              <span>{objectiveText(image)}</span>
              <span class="mono" data-value={image.value}>
                {formatNumber(image.value, 3)}
                {image.datasetMax !== null && (
                  <span class="muted"> · dataset best {formatNumber(image.datasetMax, 3)}</span>
                )}
              </span>
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
