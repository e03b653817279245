/** The JSON form of the API's bulk answers (the documented contract in api-types.ts). */
import type {
  InputColumns,
  InputRows,
  InputsResponse,
  LinkageResponse,
  LinkageRows,
  MembershipRows,
  MembershipsResponse,
  ProjectionPoints,
  ProjectionResponse,
} from '../api-types.js';

const list = (values: ArrayLike<number>): number[] => Array.from(values);
const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * The shortest decimal that reads back (through Math.fround) as the same float32: 9 significant digits
 * always do, about half the text of the float64 digits of the same value.
 */
export function float32Text(value: number): number {
  return Number(value.toPrecision(9));
}

/** The input columns of typed input rows, as JSON: null for a probability the model did not give. */
export function inputColumnsJson(rows: Omit<InputRows, 'runId' | 'total' | 'offset'>): InputColumns {
  return {
    inputIndex: list(rows.inputIndex),
    path: [...rows.path],
    label: [...rows.label],
    prediction: list(rows.prediction),
    predictionLabel: [...rows.predictionLabel],
    probability: Array.from(rows.probability, finiteOrNull),
    misclassified: Array.from(rows.misclassified, (flag) => flag === 1),
    content: [...rows.content],
  };
}

export const JSON_FORMS = {
  inputs: (rows: InputRows): InputsResponse => ({
    runId: rows.runId,
    total: rows.total,
    offset: rows.offset,
    ...inputColumnsJson(rows),
  }),
  memberships: (rows: MembershipRows): MembershipsResponse => ({
    clusteringId: rows.clusteringId,
    inputIndex: list(rows.inputIndex),
    patternId: list(rows.patternId),
    probability: list(rows.probability),
    outlierScore: list(rows.outlierScore),
  }),
  linkage: (rows: LinkageRows): LinkageResponse => ({
    clusteringId: rows.clusteringId,
    left: list(rows.left),
    right: list(rows.right),
    distance: list(rows.distance),
  }),
  projection: (points: ProjectionPoints): ProjectionResponse => ({
    runId: points.runId,
    layer: points.layer,
    method: points.method,
    params: points.params,
    inputIndex: list(points.inputIndex),
    x: Array.from(points.x, float32Text),
    y: Array.from(points.y, float32Text),
  }),
};
