/**
 * What a feature visualization maximises, computed from a layer's activations in tf.js (differentiable)
 * and, for the dataset's best value, from the run's stored normalized aggregated activations in plain
 * JavaScript, with the same definitions:
 * - unit: the unit's mean activation over the layer's positions (raw, as the model computes it; a token
 *   layer's patch tokens, its prefix tokens left out as the run's aggregation left them out);
 * - channel: the unit's activation at one position;
 * - pattern: the cosine between the layer's normalized aggregated activation (the space the pattern was
 *   found in: the run's aggregation, divided by its unit divisors) and the pattern's centroid in that space,
 *   optionally minus the cosine with the nearest other pattern's centroid (what sets the pattern apart).
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerGeometry, type Aggregation, type ChannelOrder, type LayerGeometry } from '../compute/aggregate.js';
import { ZERO_DIVISOR } from '../compute/normalize.js';
import { arranged, channelsLastPerm, logical, type Value } from '../io/onnx-to-tfjs/value.js';

export type Objective =
  | { kind: 'unit'; unit: number }
  | { kind: 'channel'; unit: number; position: number }
  | {
      kind: 'pattern';
      patternId: number;
      centroid: Float32Array;
      contrast?: { patternId: number; centroid: Float32Array };
    };

/** How the run turned the layer's tensor into the rows it clustered. */
export interface LayerSpace {
  /** The layer's dims, batch first, as stored (raw_dims). */
  rawDims: readonly number[];
  order: ChannelOrder;
  aggregation: Aggregation;
  /** One per column of the stored rows. */
  divisors: Float32Array;
  /** A token layer's prefix tokens (CLS, distillation, registers): not patches, left out of the patch aggregations. */
  prefixTokens?: number;
}

export function spaceGeometry(space: LayerSpace): LayerGeometry {
  return layerGeometry(space.rawDims, space.order);
}

/** The layer as [batch, positions, units] (a reshape of the stored tensor when convolutions stored it channels-last). */
export function positionsByUnits(layer: Value, space: LayerSpace): tf.Tensor3D {
  const { units, positions } = spaceGeometry(space);
  const rank = layer.perm.length;
  const channelsLast =
    space.order === 'channels-first' && rank > 2 ? arranged(layer, channelsLastPerm(rank)) : logical(layer);
  return tf.reshape(channelsLast, [-1, positions, units]);
}

/** The positions the patch aggregations read: all but a token layer's prefix tokens, [batch, patches, units]. */
function patchPositions(x: tf.Tensor3D, space: LayerSpace): tf.Tensor3D {
  const prefix = Math.min(space.prefixTokens ?? 0, x.shape[1] - 1);
  return prefix > 0 ? tf.slice(x, [0, prefix, 0], [-1, -1, -1]) : x;
}

/** The normalized aggregated row of every image, [batch, dim], as the run stored them. */
export function normalizedRows(x: tf.Tensor3D, space: LayerSpace): tf.Tensor2D {
  const batch = x.shape[0];
  const patches = patchPositions(x, space);
  let rows: tf.Tensor;
  switch (space.aggregation) {
    case 'mean':
      rows = tf.mean(patches, 1);
      break;
    case 'max':
      rows = tf.max(patches, 1);
      break;
    case 'absmax':
      rows = tf.max(tf.abs(patches), 1);
      break;
    case 'cls':
      rows = tf.reshape(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [batch, -1]);
      break;
    case 'mean_std': {
      const mean = tf.mean(patches, 1);
      const variance = tf.relu(tf.sub(tf.mean(tf.square(patches), 1), tf.square(mean)));
      rows = tf.concat([mean, tf.sqrt(tf.add(variance, 1e-12))], 1);
      break;
    }
    case 'min_max':
      rows = tf.concat([tf.min(patches, 1), tf.max(patches, 1)], 1);
      break;
    case 'none':
      // Stored in the layer's memory order: unit-major for channels-first layers, position-major otherwise.
      rows =
        space.order === 'channels-first'
          ? tf.reshape(tf.transpose(x, [0, 2, 1]), [batch, -1])
          : tf.reshape(x, [batch, -1]);
      break;
  }
  const inverse = Float32Array.from(space.divisors, (d) => (d > ZERO_DIVISOR ? 1 / d : 0));
  return tf.mul<tf.Tensor2D>(rows, tf.tensor1d(inverse));
}

