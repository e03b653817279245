/**
 * The model errors (ModelErrorsResponse) as a table, for their Arrow form: the confusion matrix lists
 * every input with a label and a prediction once, in the cell of its row (given label) and column
 * (predicted label). As JSON those lists are a million decimal numbers at a million inputs (2.1 MB
 * gzipped); as a table they are each input's cell number (row * columns + column, int8 for up to 128
 * cells) beside its input index, which a run analysed in full sends as a counted sequence (arrow.ts):
 * about a quarter of the bytes. The matrix's own fields travel as metadata. fromTable gives back the
 * same lists, each ascending, as the JSON answer.
 */
import type { ModelErrorsResponse } from '../api-types.js';
import { tableSpec } from './arrow.js';

export interface ModelErrorsTable extends Omit<ModelErrorsResponse, 'inputs'> {
  /** Every listed input, ascending. */
  inputIndex: Int32Array;
  /** The cell of each: row * predictions.length + column. */
  cell: Int32Array;
}

export const MODEL_ERRORS_TABLE = tableSpec<ModelErrorsTable>()({
  inputIndex: { kind: 'int32' },
  cell: { kind: 'int32' },
});

export function modelErrorsTable(errors: ModelErrorsResponse): ModelErrorsTable {
  const { inputs, ...fields } = errors;
  const columns = errors.predictions.length;
  let last = -1;
  for (const row of inputs) for (const members of row) for (const input of members) last = Math.max(last, input);
  const cellOf = new Int32Array(last + 1).fill(-1);
  let listed = 0;
  inputs.forEach((row, r) =>
    row.forEach((members, c) => {
      for (const input of members) cellOf[input] = r * columns + c;
      listed += members.length;
    }),
  );
  const inputIndex = new Int32Array(listed);
  const cell = new Int32Array(listed);
  let at = 0;
  for (let input = 0; input <= last; input++) {
    if (cellOf[input] === -1) continue;
    inputIndex[at] = input;
    cell[at++] = cellOf[input]!;
  }
  return { ...fields, inputIndex, cell };
}

export function modelErrorsFromTable(table: ModelErrorsTable): ModelErrorsResponse {
  const { inputIndex, cell, ...fields } = table;
  const columns = fields.predictions.length;
  const inputs = fields.labels.map(() => fields.predictions.map((): number[] => []));
  for (let i = 0; i < inputIndex.length; i++) {
    const at = cell[i]!;
    const members = inputs[Math.floor(at / columns)]?.[at % columns];
    if (members === undefined)
      throw new Error(`model errors: cell ${at} is outside the ${fields.labels.length} x ${columns} matrix`);
    members.push(inputIndex[i]!);
  }
  return { ...fields, inputs };
}
