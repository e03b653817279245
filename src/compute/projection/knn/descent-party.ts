/**
 * NN-descent (Dong et al. 2011, as in pynndescent) run by `parties` threads over shared memory, with a
 * result that does not depend on how many there are.
 *
 * Each row's neighbours are a bounded heap that keeps the `width` smallest (key, id) pairs offered to it:
 * which pairs it ends with depends only on what was offered, but its slot layout (which the candidate
 * sampling walks) and the update counts (which stop the search) depend on the order of the offers. So
 * every heap is written by one party only, the owner of its row, and receives its offers in one fixed
 * order: the sequential algorithm's. Distances are computed where the work is spread (by leaf, by row
 * of candidates) and handed to the owners through shared buffers, between barriers:
 * - forest: `parties` random-projection trees at a time, one per party (each tree seeded from the
 *   seed and its number); then every party offers the pairs of each tree's leaves, tree by tree, to the
 *   rows it owns;
 * - each iteration: the parties sample the candidates of the rows they own (random priorities keyed
 *   by seed, iteration and heap slot, offered in row order as one thread would); the rows are
 *   cut into rounds whose candidate pairs fit the update arena; within a round the parties take rows
 *   in chunks, compute the keys of their candidate pairs and keep those below either end's bound (the
 *   bounds only fall, so nothing a heap would take is dropped); then each party offers the kept pairs,
 *   in row order, to the rows it owns.
 */
import { mix, SeededRandom } from '../random.js';
import type { WasmMemory } from '../../wasm/assembler.js';
import type { KnnMetric, SearchRows } from './neighbor-graph.js';
import { NeighborHeaps } from './neighbor-heaps.js';
import { buildRpTree, forestSize } from './rp-forest.js';
import { rowKernels, type RowKernels } from './row-kernels.js';

/** umap-learn's NN-descent settings. */
export const MAX_CANDIDATES = 60;
const EARLY_STOP_DELTA = 0.001;
/** Candidate pairs one round may evaluate: the update arena holds as many (16 bytes each: 32 MB). */
export const ROUND_PAIRS = 1 << 21;
/** Rows a party takes at a time within a round. */
const CHUNK_ROWS = 64;

/** Slots of the shared control block. */
export const DESCENT_CONTROL = {
  arrived: 0,
  generation: 1,
  /** Next chunk of rows to take in the current round. */
  nextChunk: 2,
  rounds: 3,
  /** Rows visited so far, for progress (one pass for the forest, one per iteration). */
  progress: 4,
} as const;
export const DESCENT_CONTROL_SLOTS = 5;

export interface DescentShared {
  count: number;
  /** Floats per row of `data`: the rows' values padded with zeros to a multiple of 4 (see row-kernels.ts). */
  dim: number;
  /** Neighbours kept per row (k - 1). */
  width: number;
  /** Most new (and most old) candidates sampled per row. */
  limit: number;
  leafSize: number;
  iterations: number;
  /** 32-bit integer every random choice derives from. */
  seed: number;
  metric: KnnMetric;
  data: Float32Array;
  /** The shared WebAssembly memory `data` starts, when the SIMD kernels are available (see rowMemory). */
  memory: WasmMemory | undefined;
  /** The heaps (see NeighborHeaps), count x width. */
  ids: Int32Array;
  keys: Float64Array;
  fresh: Uint8Array;
  /**
   * Candidates sampled for the iteration, in rows: row r's new ones from candidateStart[r], its old
   * ones from oldStart[r], each list with room for the offers it gets (at most `limit`), so that all
   * of them fit in 2 x width entries a row (every heap slot makes two offers), not 2 x limit.
   */
  candidates: Int32Array;
  candidateStart: Int32Array;
  oldStart: Int32Array;
  /** How many new and old candidates each row has (while counting: how many offers). */
  newSizes: Int32Array;
  oldSizes: Int32Array;
  /**
   * The sampling priorities of the candidates, beside them: 32-bit random integers (4 bytes a
   * candidate where float64 fractions took 8; the same order, so the same samples).
   */
  priorities: Uint32Array;
  /** First row of each round (count + 1 entries at most; DESCENT_CONTROL.rounds of them used, then the end). */
  roundStarts: Int32Array;
  /** Where each row's kept pairs start in the update arena, and how many it kept. */
  rowOffset: Int32Array;
  rowUpdates: Int32Array;
  /** The update arena: pair (p, q) at key. */
  updateP: Int32Array;
  updateQ: Int32Array;
  updateKey: Float64Array;
  /** The tree each party built in the current forest round: row order and leaf bounds (see RpTree). */
  treeOrder: Int32Array;
  treeBounds: Int32Array;
  treeLeaves: Int32Array;
  /** Heap updates each party made in the current iteration. */
  successes: Float64Array;
  control: Int32Array;
}

