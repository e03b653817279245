/**
 * The Arrow codecs of every table: the reader's tables as a static export stores them (exact), and the
 * API's bulk answers as the server sends them to the app, which only draws scores and map positions:
 * those travel at 16 bits (1/65,534 of their range; see arrow.ts), the model's probabilities at float32.
 */
import type { QueryName, QueryResult } from '../api.js';
import type { InputRows, LinkageRows, MembershipRows, ProjectionPoints } from '../api-types.js';
import type {
  CondensedTreeTable,
  FeatureImagesTable,
  FlowCellsTable,
  HeatmapIndexTable,
  InputsTable,
  LinkageTable,
  MaxActivationsTable,
  MembershipsTable,
  PatternsTable,
  ProjectionTable,
  SoftMembershipsTable,
  TriageAgreementTable,
  TriageInputsTable,
  TriageLayersTable,
  TriageNearDuplicatesTable,
  TriageOutliersTable,
  UnitStatsTable,
} from '../tables.js';
import { tableSpec, type TableSpec } from './arrow.js';
import { MODEL_ERRORS_TABLE, modelErrorsFromTable, modelErrorsTable } from './model-errors.js';

const int32 = { kind: 'int32' } as const;
const uint8 = { kind: 'uint8' } as const;
const float32 = { kind: 'float32' } as const;
const float64 = { kind: 'float64' } as const;
const text = { kind: 'text' } as const;
const label = { kind: 'label' } as const;
/** Columns the app only draws or shows rounded, at lower precision on the wire (see arrow.ts). */
const drawn = { kind: 'float64', wire: 'float32' } as const;
const drawnFixed = { kind: 'float64', wire: 'fixed16' } as const;
const coordinate = { kind: 'float32', wire: 'fixed16' } as const;

const inputColumns = {
  inputIndex: int32,
  path: text,
  label,
  prediction: int32,
  predictionLabel: label,
  probability: float64,
  content: text,
} as const;
const membershipColumns = { inputIndex: int32, patternId: int32, probability: float64, outlierScore: float64 } as const;
/** Exact on the wire too: a re-selection in the browser must equal the stored clustering's. */
const linkageColumns = { left: int32, right: int32, distance: float64 } as const;
const softColumns = { inputIndex: int32, rank: int32, patternId: int32, strength: float32 } as const;
const projectionColumns = { inputIndex: int32, x: float32, y: float32 } as const;
const statsColumns = {
  patternId: int32,
  unit: int32,
  min: float64,
  max: float64,
  mean: float64,
  q1: float64,
  q3: float64,
  iqr: float64,
  lower: float64,
  upper: float64,
} as const;

/** The reader's tables, as a static export stores them. */
export const FILE_TABLES = {
  inputs: tableSpec<InputsTable>()(inputColumns),
  memberships: tableSpec<MembershipsTable>()(membershipColumns),
  patterns: tableSpec<PatternsTable>()({ patternId: int32, size: int32, persistence: float64 }),
  condensedTree: tableSpec<CondensedTreeTable>()({ parent: int32, child: int32, lambda: float64, childSize: int32 }),
  linkage: tableSpec<LinkageTable>()(linkageColumns),
  softMemberships: tableSpec<SoftMembershipsTable>()(softColumns),
  unitStats: tableSpec<UnitStatsTable>()(statsColumns),
  maxActivations: tableSpec<MaxActivationsTable>()({ unit: int32, rank: int32, inputIndex: int32, value: float64 }),
  projection: tableSpec<ProjectionTable>()(projectionColumns),
  flow: tableSpec<FlowCellsTable>()({ patternA: int32, patternB: int32, count: int32 }),
  heatmapIndex: tableSpec<HeatmapIndexTable>()({ patternId: int32, inputIndex: int32, height: int32, width: int32 }),
  featureImages: tableSpec<FeatureImagesTable>()({
    objective: label,
    target: int32,
    position: int32,
    clusteringId: int32,
    imageIndex: int32,
    contrastPattern: int32,
    value: float64,
    datasetMax: float64,
    width: int32,
    height: int32,
    channels: int32,
  }),
  triageInputs: tableSpec<TriageInputsTable>()({
    inputIndex: int32,
    rank: int32,
    score: float64,
    selfConfidence: float64,
    margin: float64,
    probe: float64,
    suggestedLabel: label,
    strongestLayer: label,
    reason: text,
  }),
  triageLayers: tableSpec<TriageLayersTable>()({ layer: text, probeAccuracy: float64, combined: int32 }),
  triageAgreement: tableSpec<TriageAgreementTable>()({
    layer: label,
    inputIndex: int32,
    givenShare: float64,
    predictedShare: float64,
  }),
  triageOutliers: tableSpec<TriageOutliersTable>()({
    inputIndex: int32,
    rank: int32,
    score: float64,
    glosh: float64,
    farthestLayer: label,
    sameInputGroup: int32,
    sameActivationsGroup: int32,
  }),
  triageNearDuplicates: tableSpec<TriageNearDuplicatesTable>()({
    inputA: int32,
    inputB: int32,
    layer: label,
    distance: float64,
    threshold: float64,
  }),
};

/** The API's bulk answers, as the server sends them to the app. */
export const WIRE_TABLES = {
  inputs: tableSpec<InputRows>()({ ...inputColumns, probability: drawn, misclassified: uint8 }),
  memberships: tableSpec<MembershipRows>()({ ...membershipColumns, probability: drawnFixed, outlierScore: drawnFixed }),
  linkage: tableSpec<LinkageRows>()(linkageColumns),
  projection: tableSpec<ProjectionPoints>()({ ...projectionColumns, x: coordinate, y: coordinate }),
};

/** A JSON answer's Arrow form: the table it travels as, and the two ways between them. */
export interface ArrowForm<R, T> {
  spec: TableSpec<T>;
  toTable(answer: R): T;
  fromTable(table: T): R;
}

const arrowForm = <R, T>(form: ArrowForm<R, T>): ArrowForm<R, T> => form;

/**
 * The JSON answers that the app asks for as Arrow streams (they list every input): JSON stays their
 * documented form, for a client that does not ask for Arrow.
 */
export const ARROW_FORMS = {
  modelErrors: arrowForm({ spec: MODEL_ERRORS_TABLE, toTable: modelErrorsTable, fromTable: modelErrorsFromTable }),
};

/** The Arrow form of answer `name`, if it has one. */
export function arrowFormOf<Q extends QueryName>(name: Q): ArrowForm<QueryResult<Q>, unknown> | undefined {
  return (ARROW_FORMS as Partial<Record<QueryName, ArrowForm<QueryResult<Q>, unknown>>>)[name];
}
