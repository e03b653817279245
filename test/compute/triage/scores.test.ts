import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { toProbabilities } from '../../../src/compute/predictions.js';
import { combinedScore, rankOrder } from '../../../src/compute/triage/combine.js';
import { confusionMatrix, labelCodes } from '../../../src/compute/triage/labels.js';
import { modelScores } from '../../../src/compute/triage/model-scores.js';
import { neighbourVotes, probeAccuracy, voteDistribution } from '../../../src/compute/triage/neighbour-votes.js';
import { layerNeighbours } from '../../../src/compute/triage/neighbours.js';
import {
  duplicateGroups,
  medianNearestDistance,
  nearDuplicatePairs,
  neighbourDistanceScore,
} from '../../../src/compute/triage/outliers.js';
import { patternVotes } from '../../../src/compute/triage/pattern-votes.js';

const close = (actual: ArrayLike<number>, expected: number[], tolerance = 1e-9) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((value, i) => {
    if (Number.isNaN(value)) assert.ok(Number.isNaN(actual[i]!), `[${i}] is ${actual[i]}, expected NaN`);
    else assert.ok(Math.abs(actual[i]! - value) <= tolerance, `[${i}] is ${actual[i]}, expected ${value}`);
  });
};

// Six inputs on a line, two groups: 0 1 2 | 10 11 12. Labels A A B | B B B (codes 0, 1); with k = 2
// every input's neighbours are its group's other two (ties in distance go to the smaller index).
const points = makeMatrix(6, 1, Float32Array.from([0, 1, 2, 10, 11, 12]));
const labels = Int32Array.from([0, 0, 1, 1, 1, 1]);
const predicted = Int32Array.from([0, 1, 0, 1, 1, 0]);
const knn = (metric: 'euclidean' | 'manhattan', method: 'exact' | 'nn-descent') =>
  layerNeighbours(points, { k: 2, metric, method, seed: 1, threads: 1, stage: 'test' });

test('neighbour lists: the k nearest other inputs, nearest first, ties to the smaller index', async () => {
  for (const lists of [await knn('euclidean', 'exact'), await knn('manhattan', 'exact')]) {
    assert.deepEqual(Array.from(lists.ids), [1, 2, 0, 2, 1, 0, 4, 5, 3, 5, 4, 3]);
    close(lists.distances, [1, 2, 1, 1, 1, 2, 1, 2, 1, 1, 1, 2], 1e-6);
  }
  const approximate = await knn('euclidean', 'nn-descent');
  assert.equal(approximate.k, 2);
  approximate.ids.forEach((id, j) => assert.notEqual(id, Math.floor(j / 2), 'an input is never its own neighbour'));
});

test('kNN label consensus: given and predicted shares, majority (ties to the nearest), probe accuracy', async () => {
  const lists = await knn('euclidean', 'exact');
  const votes = neighbourVotes(lists, labels, predicted, 2);
  // 0: neighbours 1 (A), 2 (B); 1: 0 (A), 2 (B); 2: 1 (A), 0 (A); 3, 4, 5: all B.
  close(votes.givenShare, [0.5, 0.5, 0, 1, 1, 1]);
  close(votes.predictedShare, [0.5, 0.5, 1, 1, 1, 0]);
  assert.deepEqual(Array.from(votes.majority), [0, 0, 0, 1, 1, 1]);
  close(votes.majorityShare, [0.5, 0.5, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(votes.voters), [2, 2, 2, 2, 2, 2]);
  // Majorities: A A A B B B against A A B B B B: input 2 is missed.
  assert.deepEqual(probeAccuracy(votes, labels), { evaluated: 6, correct: 5, accuracy: 5 / 6 });
  close(voteDistribution(lists, labels, 2), [0.5, 0.5, 0.5, 0.5, 1, 0, 0, 1, 0, 1, 0, 1]);

  // Unlabelled inputs neither vote nor get a share.
  const partly = Int32Array.from([0, 0, 1, 1, 1, -1]);
  const some = neighbourVotes(lists, partly, predicted, 2);
  assert.deepEqual(Array.from(some.voters), [2, 2, 2, 1, 1, 2]);
  close(some.givenShare, [0.5, 0.5, 0, 1, 1, NaN]);
  assert.deepEqual(probeAccuracy(some, partly), { evaluated: 5, correct: 4, accuracy: 0.8 });
});

test('model scores: self-confidence p(given) and margin p(given) - max p(other); NaN without a class label', () => {
  const probabilities = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.3, 0.5]);
  const scores = modelScores(probabilities, 3, Int32Array.from([1, 1, -1]));
  close(scores.selfConfidence, [0.2, 0.6, NaN], 1e-7);
  close(scores.margin, [-0.5, 0.3, NaN], 1e-7);
  close(
    toProbabilities(Float32Array.from([0.2, 0.8, 0, Math.log(3), NaN, 1]), 3, 2),
    [0.2, 0.8, 0.25, 0.75, NaN, NaN],
    1e-7,
  );
});