function cosine(rows: tf.Tensor2D, direction: Float32Array): tf.Tensor1D {
  const d = tf.tensor1d(direction);
  const dot = tf.sum(tf.mul(rows, d), 1);
  const norms = tf.mul(tf.norm(rows, 'euclidean', 1), Math.hypot(...direction));
  return tf.div(dot, tf.add(norms, 1e-12));
}

/** The objective of every image, [batch], from the layer's activations as [batch, positions, units] (positionsByUnits). */
export function objectiveValues(x: tf.Tensor3D, space: LayerSpace, objective: Objective): tf.Tensor1D {
  switch (objective.kind) {
    case 'unit':
      return tf.mean<tf.Tensor1D>(tf.slice(patchPositions(x, space), [0, 0, objective.unit], [-1, -1, 1]), [1, 2]);
    case 'channel':
      return tf.reshape<tf.Rank.R1>(tf.slice(x, [0, objective.position, objective.unit], [-1, 1, 1]), [-1]);
    case 'pattern': {
      const rows = normalizedRows(x, space);
      const own = cosine(rows, objective.centroid);
      return objective.contrast === undefined ? own : tf.sub(own, cosine(rows, objective.contrast.centroid));
    }
  }
}

/**
 * Lucid's diversity term for a batch of images ([batch, positions, units] at the layer): the mean cosine
 * similarity between the images' Gram matrices (style); minimising it pushes the images apart. 0 for a single image.
 */
export function gramSimilarity(x: tf.Tensor3D): tf.Scalar {
  const [batch, positions] = x.shape;
  if (batch < 2) return tf.scalar(0);
  const gram = tf.div(tf.matMul(x, x, true, false), positions);
  const flat = tf.reshape(gram, [batch, -1]);
  const unit = tf.div(flat, tf.add(tf.norm(flat, 'euclidean', 1, true), 1e-12));
  const similarity = tf.matMul(unit, unit, false, true);
  return tf.div(tf.sub(tf.sum(similarity), batch), batch * (batch - 1));
}

/**
 * The objective's value for one stored row (normalized aggregated activations), or null when the row does
 * not determine it (a unit's mean under max or min_max aggregation, one position under any aggregation but
 * none): the dataset's best value is then unknown without running the model again.
 */
export function storedRowValue(row: Float32Array, space: LayerSpace, objective: Objective): number | null {
  const { units, positions } = spaceGeometry(space);
  const column = (unit: number, position: number): number =>
    space.order === 'channels-first' ? unit * positions + position : position * units + unit;
  const raw = (c: number): number => row[c]! * space.divisors[c]!;
  switch (objective.kind) {
    case 'unit': {
      if (space.aggregation === 'mean' || space.aggregation === 'mean_std') return raw(objective.unit);
      if (space.aggregation !== 'none') return null;
      const first = Math.min(space.prefixTokens ?? 0, positions - 1);
      let sum = 0;
      for (let p = first; p < positions; p++) sum += raw(column(objective.unit, p));
      return sum / (positions - first);
    }
    case 'channel':
      return space.aggregation === 'none' ? raw(column(objective.unit, objective.position)) : null;
    case 'pattern': {
      const cos = (direction: Float32Array): number => {
        let dot = 0;
        let rowNorm = 0;
        direction.forEach((d, i) => {
          dot += d * row[i]!;
          rowNorm += row[i]! * row[i]!;
        });
        return dot / (Math.sqrt(rowNorm) * Math.hypot(...direction) + 1e-12);
      };
      const own = cos(objective.centroid);
      return objective.contrast === undefined ? own : own - cos(objective.contrast.centroid);
    }
  }
}
