/**
 * The Arrow codecs (src/results/codec): integer columns come back exactly as they went, whatever form they
 * travel in (a counted sequence from 0 or from another start, int8, int16 or int32), and the form is the
 * smallest that holds them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableFromIPC } from '@uwdata/flechette';
import { META_SEQUENCES, META_SHIFTED_SEQUENCES, tableSpec } from '../../src/results/codec/arrow.js';
import { decodeTable } from '../../src/results/codec/arrow-decode.js';
import { encodeTable } from '../../src/results/codec/arrow-encode.js';
import { FILE_TABLES, WIRE_TABLES } from '../../src/results/codec/tables.js';
import type { MembershipRows } from '../../src/results/api-types.js';
import { indexInputs } from '../../src/results/input-index.js';
import { MODEL_ERRORS_TABLE, modelErrorsFromTable, modelErrorsTable } from '../../src/results/codec/model-errors.js';
import { modelErrors } from '../../src/results/saved-triage.js';

interface Ints {
  id: number;
  a: Int32Array;
  b: Int32Array;
  c: Int32Array;
  d: Int32Array;
  e: Int32Array;
}
const INTS = tableSpec<Ints>()({
  a: { kind: 'int32' },
  b: { kind: 'int32' },
  c: { kind: 'int32' },
  d: { kind: 'int32' },
  e: { kind: 'int32' },
});

/** The Arrow bit width each column travels at (null: not sent, counted back from the metadata). */
function wireWidths(bytes: Uint8Array, names: readonly string[]): Record<string, number | null> {
  const table = tableFromIPC(bytes);
  return Object.fromEntries(
    names.map((name) => {
      const field = table.schema.fields.find((f) => f.name === name);
      return [name, field === undefined ? null : (field.type as { bitWidth: number }).bitWidth];
    }),
  );
}

test('int32 columns round-trip exactly, each in the narrowest form that holds it', () => {
  const n = 1000;
  const value: Ints = {
    id: 3,
    a: Int32Array.from({ length: n }, (_, i) => 5000 + i),
    b: Int32Array.from({ length: n }, (_, i) => (i % 301) - 1),
    c: Int32Array.from({ length: n }, (_, i) => (i % 256) - 128),
    d: Int32Array.from({ length: n }, (_, i) => (i % 2 ? -(2 ** 31) : 2 ** 31 - 1 - i)),
    e: Int32Array.from({ length: n }, (_, i) => (i % 3 ? 32767 : -32768)),
  };
  const bytes = encodeTable(INTS, value);
  const back = decodeTable(INTS, bytes);
  assert.equal(back.id, 3);
  for (const name of ['a', 'b', 'c', 'd', 'e'] as const) {
    assert.ok(back[name] instanceof Int32Array, `${name} is an Int32Array again`);
    assert.deepEqual([...back[name]], [...value[name]], name);
  }
  assert.deepEqual(wireWidths(bytes, ['a', 'b', 'c', 'd', 'e']), { a: null, b: 16, c: 8, d: 32, e: 16 });
  const metadata = tableFromIPC(bytes).schema.metadata!;
  assert.equal(metadata.get(META_SHIFTED_SEQUENCES), `a:5000:${n}`);
  assert.equal(metadata.get(META_SEQUENCES), '');
});

test('sequences from 0 keep their old key (static exports read by older apps), negative starts count up too', () => {
  const value: Ints = {
    id: 1,
    a: Int32Array.from({ length: 10 }, (_, i) => i),
    b: Int32Array.from({ length: 10 }, (_, i) => i - 4),
    c: Int32Array.from({ length: 10 }, (_, i) => 2 ** 31 - 10 + i),
    d: Int32Array.of(7, 7, 7, 7, 7, 7, 7, 7, 7, 7),
    e: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 10),
  };
  const bytes = encodeTable(INTS, value);
  const metadata = tableFromIPC(bytes).schema.metadata!;
  assert.equal(metadata.get(META_SEQUENCES), 'a:10');
  assert.equal(metadata.get(META_SHIFTED_SEQUENCES), `b:-4:10,c:${2 ** 31 - 10}:10`);
  const back = decodeTable(INTS, bytes);
  for (const name of ['a', 'b', 'c', 'd', 'e'] as const) assert.deepEqual([...back[name]], [...value[name]], name);
  assert.deepEqual(wireWidths(bytes, ['d', 'e']), { d: 8, e: 8 });
});