/** The seed of tree `tree` of the forest. */
function treeSeed(seed: number, tree: number): number {
  return mix(seed ^ Math.imul(tree + 1, 0x9e3779b1));
}

/** Party `index` of `parties`: runs the whole search; `barrier` returns once every party has reached it. */
export function runDescentParty(shared: DescentShared, index: number, parties: number, barrier: () => void): void {
  const { count, width, control } = shared;
  const rows: SearchRows = {
    count,
    dim: shared.dim,
    data: shared.data,
    offsets: new Float64Array(0),
    dotWeight: shared.metric === 'cosine' ? 1 : 2,
    metric: shared.metric,
  };
  const kernels = rowKernels(rows, shared.memory, index);
  const heaps = new NeighborHeaps(count, width, shared);
  const owned = { from: Math.floor((count * index) / parties), to: Math.floor((count * (index + 1)) / parties) };
  // Party 0's random stream fills the slots the forest left empty.
  const random = index === 0 ? new SeededRandom(shared.seed) : undefined;

  const trees = forestSize(count);
  for (let first = 0; first < trees; first += parties) {
    if (first + index < trees) {
      const tree = buildRpTree(rows, shared.leafSize, new SeededRandom(treeSeed(shared.seed, first + index)), kernels);
      shared.treeOrder.set(tree.order, index * count);
      shared.treeBounds.set(tree.leafBounds, index * (count + 1));
      shared.treeLeaves[index] = tree.leafBounds.length - 1;
    }
    barrier();
    for (let party = 0; party < parties && first + party < trees; party++)
      offerLeafPairs(shared, party, kernels, heaps, owned);
    if (index === 0)
      Atomics.store(control, DESCENT_CONTROL.progress, Math.floor((Math.min(trees, first + parties) * count) / trees));
    barrier();
  }
  if (random) fillEmptySlots(kernels, heaps, random);
  barrier();

  const sampler = new CandidateSampler(shared, owned);
  for (let iteration = 0; iteration < shared.iterations; iteration++) {
    sampler.countOffers(heaps);
    barrier();
    if (index === 0) placeCandidates(shared);
    barrier();
    sampler.sample(heaps, iteration);
    barrier();
    sampler.markUsed(heaps);
    if (index === 0) {
      planRounds(shared);
      Atomics.store(control, DESCENT_CONTROL.nextChunk, 0);
    }
    barrier();
    const rounds = Atomics.load(control, DESCENT_CONTROL.rounds);
    let updates = 0;
    for (let round = 0; round < rounds; round++) {
      const start = shared.roundStarts[round]!;
      const end = shared.roundStarts[round + 1]!;
      for (;;) {
        const chunk = Atomics.add(control, DESCENT_CONTROL.nextChunk, 1);
        const from = start + chunk * CHUNK_ROWS;
        if (from >= end) break;
        for (let row = from, last = Math.min(end, from + CHUNK_ROWS); row < last; row++)
          keepCandidatePairs(shared, row, kernels);
      }
      barrier();
      if (index === 0) Atomics.store(control, DESCENT_CONTROL.nextChunk, 0);
      updates += applyUpdates(shared, start, end, heaps, owned);
      if (index === 0) Atomics.store(control, DESCENT_CONTROL.progress, (iteration + 1) * count + end);
      barrier();
    }
    shared.successes[index] = updates;
    barrier();
    let total = 0;
    for (let party = 0; party < parties; party++) total += shared.successes[party]!;
    if (total <= EARLY_STOP_DELTA * width * count) break;
  }
}