test('pattern votes: other members with the label (hard), membership-weighted (soft); noise has none', () => {
  const hard = patternVotes({ patternCount: 2, patternId: Int32Array.from([0, 0, 0, 1, 1, -1]) }, labels, 2);
  // Pattern 0 holds A, A, B; pattern 1 holds B, B.
  close(hard.givenShare, [0.5, 0.5, 0, 1, 1, NaN]);
  assert.deepEqual(Array.from(hard.majority), [0, 0, 0, 1, 1, -1]);
  // Soft: inputs A, B, A with memberships [1, 0], [0, 1], [0.5, 0.5]. Pattern weights: p0 A 1.5; p1 A 0.5, B 1.
  // Input 2: p0 gives (1.5 - 0.5) / (1.5 - 0.5) = 1, p1 (0.5 - 0.5) / 1 = 0, each with weight 0.5: 0.5.
  const soft = patternVotes(
    { patternCount: 2, patternId: Int32Array.from([0, 1, -1]), soft: Float32Array.from([1, 0, 0, 1, 0.5, 0.5]) },
    Int32Array.from([0, 1, 0]),
    2,
  );
  close(soft.givenShare, [1, 0, 0.5]);
  assert.deepEqual(Array.from(soft.majority), [0, 1, 0]);
});

test('combined score: minus the weighted mean of log p(given) and the smoothed log votes; rank order', () => {
  const score = combinedScore(
    {
      given: Int32Array.from([0, 1, -1]),
      labelCount: 2,
      selfConfidence: Float64Array.from([0.5, 0.1, 0.9]),
      layers: [{ givenShare: Float64Array.from([1, 0, 1]), voters: Int32Array.from([2, 2, 2]) }],
    },
    { model: 1, smoothing: 1 },
  );
  // Votes smoothed: (2 + 1) / (2 + 2) and (0 + 1) / (2 + 2).
  close(score, [-(Math.log(0.5) + Math.log(0.75)) / 2, -(Math.log(0.1) + Math.log(0.25)) / 2, NaN]);
  const kNNOnly = combinedScore(
    {
      given: Int32Array.from([0]),
      labelCount: 2,
      selfConfidence: null,
      layers: [
        { givenShare: Float64Array.from([0.5]), voters: Int32Array.from([2]) },
        { givenShare: Float64Array.from([0]), voters: Int32Array.from([2]) },
      ],
    },
    { model: 1, smoothing: 1 },
  );
  close(kNNOnly, [-(Math.log(2 / 4) + Math.log(1 / 4)) / 2]);
  // The early layer's smoothed log vote joins with its own weight (2 here); where it has no voters, it drops out.
  const withEarly = combinedScore(
    {
      given: Int32Array.from([0, 1]),
      labelCount: 2,
      selfConfidence: Float64Array.from([0.5, 0.1]),
      layers: [{ givenShare: Float64Array.from([1, 0]), voters: Int32Array.from([2, 2]) }],
      earlyLayer: { givenShare: Float64Array.from([0.5, NaN]), voters: Int32Array.from([2, 0]) },
    },
    { model: 1, earlyLayer: 2, smoothing: 1 },
  );
  close(withEarly, [
    -(Math.log(0.5) + Math.log(3 / 4) + 2 * Math.log(2 / 4)) / 4,
    -(Math.log(0.1) + Math.log(1 / 4)) / 2,
  ]);
  const order = rankOrder(
    Float64Array.from([1, NaN, 2, 2]),
    Float64Array.from([0, 0, 1, 5]),
    Int32Array.from([10, 11, 12, 13]),
  );
  assert.deepEqual(Array.from(order), [3, 2, 0, 1]);
});

test('outliers and duplicates: mean neighbour distance, near-duplicate pairs, exact groups, confusion', async () => {
  const lists = await knn('euclidean', 'exact');
  close(neighbourDistanceScore(lists), [1.5, 1, 1.5, 1.5, 1, 1.5], 1e-6);
  assert.equal(medianNearestDistance(lists), 1);
  const near = nearDuplicatePairs(lists, 1);
  assert.deepEqual(
    [Array.from(near.a), Array.from(near.b)],
    [
      [0, 1, 3, 4],
      [1, 2, 4, 5],
    ],
  );
  assert.equal(near.threshold, 1);
  assert.equal(nearDuplicatePairs(lists, 0.5).a.length, 0);
  const groups = duplicateGroups(['a', 'b', 'a', null, 'c', 'b']);
  assert.deepEqual(Array.from(groups.group), [0, 1, 0, -1, -1, 1]);
  assert.equal(groups.groupCount, 2);
  assert.deepEqual(
    Array.from(confusionMatrix(Int32Array.from([0, 0, 1, -1]), Int32Array.from([0, 1, 1, 0]), 2)),
    [1, 1, 0, 1],
  );
  const codes = labelCodes(['b', 'x', null, 'a'], Int32Array.from([1, -1, 0, 2]), ['a', 'b']);
  assert.deepEqual(codes.names, ['a', 'b', 'x']);
  assert.deepEqual(Array.from(codes.given), [1, 2, -1, 0]);
  assert.deepEqual(Array.from(codes.predicted), [1, -1, 0, -1]);
});