test('empty columns and a single row round-trip', () => {
  const empty: Ints = {
    id: 0,
    a: new Int32Array(),
    b: new Int32Array(),
    c: new Int32Array(),
    d: new Int32Array(),
    e: new Int32Array(),
  };
  const back = decodeTable(INTS, encodeTable(INTS, empty));
  for (const name of ['a', 'b', 'c', 'd', 'e'] as const) assert.equal(back[name].length, 0, name);
  const one: Ints = {
    id: 0,
    a: Int32Array.of(9),
    b: Int32Array.of(-1),
    c: Int32Array.of(0),
    d: Int32Array.of(70000),
    e: Int32Array.of(-70000),
  };
  const again = decodeTable(INTS, encodeTable(INTS, one));
  for (const name of ['a', 'b', 'c', 'd', 'e'] as const) assert.deepEqual([...again[name]], [...one[name]], name);
});

test('a page of memberships, as the server sends it, reads back with the same input indices and pattern ids', () => {
  const n = 5000;
  const rows: MembershipRows = {
    clusteringId: 4,
    inputIndex: Int32Array.from({ length: n }, (_, i) => 40_000 + 2 * i),
    patternId: Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 300) - 1),
    probability: Float64Array.from({ length: n }, (_, i) => (i % 10) / 10),
    outlierScore: Float64Array.from({ length: n }, (_, i) => (i % 7) / 7),
  };
  for (const spec of [WIRE_TABLES.memberships, FILE_TABLES.memberships]) {
    const bytes = encodeTable(spec, rows);
    const back = decodeTable(spec, bytes);
    assert.deepEqual([...back.inputIndex], [...rows.inputIndex]);
    assert.deepEqual([...back.patternId], [...rows.patternId]);
    assert.deepEqual(wireWidths(bytes, ['inputIndex', 'patternId']), { inputIndex: 32, patternId: 16 });
    for (let i = 0; i < n; i++) assert.ok(Math.abs(back.probability[i]! - rows.probability[i]!) <= 1 / 65534);
  }
  assert.equal(decodeTable(WIRE_TABLES.memberships, encodeTable(WIRE_TABLES.memberships, rows)).clusteringId, 4);
});

test('model errors as a table read back as the same matrix, cell lists ascending, for any input indices', () => {
  for (const classes of [3, 12]) {
    const n = 2000;
    // Input indices with gaps, some inputs without a label or a prediction (not in the matrix).
    const inputs = indexInputs({
      inputIndex: Int32Array.from({ length: n }, (_, i) => 7 + 3 * i),
      path: Array.from({ length: n }, (_, i) => `x${i}`),
      label: Array.from({ length: n }, (_, i) => (i % 17 === 0 ? null : `c${(i * 7) % classes}`)),
      prediction: Int32Array.from({ length: n }, (_, i) =>
        i % 23 === 0 ? -1 : (i * 7 + (i % 5 === 0 ? 1 : 0)) % classes,
      ),
      predictionLabel: Array.from({ length: n }, (_, i) => `c${(i * 7 + (i % 5 === 0 ? 1 : 0)) % classes}`),
      probability: new Float64Array(n).fill(0.5),
      content: Array.from({ length: n }, () => null),
    });
    const matrix = modelErrors(9, inputs);
    assert.ok(matrix.total > 0 && matrix.total < n && matrix.misclassified > 0);
    const bytes = encodeTable(MODEL_ERRORS_TABLE, modelErrorsTable(matrix));
    assert.deepEqual(modelErrorsFromTable(decodeTable(MODEL_ERRORS_TABLE, bytes)), matrix);
    // 9 cells fit int8; 144 do not.
    assert.deepEqual(wireWidths(bytes, ['cell']), { cell: classes === 3 ? 8 : 16 });
  }
});

test('model errors over a full run send no input indices', () => {
  const matrix = {
    runId: 1,
    labels: ['a', 'b'],
    predictions: ['a', 'b'],
    counts: [
      [2, 1],
      [0, 2],
    ],
    inputs: [
      [[0, 3], [4]],
      [[], [1, 2]],
    ],
    total: 5,
    misclassified: 1,
  };
  const bytes = encodeTable(MODEL_ERRORS_TABLE, modelErrorsTable(matrix));
  assert.deepEqual(wireWidths(bytes, ['inputIndex', 'cell']), { inputIndex: null, cell: 8 });
  assert.deepEqual(modelErrorsFromTable(decodeTable(MODEL_ERRORS_TABLE, bytes)), matrix);
});
