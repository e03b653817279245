import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attractionCoefficient,
  lookup,
  repulsionCoefficient,
  tabulate,
  TABLE_HIGH,
  TABLE_LOW,
} from '../../../src/compute/projection/gradient-tables.js';
import { fitCurve } from '../../../src/compute/projection/curve-fit.js';

test('the gradient tables match the exact coefficients to 1e-4 relative over their whole range, octave edges and its ends included', () => {
  const { a, b } = fitCurve(0.1, 1);
  const attraction = tabulate((d2) => attractionCoefficient(d2, a, b));
  const repulsion = tabulate((d2) => repulsionCoefficient(d2, a, b, 1));
  const points = [TABLE_LOW, TABLE_HIGH * (1 - 1e-9), 1, 2, 0.5, 1.0001, 3.14159, 99.5, 1e-5, 2000];
  for (let i = 0; i < 2000; i++) points.push(TABLE_LOW * Math.pow(TABLE_HIGH / TABLE_LOW, i / 2000));
  for (const d2 of points) {
    const exactPull = attractionCoefficient(d2, a, b);
    const exactPush = repulsionCoefficient(d2, a, b, 1);
    const pull = lookup(attraction, d2);
    const push = lookup(repulsion, d2);
    assert.ok(Math.abs(pull - exactPull) <= 1e-4 * Math.abs(exactPull), `attraction at ${d2}: ${pull} vs ${exactPull}`);
    assert.ok(Math.abs(push - exactPush) <= 1e-4 * Math.abs(exactPush), `repulsion at ${d2}: ${push} vs ${exactPush}`);
  }
});
