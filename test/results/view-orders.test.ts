import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupFlowGraph, memberPaths, OTHER_PATTERNS } from '../../src/results/flow-grouping.js';
import { binColumns, majorityRow, orderByLabelMix } from '../../src/results/label-order.js';
import { barycentreSort, seriate, topK, weightedCrossings, weightedMedian } from '../../src/results/seriation.js';
import { aggregatedColumnName, pairsStatistics, positionColumnName } from '../../src/results/unit-columns.js';

describe('barycentre seriation', () => {
  it('sorts items by the weighted mean position of their neighbours, lonely items last', () => {
    const neighbours = new Map<number, [number, number][]>([
      [0, [[2, 1]]],
      [
        1,
        [
          [0, 1],
          [3, 1],
        ],
      ],
      [3, [[1, 3]]],
    ]);
    // Keys: 0 -> 2, 1 -> 1.5, 2 -> none, 3 -> 1.
    assert.deepEqual(
      barycentreSort([0, 1, 2, 3], (item) => neighbours.get(item) ?? []),
      [3, 1, 0, 2],
    );
  });

  it('takes the weighted median, deaf to a light outlier', () => {
    assert.equal(
      weightedMedian([
        [5, 1],
        [1, 3],
        [100, 0.1],
      ]),
      1,
    );
    assert.equal(
      weightedMedian([
        [1, 1],
        [3, 1],
      ]),
      2,
    );
    assert.ok(Number.isNaN(weightedMedian([])));
  });

  it('puts a permutation table on its diagonal', () => {
    const cells = [
      { row: 0, col: 2, weight: 1 },
      { row: 1, col: 0, weight: 1 },
      { row: 2, col: 1, weight: 1 },
    ];
    assert.deepEqual(seriate([0, 1, 2], [0, 1, 2], cells), { rows: [0, 1, 2], cols: [2, 0, 1] });
  });

  it('counts weighted crossings and seriation removes them from two crossing bands', () => {
    const cells = [
      { row: 0, col: 1, weight: 2 },
      { row: 1, col: 0, weight: 3 },
    ];
    assert.equal(weightedCrossings(cells, [0, 1], [0, 1]), 6);
    const order = seriate([0, 1], [0, 1], cells);
    assert.equal(weightedCrossings(cells, order.rows, order.cols), 0);
    // The heavier row starts on top; its column follows it.
    assert.deepEqual(order, { rows: [1, 0], cols: [0, 1] });
  });

  it('lays a scrambled chain along the diagonal', () => {
    // r0 - c1 - r2 - c0 - r1: one chain; column 2 shares nothing. The search starts at r2 (heaviest, first),
    // whose far end is r0, whose far end is r1: the order runs r1, c0, r2, c1, r0.
    const cells = [
      { row: 0, col: 1, weight: 1 },
      { row: 2, col: 1, weight: 1 },
      { row: 2, col: 0, weight: 1 },
      { row: 1, col: 0, weight: 1 },
    ];
    const order = seriate([0, 1, 2], [0, 1, 2], cells);
    assert.deepEqual(order, { rows: [1, 2, 0], cols: [0, 1, 2] });
    assert.equal(weightedCrossings(cells, order.rows, order.cols), 0);
  });

  it('orders a long chain of shifted groups without a crossing, stray light cells notwithstanding', () => {
    // Row i shares members with columns i and i + 1, like patterns of two layers whose groups are offset,
    // and one member with a column far away.
    const ids = Array.from({ length: 200 }, (_, i) => i);
    const scramble = (i: number) => (i * 77) % 200;
    const chain = ids.flatMap((i) =>
      [i, i + 1].filter((j) => j < 200).map((j) => ({ row: scramble(i), col: scramble(j), weight: 1 })),
    );
    const stray = ids.map((i) => ({ row: scramble(i), col: scramble((i * 31 + 50) % 200), weight: 0.02 }));
    const order = seriate(ids, ids, [...chain, ...stray]);
    assert.equal(weightedCrossings(chain, order.rows, order.cols), 0);
  });

  it('gathers interleaved blocks into contiguous runs of rows and columns', () => {
    // Rows and columns of three blocks, their ids interleaved: row r and column c belong to block r % 3, c % 3.
    const ids = Array.from({ length: 9 }, (_, i) => i);
    const cells = ids.flatMap((row) =>
      ids.filter((col) => col % 3 === row % 3).map((col) => ({ row, col, weight: 1 + ((row * col) % 4) })),
    );
    const order = seriate(ids, ids, cells);
    for (const side of [order.rows, order.cols]) {
      const blocks = side.map((id) => id % 3);
      const runs = blocks.filter((block, i) => i === 0 || block !== blocks[i - 1]).length;
      assert.equal(runs, 3, `blocks in order ${blocks.join(',')}`);
    }
    assert.ok(weightedCrossings(cells, order.rows, order.cols) < weightedCrossings(cells, ids, ids));
  });

  it('keeps the k largest items, ties by smaller item, in item order', () => {
    const values = [3, 1, 3, 2];
    assert.deepEqual(
      topK([0, 1, 2, 3], (i) => values[i]!, 2),
      [0, 2],
    );
    assert.deepEqual(
      topK([0, 1, 2, 3], (i) => values[i]!, 3),
      [0, 2, 3],
    );
    assert.deepEqual(
      topK([3, 1], (i) => values[i]!, 5),
      [3, 1],
    );
  });
});

