/**
 * The Arrow codecs of every table: the reader's tables as a static export stores them (exact), and the
 * API's bulk answers as the server sends them to the app (scores at float32: the app only draws them).
 */
import type { InputRows, MembershipRows, ProjectionPoints } from '../api-types.js';
import type {
  CondensedTreeTable,
  FlowCellsTable,
  HeatmapIndexTable,
  InputsTable,
  MaxActivationsTable,
  MembershipsTable,
  PatternsTable,
  ProjectionTable,
  UnitStatsTable,
} from '../tables.js';
import { tableCodec, type ColumnSpecs, type ColumnsOf } from './arrow.js';

const int32 = { kind: 'int32' } as const;
const uint8 = { kind: 'uint8' } as const;
const float32 = { kind: 'float32' } as const;
const float64 = { kind: 'float64' } as const;
const text = { kind: 'text' } as const;
const label = { kind: 'label' } as const;
/** A float64 column that travels as float32. */
const drawn = { kind: 'float64', wire: 'float32' } as const;

const inputColumns = {
  inputIndex: int32,
  path: text,
  label,
  prediction: int32,
  predictionLabel: label,
  probability: float64,
} as const;
const membershipColumns = { inputIndex: int32, patternId: int32, probability: float64, outlierScore: float64 } as const;
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

/** A table's value type T must be exactly its columns plus fields that travel as metadata. */
interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** The codec of table type T: a column list that does not fit T fails to compile. */
function codec<T extends object>() {
  return <S extends ColumnSpecs>(
    columns: S & (ColumnsOf<S> extends Pick<T, keyof S & keyof T> ? unknown : never),
  ): Codec<T> => tableCodec<S, Omit<T, keyof S>>(columns) as unknown as Codec<T>;
}

/** The reader's tables, as a static export stores them. */
export const FILE_CODECS = {
  inputs: codec<InputsTable>()(inputColumns),
  memberships: codec<MembershipsTable>()(membershipColumns),
  patterns: codec<PatternsTable>()({ patternId: int32, size: int32, persistence: float64 }),
  condensedTree: codec<CondensedTreeTable>()({ parent: int32, child: int32, lambda: float64, childSize: int32 }),
  unitStats: codec<UnitStatsTable>()(statsColumns),
  maxActivations: codec<MaxActivationsTable>()({ unit: int32, rank: int32, inputIndex: int32, value: float64 }),
  projection: codec<ProjectionTable>()(projectionColumns),
  flow: codec<FlowCellsTable>()({ patternA: int32, patternB: int32, count: int32 }),
  heatmapIndex: codec<HeatmapIndexTable>()({ patternId: int32, inputIndex: int32, height: int32, width: int32 }),
};

/** The API's bulk answers, as the server sends them to the app. */
export const WIRE_CODECS = {
  inputs: codec<InputRows>()({ ...inputColumns, probability: drawn, misclassified: uint8 }),
  memberships: codec<MembershipRows>()({ ...membershipColumns, probability: drawn, outlierScore: drawn }),
  projection: codec<ProjectionPoints>()(projectionColumns),
};
