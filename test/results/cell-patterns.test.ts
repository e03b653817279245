/** A confusion cell's inputs in each layer's patterns, beside the correctly classified inputs of the predicted class. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellPatterns } from '../../src/results/cell-patterns.js';
import { indexInputs } from '../../src/results/input-index.js';

// Inputs 0..7: labels and predictions. The cell: given cat, predicted dog = inputs 1 and 4.
const labels = ['dog', 'cat', 'dog', 'dog', 'cat', 'cat', 'dog', 'dog'];
const predictions = ['dog', 'dog', 'dog', 'cat', 'dog', 'cat', 'dog', 'dog'];
const inputs = indexInputs({
  inputIndex: Int32Array.from({ length: 8 }, (_, i) => i),
  path: labels.map((_, i) => `${i}.png`),
  label: labels,
  prediction: Int32Array.from(predictions, (p) => (p === 'cat' ? 0 : 1)),
  predictionLabel: predictions,
  probability: new Float64Array(8).fill(0.9),
  content: labels.map(() => null),
});

const memberships = (patternId: number[]) => ({
  inputIndex: Int32Array.from(patternId, (_, i) => i),
  patternId: Int32Array.from(patternId),
  probability: new Float64Array(patternId.length).fill(1),
  outlierScore: new Float64Array(patternId.length),
});

test('per layer, the patterns of the cell inputs with the correctly classified inputs of the predicted class', () => {
  const layers = [
    // Early layer: input 1 in pattern 0 with dogs 0 and 2 (3 is a dog predicted cat: not a peer); input 4 is noise.
    { clusteringId: 10, layer: 'early', memberships: memberships([0, 0, 0, 0, -1, 1, 1, 1]) },
    // Late layer: both in pattern 2 with dogs 6 and 7; pattern 0 holds the cat 5 only.
    { clusteringId: 11, layer: 'late', memberships: memberships([1, 2, 1, 1, 2, 0, 2, 2]) },
  ];
  assert.deepEqual(cellPatterns([1, 4], 'dog', layers, inputs), [
    { clusteringId: 10, layer: 'early', patternId: 0, cellInputs: [1], peers: [0, 2] },
    { clusteringId: 11, layer: 'late', patternId: 2, cellInputs: [1, 4], peers: [6, 7] },
  ]);
  assert.deepEqual(cellPatterns([5], 'cat', layers.slice(1), inputs), [
    { clusteringId: 11, layer: 'late', patternId: 0, cellInputs: [5], peers: [5] },
  ]);
});