describe('grouping the alluvial graph', () => {
  // Layer 0: patterns 0 (5), 1 (3), 2 (1) and noise (1); layer 1: patterns 0 (6) and 1 (4).
  const graph = {
    layers: [
      { layer: 'a', order: 0, clusteringId: 1, patternCount: 3 },
      { layer: 'b', order: 1, clusteringId: 2, patternCount: 2 },
    ],
    nodes: { layerIndex: [0, 0, 0, 0, 1, 1], patternId: [0, 1, 2, -1, 0, 1], size: [5, 3, 1, 1, 6, 4] },
    links: { source: [0, 1, 2, 3], target: [4, 5, 4, 5], count: [5, 3, 1, 1] },
  };

  it('keeps the patterns of the k heaviest bands per layer pair, merges the others and keeps noise apart', () => {
    const grouped = groupFlowGraph(graph, { k: 2, noise: true });
    assert.deepEqual(
      grouped.nodes.map((n) => [n.layerIndex, n.patternId, n.size, n.patterns]),
      [
        [0, 0, 5, [0]],
        [0, 1, 3, [1]],
        [0, OTHER_PATTERNS, 1, [2]],
        [0, -1, 1, []],
        [1, 0, 6, [0]],
        [1, 1, 4, [1]],
      ],
    );
    assert.deepEqual(
      grouped.links.map((l) => [l.source, l.target, l.count]),
      [
        [0, 4, 5],
        [1, 5, 3],
        [2, 4, 1],
        [3, 5, 1],
      ],
    );
    assert.equal(grouped.nodeOf(0, 2), 2);
    assert.equal(grouped.nodeOf(1, 1), 5);
  });

  it('adds up the bands of merged patterns and drops noise when asked', () => {
    const grouped = groupFlowGraph(graph, { k: 1, noise: false });
    assert.deepEqual(
      grouped.nodes.map((n) => [n.layerIndex, n.patternId, n.size]),
      [
        [0, 0, 5],
        [0, OTHER_PATTERNS, 4],
        [1, 0, 6],
        [1, OTHER_PATTERNS, 4],
      ],
    );
    assert.deepEqual(
      grouped.links.map((l) => [l.source, l.target, l.count]),
      [
        [0, 2, 5],
        [1, 2, 1],
        [1, 3, 3],
      ],
    );
    assert.equal(grouped.nodeOf(0, -1), undefined);
  });

  it('keeps the ends of the heaviest bands of each pair, not the largest patterns of each layer', () => {
    // a0 (9) spreads 3/3/3 over b0..b2, a1 (5) goes whole to b3; b0 and b1 go whole to c0 (b0's band first
    // of the ties), b3 splits into c1 and noise.
    const three = {
      layers: [
        { layer: 'a', order: 0, clusteringId: 1, patternCount: 2 },
        { layer: 'b', order: 1, clusteringId: 2, patternCount: 4 },
        { layer: 'c', order: 2, clusteringId: 3, patternCount: 2 },
      ],
      nodes: {
        layerIndex: [0, 0, 1, 1, 1, 1, 2, 2, 2],
        patternId: [0, 1, 0, 1, 2, 3, 0, 1, -1],
        size: [9, 5, 3, 3, 3, 5, 9, 2, 3],
      },
      links: {
        source: [0, 0, 0, 1, 2, 3, 4, 5, 5],
        target: [2, 3, 4, 5, 6, 6, 6, 7, 8],
        count: [3, 3, 3, 5, 3, 3, 3, 2, 3],
      },
    };
    const grouped = groupFlowGraph(three, { k: 1, noise: true });
    assert.deepEqual(
      grouped.nodes.map((n) => [n.layerIndex, n.patternId, n.size, n.patterns]),
      [
        [0, 1, 5, [1]],
        [0, OTHER_PATTERNS, 9, [0]],
        [1, 0, 3, [0]],
        [1, 3, 5, [3]],
        [1, OTHER_PATTERNS, 6, [1, 2]],
        [2, 0, 9, [0]],
        [2, OTHER_PATTERNS, 2, [1]],
        [2, -1, 3, []],
      ],
    );
    assert.deepEqual(
      grouped.links.map((l) => [l.source, l.target, l.count]),
      [
        [0, 3, 5],
        [1, 2, 3],
        [1, 4, 6],
        [2, 5, 3],
        [3, 6, 2],
        [3, 7, 3],
        [4, 5, 6],
      ],
    );
    // A layer of no more than k patterns keeps every one.
    assert.deepEqual(
      groupFlowGraph(three, { k: 2, noise: false }).nodes.map((n) => [n.layerIndex, n.patternId]),
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
        [1, 3],
        [1, OTHER_PATTERNS],
        [2, 0],
        [2, 1],
      ],
    );
  });

  it("follows a set of inputs through the layers' nodes", () => {
    const grouped = groupFlowGraph(graph, { k: 2, noise: true });
    const patterns = [
      new Map([
        [10, 0],
        [11, 2],
        [12, -1],
      ]),
      new Map([
        [10, 0],
        [11, 0],
      ]),
    ];
    const paths = memberPaths(2, [10, 11, 12], (l, input) => patterns[l]!.get(input), grouped.nodeOf);
    assert.deepEqual(
      paths.links.map((l) => [l.source, l.target, l.count]),
      [
        [0, 4, 1],
        [2, 4, 1],
      ],
    );
    assert.deepEqual(
      [...paths.nodes].sort((a, b) => a[0] - b[0]),
      [
        [0, 1],
        [2, 1],
        [3, 1],
        [4, 2],
      ],
    );
  });
});

