/**
 * The app's triage rows (members that disagree with their pattern's majority label or the prediction) as
 * records, CSV and JSON, for its download of the selected rows (browser-safe).
 */
import type { TriageResponse } from './api-types.js';
import { csvText } from './csv.js';

export interface TriageRecord {
  layer: string;
  pattern: number;
  input: number;
  /** Dataset path, null when unknown. */
  file: string | null;
  label: string;
  /** Predicted label, null when the model does not classify. */
  prediction: string | null;
  predictionProbability: number | null;
  majorityLabel: string;
  majorityShare: number;
  disagreesWithMajority: boolean;
  disagreesWithPrediction: boolean;
  outlierScore: number | null;
  membershipProbability: number;
}

/** CSV columns, in order. */
export const TRIAGE_COLUMNS: readonly (keyof TriageRecord)[] = [
  'layer',
  'pattern',
  'input',
  'file',
  'label',
  'prediction',
  'predictionProbability',
  'majorityLabel',
  'majorityShare',
  'disagreesWithMajority',
  'disagreesWithPrediction',
  'outlierScore',
  'membershipProbability',
];

/** The records of the given rows of a triage response (default all), in that order. */
export function triageRecords(response: TriageResponse, rows?: readonly number[]): TriageRecord[] {
  const picked = rows ?? response.inputIndex.map((_, k) => k);
  return picked.map((k) => ({
    layer: response.layer[k]!,
    pattern: response.patternId[k]!,
    input: response.inputIndex[k]!,
    file: response.path[k] ?? null,
    label: response.label[k]!,
    prediction: response.prediction[k]! >= 0 ? (response.predictionLabel[k] ?? String(response.prediction[k])) : null,
    predictionProbability: response.probability[k] ?? null,
    majorityLabel: response.majorityLabel[k]!,
    majorityShare: response.majorityShare[k]!,
    disagreesWithMajority: response.disagreesWithMajority[k]!,
    disagreesWithPrediction: response.disagreesWithPrediction[k]!,
    outlierScore: response.outlierScore[k] ?? null,
    membershipProbability: response.membershipProbability[k]!,
  }));
}

/** Header line and one line per record, '\n'-terminated; formula-like text is defused (see csv.ts). */
export function triageCsv(records: readonly TriageRecord[]): string {
  return csvText(
    TRIAGE_COLUMNS,
    records.map((record) => TRIAGE_COLUMNS.map((column) => record[column])),
  );
}

/** The JSON document: which run and reason, and the records. */
export function triageJson(runId: number, reason: TriageResponse['reason'], records: readonly TriageRecord[]): string {
  return `${JSON.stringify({ runId, reason, count: records.length, rows: records }, null, 2)}\n`;
}