/** Offers every pair of rows sharing a leaf of party `party`'s tree to the owned rows, pair by pair in leaf order. */
function offerLeafPairs(
  shared: DescentShared,
  party: number,
  kernels: RowKernels,
  heaps: NeighborHeaps,
  owned: { from: number; to: number },
): void {
  const order = shared.treeOrder.subarray(party * shared.count, (party + 1) * shared.count);
  const bounds = shared.treeBounds.subarray(party * (shared.count + 1));
  const leaves = shared.treeLeaves[party]!;
  const { from, to } = owned;
  for (let leaf = 0; leaf < leaves; leaf++) {
    const end = bounds[leaf + 1]!;
    for (let i = bounds[leaf]!; i < end; i++) {
      const p = order[i]!;
      const ownsP = p >= from && p < to;
      for (let j = i + 1; j < end; j++) {
        const q = order[j]!;
        const ownsQ = q >= from && q < to;
        if (!ownsP && !ownsQ) continue;
        const key = kernels.key(p, q);
        if (ownsP && key < heaps.bound(p)) heaps.offerUnique(p, key, q);
        if (ownsQ && key < heaps.bound(q)) heaps.offerUnique(q, key, p);
      }
    }
  }
}

/** Rows the forest left short of neighbours get random ones (pynndescent's random init). */
function fillEmptySlots(kernels: RowKernels, heaps: NeighborHeaps, random: SeededRandom): void {
  for (let row = 0; row < heaps.rows; row++) {
    while (heaps.ids[row * heaps.width]! < 0) {
      const other = random.nextInt(heaps.rows);
      if (other !== row) heaps.offerUnique(row, kernels.key(row, other), other);
    }
  }
}

/** Places every row's candidate lists in `candidates`, each with room for its offers (at most `limit`). */
function placeCandidates(shared: DescentShared): void {
  const { count, limit, newSizes, oldSizes, candidateStart, oldStart } = shared;
  let at = 0;
  for (let row = 0; row < count; row++) {
    candidateStart[row] = at;
    at += Math.min(newSizes[row]!, limit);
    oldStart[row] = at;
    at += Math.min(oldSizes[row]!, limit);
  }
  candidateStart[count] = at;
}

/** Candidate pairs of `row`: every two new candidates, and every new one with every old one. */
function candidatePairs(shared: DescentShared, row: number): number {
  const n = shared.newSizes[row]!;
  return (n * (n - 1)) / 2 + n * shared.oldSizes[row]!;
}

/** Cuts the rows into rounds whose candidate pairs fit the update arena, and places each row's pairs in it. */
function planRounds(shared: DescentShared): void {
  let rounds = 0;
  let used = 0;
  shared.roundStarts[0] = 0;
  for (let row = 0; row < shared.count; row++) {
    const pairs = candidatePairs(shared, row);
    if (used + pairs > ROUND_PAIRS && used > 0) {
      shared.roundStarts[++rounds] = row;
      used = 0;
    }
    shared.rowOffset[row] = used;
    used += pairs;
  }
  shared.roundStarts[++rounds] = shared.count;
  Atomics.store(shared.control, DESCENT_CONTROL.rounds, rounds);
}