describe('label × pattern order and bins', () => {
  it('finds the majority row, first on ties', () => {
    assert.equal(majorityRow([2, 5, 5]), 1);
    assert.equal(majorityRow([0, 0]), -1);
  });

  it('orders patterns by majority label, then purity, noise and unlabelled last', () => {
    const rows = [
      { patternId: 0, counts: [1, 4, 0] },
      { patternId: 1, counts: [5, 0, 0] },
      { patternId: 2, counts: [0, 3, 1] },
      { patternId: 3, counts: [2, 2, 0] },
      { patternId: 4, counts: [0, 0, 0] },
      { patternId: -1, counts: [3, 0, 0] },
    ];
    assert.deepEqual(orderByLabelMix(rows), [1, 3, 0, 2, -1, 4]);
  });

  it('bins columns evenly when they outnumber the slots', () => {
    assert.deepEqual(binColumns(10, 4), [
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 8 },
      { start: 8, end: 10 },
    ]);
    assert.deepEqual(
      binColumns(3, 10).map((b) => b.end - b.start),
      [1, 1, 1],
    );
    assert.deepEqual(binColumns(0, 5), []);
  });
});

describe('names of aggregated columns', () => {
  it('tells means from standard deviations with mean_std, and minima from maxima with min_max', () => {
    assert.deepEqual(aggregatedColumnName('mean_std', 8, 1), { short: 'μ1', long: 'Unit 1, mean' });
    assert.deepEqual(aggregatedColumnName('mean_std', 8, 6), { short: 'σ2', long: 'Unit 2, standard deviation' });
    assert.deepEqual(aggregatedColumnName('min_max', 4, 3), { short: '↑1', long: 'Unit 1, maximum' });
    assert.deepEqual(aggregatedColumnName('mean', 4, 3), { short: '3', long: 'Unit 3' });
    assert.deepEqual(positionColumnName(2, 5), { short: '5', long: 'Unit 2 at position 5' });
    assert.equal(pairsStatistics('mean_std'), true);
    assert.equal(pairsStatistics('max'), false);
  });
});
