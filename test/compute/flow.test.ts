import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contingencyFromCells,
  contingencyTable,
  nonZeroCells,
  transposeContingency,
  type Contingency,
} from '../../src/compute/contingency.js';
import { flowGraph, jaccardMatrix, patternLineage } from '../../src/compute/flow.js';
import { InputError } from '../../src/errors.js';
import { mulberry32 as random } from '../../src/io/datasets/sample.js';

/** `count` labels in -1..patterns-1, about `noise` of them -1. */
function randomLabels(next: () => number, count: number, patterns: number, noise = 0.2): Int32Array {
  return Int32Array.from({ length: count }, () =>
    patterns === 0 || next() < noise ? -1 : Math.floor(next() * patterns),
  );
}

function sizesOf(labels: Int32Array, patterns: number): Int32Array {
  const sizes = new Int32Array(patterns + 1);
  for (const label of labels) sizes[label < 0 ? patterns : label]!++;
  return sizes;
}

function assertClose(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

// Inputs 0..7; pattern ids per labeling, -1 noise.
const A = Int32Array.from([0, 0, 1, 1, -1, 2, 2, -1]);
const B = Int32Array.from([1, 1, 0, -1, -1, 0, 0, 1]);

describe('contingency table', () => {
  it('counts each input once, noise in the last row and column', () => {
    const table = contingencyTable(A, B, 3, 2);
    // rows #0 #1 #2 noise, columns #0 #1 noise
    assert.deepEqual(Array.from(table.counts), [0, 2, 0, 1, 0, 1, 2, 0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(table.rowSums), [2, 2, 2, 2]);
    assert.deepEqual(Array.from(table.colSums), [3, 3, 2]);
    assert.equal(table.total, 8);
  });

  it('has row sums equal to the pattern sizes and total N on random labelings', () => {
    const next = random(7);
    for (let trial = 0; trial < 20; trial++) {
      const count = 1 + Math.floor(next() * 300);
      const [pa, pb] = [Math.floor(next() * 9), Math.floor(next() * 9)];
      const a = randomLabels(next, count, pa);
      const b = randomLabels(next, count, pb);
      const table = contingencyTable(a, b, pa, pb);
      assert.deepEqual(table.rowSums, sizesOf(a, pa));
      assert.deepEqual(table.colSums, sizesOf(b, pb));
      assert.equal(table.total, count);
      assert.equal(
        table.counts.reduce((s, n) => s + n, 0),
        count,
      );
      const transposed = transposeContingency(table);
      assert.deepEqual(transposed, contingencyTable(b, a, pb, pa), 'transposing equals swapping the labelings');
      const cells = nonZeroCells(table);
      assert.ok(cells.count.every((n) => n > 0));
      assert.deepEqual(
        contingencyFromCells(pa, pb, cells.labelA, cells.labelB, cells.count),
        table,
        'non-zero cells rebuild the table',
      );
    }
  });

  it('refuses labels outside the pattern range and misaligned labelings, naming the value', () => {
    assert.throws(
      () => contingencyTable(Int32Array.from([0, 3]), Int32Array.from([0, 0]), 3, 1),
      (e: unknown) => e instanceof InputError && /label of A 3 of input 1/.test(e.message),
    );
    assert.throws(
      () => contingencyTable(Int32Array.from([0]), Int32Array.from([-2]), 1, 1),
      (e: unknown) => e instanceof InputError && /-2/.test(e.message),
    );
    assert.throws(
      () => contingencyTable(Int32Array.from([0]), Int32Array.from([0, 0]), 1, 1),
      (e: unknown) => e instanceof InputError && /1 and 2/.test(e.message),
    );
  });
});

describe('Jaccard matrix', () => {
  it('matches hand-computed values', () => {
    const j = jaccardMatrix(contingencyTable(A, B, 3, 2));
    const at = (row: number, col: number) => j[row * 3 + col]!;
    assertClose(at(0, 1), 2 / 3, 'A#0 = B#1 minus one extra member of B#1'); // {0,1} vs {0,1,7}
    assertClose(at(1, 0), 1 / 4, 'A#1 ~ B#0'); // {2,3} vs {2,5,6}
    assertClose(at(2, 0), 2 / 3, 'A#2 ~ B#0'); // {5,6} vs {2,5,6}
    assertClose(at(1, 2), 1 / 3, 'A#1 ~ B noise'); // {2,3} vs {3,4}
    assertClose(at(3, 2), 1 / 3, 'noise ~ noise'); // {4,7} vs {3,4}
    assertClose(at(3, 1), 1 / 4, 'A noise ~ B#1'); // {4,7} vs {0,1,7}
    assert.equal(at(0, 0), 0);
  });

  it('lies in [0, 1], is 1 exactly for equal sets and is symmetric in the two labelings', () => {
    const next = random(11);
    for (let trial = 0; trial < 20; trial++) {
      const count = 1 + Math.floor(next() * 200);
      const [pa, pb] = [1 + Math.floor(next() * 6), 1 + Math.floor(next() * 6)];
      const a = randomLabels(next, count, pa);
      const b = trial % 4 === 0 ? a.slice() : randomLabels(next, count, pb);
      const pB = trial % 4 === 0 ? pa : pb;
      const table = contingencyTable(a, b, pa, pB);
      const ab = jaccardMatrix(table);
      const ba = jaccardMatrix(contingencyTable(b, a, pB, pa));
      const cols = pB + 1;
      ab.forEach((value, cell) => {
        const [i, j] = [Math.floor(cell / cols), cell % cols];
        assert.ok(value >= 0 && value <= 1, `J ${value} in [0, 1]`);
        assert.equal(value, ba[j * (pa + 1) + i], 'J(A_i, B_j) = J(B_j, A_i)');
        const same =
          table.counts[cell] === table.rowSums[i] && table.counts[cell] === table.colSums[j] && table.counts[cell]! > 0;
        assert.equal(value === 1, same, 'J is 1 exactly when the two sets are equal and non-empty');
      });
      if (trial % 4 === 0)
        for (let i = 0; i <= pa; i++)
          assert.ok(table.rowSums[i] === 0 || ab[i * cols + i] === 1, 'a labeling matches itself');
    }
  });
});

describe('alluvial graph', () => {
  const next = random(3);
  const layers = ['conv1', 'conv2', 'dense'];
  const counts = [4, 3, 5];
  const labels = counts.map((patterns) => randomLabels(next, 120, patterns));
  const tables: Contingency[] = [
    contingencyTable(labels[0]!, labels[1]!, 4, 3),
    contingencyTable(labels[1]!, labels[2]!, 3, 5),
  ];

  it('has one node per non-empty pattern or noise, sized by the members, and links that count every input once per layer pair', () => {
    const graph = flowGraph(layers, tables);
    assert.deepEqual(graph.layers, layers);
    layers.forEach((_, l) => {
      const nodes = graph.nodes.filter((n) => n.layerIndex === l);
      const sizes = sizesOf(labels[l]!, counts[l]!);
      for (const node of nodes) assert.equal(node.size, sizes[node.patternId < 0 ? counts[l]! : node.patternId]);
      assert.equal(nodes.length, sizes.filter((s) => s > 0).length);
      assert.equal(
        nodes.reduce((s, n) => s + n.size, 0),
        120,
      );
    });
    for (let l = 0; l < 2; l++) {
      const links = graph.links.filter((link) => graph.nodes[link.source]!.layerIndex === l);
      assert.ok(links.every((link) => graph.nodes[link.target]!.layerIndex === l + 1 && link.count > 0));
      assert.equal(
        links.reduce((s, link) => s + link.count, 0),
        120,
      );
      graph.nodes.forEach((node, index) => {
        if (node.layerIndex !== l) return;
        const out = links.filter((link) => link.source === index).reduce((s, link) => s + link.count, 0);
        assert.equal(out, node.size, 'a node sends all its members on');
      });
    }
  });

  it('leaves out an empty noise node and refuses tables that do not chain', () => {
    const table = contingencyTable(Int32Array.from([0, 1]), Int32Array.from([0, 0]), 2, 1);
    const graph = flowGraph(['a', 'b'], [table]);
    assert.deepEqual(
      graph.nodes.map((n) => `${n.layerIndex}:${n.patternId}`),
      ['0:0', '0:1', '1:0'],
    );
    assert.throws(() => flowGraph(layers, [tables[0]!]), /3 layers need 2 flow tables/);
    assert.throws(() => flowGraph(layers, [tables[1]!, tables[0]!]), InputError);
    assert.deepEqual(flowGraph([], []), { layers: [], nodes: [], links: [] });
  });
});

describe('pattern lineage', () => {
  // Pattern 0 of the source layer has 10 members: 6 in X#2, 3 in X noise, 1 in X#0.
  const source = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  const target = Int32Array.from([2, 2, 2, 2, 2, 2, -1, -1, -1, 0, 1, 1]);
  const table = contingencyTable(source, target, 2, 3);

  it('lists the destinations holding most of the members, with their shares', () => {
    const [step] = patternLineage(0, [{ layer: 'X', table }]);
    assert.equal(step!.layer, 'X');
    assert.equal(step!.members, 10);
    assert.deepEqual(step!.shares, [
      { patternId: 2, count: 6, share: 0.6 },
      { patternId: -1, count: 3, share: 0.3 },
      { patternId: 0, count: 1, share: 0.1 },
    ]);
    assert.equal(step!.otherShare, 0);
  });

  it('applies minShare and limit and reports the rest as otherShare', () => {
    const [bigOnly] = patternLineage(0, [{ layer: 'X', table }], { minShare: 0.2 });
    assert.deepEqual(
      bigOnly!.shares.map((s) => s.patternId),
      [2, -1],
    );
    assertClose(bigOnly!.otherShare, 0.1, 'other share');
    const [top] = patternLineage(0, [{ layer: 'X', table }], { limit: 1 });
    assert.deepEqual(
      top!.shares.map((s) => s.patternId),
      [2],
    );
    assertClose(top!.otherShare, 0.4, 'other share');
    const [noise] = patternLineage(-1, [{ layer: 'X', table }]);
    assert.equal(noise!.members, 0);
    assert.deepEqual(noise!.shares, []);
  });

  it('refuses unknown patterns and bad options, naming the value', () => {
    assert.throws(
      () => patternLineage(2, [{ layer: 'X', table }]),
      (e: unknown) => e instanceof InputError && /pattern 2/.test(e.message),
    );
    assert.throws(() => patternLineage(0, [{ layer: 'X', table }], { minShare: 2 }), /minShare 2/);
    assert.throws(() => patternLineage(0, [{ layer: 'X', table }], { limit: 0 }), /limit 0/);
  });
});
