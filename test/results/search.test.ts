/** The search box's query language and matching, against results worked out by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseSearch,
  searchedKinds,
  searchRun,
  searchTerms,
  type SearchInputs,
  type SearchLayer,
  type SearchPattern,
} from '../../src/results/search.js';

test('terms split on spaces; double quotes keep spaces and are dropped', () => {
  assert.deepEqual(searchTerms('  label:"Ankle boot"  size>5 '), ['label:Ankle boot', 'size>5']);
  assert.deepEqual(searchTerms('"two words"'), ['two words']);
  assert.deepEqual(searchTerms(''), []);
});

test('the parser reads ids, fields, ranges and words, and names what it cannot read', () => {
  assert.deepEqual(parseSearch('label:Sneaker size>50 purity>=0.8 #12 id:3 7 boot').conditions, [
    { kind: 'label', label: 'Sneaker' },
    { kind: 'range', field: 'size', op: '>', value: 50 },
    { kind: 'range', field: 'purity', op: '>=', value: 0.8 },
    { kind: 'id', id: 12 },
    { kind: 'id', id: 3 },
    { kind: 'id', id: 7 },
    { kind: 'text', text: 'boot' },
  ]);
  assert.deepEqual(parseSearch('Size<=4 persistence=0.5 pred:7 layer:conv file:img_ is:unit kind:Inputs').conditions, [
    { kind: 'range', field: 'size', op: '<=', value: 4 },
    { kind: 'range', field: 'persistence', op: '=', value: 0.5 },
    { kind: 'prediction', label: '7' },
    { kind: 'layer', text: 'conv' },
    { kind: 'file', text: 'img_' },
    { kind: 'kind', kinds: 'unit' },
    { kind: 'kind', kinds: 'input' },
  ]);
  const bad = parseSearch('size>big colour:red id:x kind:layer label: purity<0.5');
  assert.deepEqual(bad.conditions, [{ kind: 'range', field: 'purity', op: '<', value: 0.5 }]);
  assert.equal(bad.errors.length, 5);
  assert.match(bad.errors[0]!, /size> needs a number, not "big"/);
  assert.match(bad.errors[1]!, /unknown field "colour"/);
  assert.match(bad.errors[2]!, /id:x is not a whole number/);
  assert.match(bad.errors[3]!, /kind:layer is not one of pattern, input, unit/);
  assert.match(bad.errors[4]!, /label: needs a value/);
});

test('each condition keeps only the kinds it can say something about', () => {
  const kinds = (text: string) => searchedKinds(parseSearch(text));
  assert.deepEqual(kinds(''), []);
  assert.deepEqual(kinds('12'), ['pattern', 'input', 'unit']);
  assert.deepEqual(kinds('label:Sneaker'), ['pattern', 'input']);
  assert.deepEqual(kinds('label:Sneaker size>50'), ['pattern']);
  assert.deepEqual(kinds('file:png'), ['input']);
  assert.deepEqual(kinds('kind:unit 3'), ['unit']);
  assert.deepEqual(kinds('kind:unit size>1'), []);
});

const mix = (...pairs: [string, number][]) => ({ label: pairs.map((p) => p[0]), count: pairs.map((p) => p[1]) });
const pattern = (
  patternId: number,
  size: number,
  dominantLabel: string | null,
  labelPurity: number | null,
  prediction: string,
  persistence = 0.1,
): SearchPattern => ({
  patternId,
  size,
  persistence,
  dominantLabel,
  labelPurity,
  predictions: mix([prediction, size]),
});

const LAYERS: SearchLayer[] = [
  {
    layer: 'conv1',
    clusteringId: 10,
    dim: 4,
    patterns: [
      pattern(0, 60, 'Sneaker', 0.9, 'Sneaker', 0.5),
      pattern(1, 40, 'Sneaker', 0.95, 'Sandal'),
      pattern(2, 80, 'Ankle boot', 0.7, 'Ankle boot'),
    ],
  },
  {
    layer: 'dense',
    clusteringId: 11,
    dim: 16,
    patterns: [pattern(0, 120, 'Sneaker', 0.85, 'Sneaker'), pattern(1, 12, null, null, 'Bag')],
  },
];

const INPUTS: SearchInputs = {
  inputIndex: [0, 1, 2, 3, 12],
  path: ['shoes/a.png', 'shoes/b.png', 'boots/c.png', null, 'bags/sneaker-like.png'],
  label: ['Sneaker', 'Sneaker', 'Ankle boot', null, 'Bag'],
  predictionLabel: ['Sneaker', 'Sandal', 'Sneaker', 'Bag', 'Bag'],
};

const run = (text: string, limit = 20) => searchRun(parseSearch(text), LAYERS, INPUTS, limit);
const patternKeys = (text: string) => run(text).patterns.hits.map((h) => `${h.layer}/${h.patternId}`);
const inputIds = (text: string) => run(text).inputs.hits.map((h) => h.inputIndex);
const unitKeys = (text: string) => run(text).units.hits.map((h) => `${h.layer}/${h.unit}`);

test('patterns: majority label, size, purity, persistence, id, layer and words', () => {
  // Sneaker patterns: conv1/0 (60, 0.9), conv1/1 (40, 0.95), dense/0 (120, 0.85); size > 50 drops conv1/1.
  assert.deepEqual(patternKeys('label:Sneaker size>50 purity>0.8'), ['conv1/0', 'dense/0']);
  assert.deepEqual(patternKeys('label:sneaker purity>0.9'), ['conv1/1'], 'labels match whatever their case');
  assert.deepEqual(patternKeys('size<=40'), ['conv1/1', 'dense/1']);
  assert.deepEqual(patternKeys('size=80'), ['conv1/2']);
  assert.deepEqual(patternKeys('purity<0.8'), ['conv1/2'], 'a pattern without labels has no purity to compare');
  assert.deepEqual(patternKeys('persistence>=0.5'), ['conv1/0']);
  assert.deepEqual(patternKeys('pred:Sandal'), ['conv1/1'], 'majority prediction');
  assert.deepEqual(patternKeys('#1'), ['conv1/1', 'dense/1']);
  assert.deepEqual(patternKeys('layer:dense 0'), ['dense/0']);
  assert.deepEqual(patternKeys('boot'), ['conv1/2'], 'a word matches the majority label');
  assert.deepEqual(patternKeys('conv'), ['conv1/0', 'conv1/1', 'conv1/2'], '... or the layer');
  const hits = run('label:Sneaker size>50 purity>0.8').patterns.hits;
  assert.deepEqual(hits[1], {
    layer: 'dense',
    clusteringId: 11,
    patternId: 0,
    size: 120,
    dominantLabel: 'Sneaker',
    labelPurity: 0.85,
  });
});

test('inputs: file name, id, label and prediction', () => {
  assert.deepEqual(inputIds('label:Sneaker'), [0, 1]);
  assert.deepEqual(inputIds('pred:Sneaker'), [0, 2]);
  assert.deepEqual(inputIds('label:Sneaker pred:Sandal'), [1]);
  assert.deepEqual(inputIds('file:shoes/'), [0, 1]);
  assert.deepEqual(inputIds('12'), [12], 'an id is an input index, not a row');
  assert.deepEqual(inputIds('sneaker'), [0, 1, 2, 12], 'a word matches label, prediction or file name');
  assert.deepEqual(inputIds('kind:input 3'), [3]);
  assert.deepEqual(inputIds('layer:conv1 label:Bag'), [12], 'inputs belong to every layer');
  assert.deepEqual(inputIds('size>1'), []);
});

test('units: by number in every layer wide enough, or all units of the layers named', () => {
  assert.deepEqual(unitKeys('3'), ['conv1/3', 'dense/3']);
  assert.deepEqual(unitKeys('12'), ['dense/12'], 'conv1 has 4 units');
  assert.deepEqual(unitKeys('layer:conv 2'), ['conv1/2']);
  assert.deepEqual(unitKeys('kind:unit layer:conv1'), ['conv1/0', 'conv1/1', 'conv1/2', 'conv1/3']);
  assert.deepEqual(unitKeys('label:Sneaker'), []);
});

test('each kind keeps its first `limit` hits and counts them all', () => {
  const result = run('kind:unit', 5);
  assert.equal(result.units.total, 20);
  assert.deepEqual(
    result.units.hits.map((h) => `${h.layer}/${h.unit}`),
    ['conv1/0', 'conv1/1', 'conv1/2', 'conv1/3', 'dense/0'],
  );
  const words = run('sneaker', 2);
  assert.deepEqual([words.patterns.total, words.patterns.hits.length], [3, 2]);
  assert.deepEqual([words.inputs.total, words.inputs.hits.length], [4, 2]);
  assert.deepEqual(run('size>big').errors, ['size> needs a number, not "big" (e.g. size>0.5)']);
  assert.deepEqual(
    [run('').patterns.total, run('').inputs.total, run('').units.total],
    [0, 0, 0],
    'an empty query finds nothing',
  );
});
