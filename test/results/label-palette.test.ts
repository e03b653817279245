import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LABEL_PALETTE } from '../../src/results/label-palette.js';
import { ciede2000, hexDistance, parseHex, simulateDichromacy } from '../helpers/ciede2000.js';

const hex = (rgb: readonly number[]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

function pairs<T>(items: readonly T[]): [T, T][] {
  return items.flatMap((a, i) => items.slice(i + 1).map((b): [T, T] => [a, b]));
}

describe('CIEDE2000', () => {
  it('matches the published test pairs of Sharma, Wu and Dalal (2005)', () => {
    const cases: [[number, number, number], [number, number, number], number][] = [
      [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
      [[50, -1.3802, -84.2814], [50, 0, -82.7485], 1.0],
      [[50, 0, 0], [50, -1, 2], 2.3669],
      [[50, 2.5, 0], [73, 25, -18], 27.1492],
      [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
      [[22.7233, 20.0904, -46.694], [23.0331, 14.973, -42.5619], 2.0373],
      [[90.8027, -2.0831, 1.441], [91.1528, -1.6435, 0.0447], 1.4441],
      [[2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514], 0.9082],
    ];
    for (const [[l1, a1, b1], [l2, a2, b2], expected] of cases) {
      const got = ciede2000({ l: l1, a: a1, b: b1 }, { l: l2, a: a2, b: b2 });
      assert.ok(Math.abs(got - expected) < 1e-4, `${got} vs ${expected}`);
    }
  });

  it('tells the two teals of the old palette apart by less than 3', () => {
    assert.ok(hexDistance('#76b7b2', '#86bcb6') < 3);
  });
});

describe('label palette', () => {
  it('has ten colours, every pair at least 15 CIEDE2000 apart', () => {
    assert.equal(LABEL_PALETTE.length, 10);
    for (const [a, b] of pairs(LABEL_PALETTE)) assert.ok(hexDistance(a, b) >= 15, `${a} and ${b}`);
  });

  it('keeps every pair apart for protanopia and deuteranopia', () => {
    for (const kind of ['protan', 'deutan'] as const) {
      const seen = LABEL_PALETTE.map((c) => hex(simulateDichromacy(parseHex(c), kind)));
      for (const [a, b] of pairs(seen)) assert.ok(hexDistance(a, b) >= 10, `${kind}: ${a} and ${b}`);
    }
  });

  it('stands apart from the grey of noise and from the white page', () => {
    for (const colour of LABEL_PALETTE) {
      assert.ok(hexDistance(colour, '#9aa0a6') >= 10, colour);
      assert.ok(hexDistance(colour, '#ffffff') >= 15, colour);
    }
  });
});