/** Computes the keys of `row`'s candidate pairs and keeps, in the arena, those either end might take. */
function keepCandidatePairs(shared: DescentShared, row: number, kernels: RowKernels): void {
  const { candidates, keys, width, updateP, updateQ, updateKey } = shared;
  const base = shared.candidateStart[row]!;
  const newEnd = base + shared.newSizes[row]!;
  const oldBase = shared.oldStart[row]!;
  const oldEnd = oldBase + shared.oldSizes[row]!;
  let at = shared.rowOffset[row]!;
  const first = at;
  for (let a = base; a < newEnd; a++) {
    const p = candidates[a]!;
    const boundP = keys[p * width]!;
    for (let b = a + 1; b < newEnd; b++) {
      const q = candidates[b]!;
      const key = kernels.key(p, q);
      if (key < boundP || key < keys[q * width]!) {
        updateP[at] = p;
        updateQ[at] = q;
        updateKey[at++] = key;
      }
    }
    for (let b = oldBase; b < oldEnd; b++) {
      const q = candidates[b]!;
      if (q === p) continue;
      const key = kernels.key(p, q);
      if (key < boundP || key < keys[q * width]!) {
        updateP[at] = p;
        updateQ[at] = q;
        updateKey[at++] = key;
      }
    }
  }
  shared.rowUpdates[row] = at - first;
}

/** Offers the kept pairs of rows [start, end), in row order, to the owned rows; returns the heap updates. */
function applyUpdates(
  shared: DescentShared,
  start: number,
  end: number,
  heaps: NeighborHeaps,
  owned: { from: number; to: number },
): number {
  const { updateP, updateQ, updateKey } = shared;
  const { from, to } = owned;
  let updates = 0;
  for (let row = start; row < end; row++) {
    for (let u = shared.rowOffset[row]!, last = u + shared.rowUpdates[row]!; u < last; u++) {
      const p = updateP[u]!;
      const q = updateQ[u]!;
      const key = updateKey[u]!;
      if (p >= from && p < to && key < heaps.bound(p) && heaps.offerUnique(p, key, q)) updates++;
      if (q >= from && q < to && key < heaps.bound(q) && heaps.offerUnique(q, key, p)) updates++;
    }
  }
  return updates;
}

/**
 * Per row, a random sample (smallest random priority wins) of at most `limit` "new" and "old"
 * neighbours and reverse neighbours: the rows NN-descent compares with each other. Each party fills
 * the lists of the rows it owns; the priorities are keyed by seed, iteration and heap slot, and every
 * list receives its offers in the heaps' slot order, so the samples do not depend on the parties.
 */
class CandidateSampler {
  /** stamps[id] === row marks id as sampled for row (reset for free by moving to the next row). */
  private readonly stamps: Int32Array;

  constructor(
    private readonly shared: DescentShared,
    private readonly owned: { from: number; to: number },
  ) {
    this.stamps = new Int32Array(shared.count).fill(-1);
  }

  /** Counts the offers sample() will make to each owned row's new and old lists, into their sizes. */
  countOffers(heaps: NeighborHeaps): void {
    const { newSizes, oldSizes } = this.shared;
    const { from, to } = this.owned;
    newSizes.fill(0, from, to);
    oldSizes.fill(0, from, to);
    const { ids, fresh, width } = heaps;
    for (let row = 0; row < heaps.rows; row++) {
      const ownsRow = row >= from && row < to;
      for (let slot = row * width, end = slot + width; slot < end; slot++) {
        const other = ids[slot]!;
        if (other < 0) continue;
        const sizes = fresh[slot] ? newSizes : oldSizes;
        if (ownsRow) sizes[row]!++;
        if (other >= from && other < to) sizes[other]!++;
      }
    }
  }

  /** Fills the owned rows' candidate lists (placed by placeCandidates) from the heaps (which no party changes meanwhile). */
  sample(heaps: NeighborHeaps, iteration: number): void {
    const { newSizes, oldSizes, candidateStart, oldStart, seed } = this.shared;
    const { from, to } = this.owned;
    newSizes.fill(0, from, to);
    oldSizes.fill(0, from, to);
    const { ids, fresh, width } = heaps;
    const key = mix(seed ^ Math.imul(iteration + 1, 0x85ebca77));
    for (let row = 0; row < heaps.rows; row++) {
      const ownsRow = row >= from && row < to;
      for (let slot = row * width, end = slot + width; slot < end; slot++) {
        const other = ids[slot]!;
        if (other < 0) continue;
        const ownsOther = other >= from && other < to;
        if (!ownsRow && !ownsOther) continue;
        const priority = mix(key ^ Math.imul(slot, 0x9e3779b1)) >>> 0;
        if (fresh[slot]) {
          if (ownsRow) this.push(newSizes, row, candidateStart[row]!, oldStart[row]!, priority, other);
          if (ownsOther) this.push(newSizes, other, candidateStart[other]!, oldStart[other]!, priority, row);
        } else {
          if (ownsRow) this.push(oldSizes, row, oldStart[row]!, candidateStart[row + 1]!, priority, other);
          if (ownsOther) this.push(oldSizes, other, oldStart[other]!, candidateStart[other + 1]!, priority, row);
        }
      }
    }
  }

  /** A new neighbour of an owned row that made it into the row's sample has now been used: it becomes old. */
  markUsed(heaps: NeighborHeaps): void {
    const { candidates, candidateStart, newSizes } = this.shared;
    const { ids, fresh, width } = heaps;
    const { stamps } = this;
    for (let row = this.owned.from; row < this.owned.to; row++) {
      const base = candidateStart[row]!;
      for (let c = base; c < base + newSizes[row]!; c++) stamps[candidates[c]!] = row;
      for (let slot = row * width, end = slot + width; slot < end; slot++) {
        if (fresh[slot] && stamps[ids[slot]!] === row) fresh[slot] = 0;
      }
    }
  }

  /**
   * Keeps the smallest priorities of `row`'s list in [base, end) (room for at most `limit`: a list
   * with more offers than that has exactly `limit`), skipping duplicates. The list fills from the
   * front; once full it is a max-heap on priority and a smaller priority replaces the root.
   */
  private push(sizes: Int32Array, row: number, base: number, end: number, priority: number, id: number): void {
    const { candidates, priorities } = this.shared;
    const room = end - base;
    const size = sizes[row]!;
    for (let c = base; c < base + size; c++) if (candidates[c] === id) return;
    if (size < room) {
      candidates[base + size] = id;
      priorities[base + size] = priority;
      sizes[row] = size + 1;
      if (size + 1 === this.shared.limit) heapify(candidates, priorities, base, room);
      return;
    }
    if (priority >= priorities[base]!) return;
    siftDownPriority(candidates, priorities, base, room, 0, priority, id);
  }
}

function heapify(ids: Int32Array, priorities: Uint32Array, base: number, limit: number): void {
  for (let position = (limit >> 1) - 1; position >= 0; position--) {
    siftDownPriority(ids, priorities, base, limit, position, priorities[base + position]!, ids[base + position]!);
  }
}

/**
 * max-heap.ts's siftDown on 32-bit priorities: a copy rather than one function for both array types,
 * which would make the neighbour searches' hot heap code polymorphic.
 */
function siftDownPriority(
  ids: Int32Array,
  priorities: Uint32Array,
  base: number,
  size: number,
  position: number,
  priority: number,
  id: number,
): void {
  for (;;) {
    const left = 2 * position + 1;
    if (left >= size) break;
    const right = left + 1;
    const larger = right < size && priorities[base + right]! > priorities[base + left]! ? right : left;
    if (priorities[base + larger]! <= priority) break;
    priorities[base + position] = priorities[base + larger]!;
    ids[base + position] = ids[base + larger]!;
    position = larger;
  }
  priorities[base + position] = priority;
  ids[base + position] = id;
}
