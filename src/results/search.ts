/**
 * The app's search box: a query such as `label:Sneaker size>50 purity>0.8` parsed into conditions, and
 * the patterns, inputs and units of a run that meet all of them. Browser-safe and pure: the results API
 * answers it from a reader's tables, so `nap serve` and a static export search alike.
 *
 * Terms, all of which must hold (case-insensitive, `"quoted text"` keeps spaces):
 *   12 or #12 or id:12   pattern 12 (of any layer), input 12, unit 12 (of any layer wide enough)
 *   label:X              patterns whose majority label is X; inputs labelled X
 *   pred:X               patterns whose majority prediction is X; inputs predicted X
 *   layer:X              patterns and units of layers whose name contains X (inputs are in every layer)
 *   file:X               inputs whose file name contains X
 *   kind:pattern|input|unit (also is:)
 *   size, purity, persistence with >, >=, <, <=, = and a number: patterns only (purity as a share 0..1)
 *   any other word       a pattern's majority label or layer, an input's file, label or prediction, a
 *                        unit's layer, containing it
 * A term that names something only some kinds have (size, file) leaves the other kinds out.
 */
import type { LabelMix } from './api-types.js';

export const SEARCH_KINDS = ['pattern', 'input', 'unit'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

export const RANGE_FIELDS = ['size', 'purity', 'persistence'] as const;
export type RangeField = (typeof RANGE_FIELDS)[number];
export type Comparison = '>' | '>=' | '<' | '<=' | '=';

export type SearchCondition =
  | { kind: 'id'; id: number }
  | { kind: 'text'; text: string }
  | { kind: 'label'; label: string }
  | { kind: 'prediction'; label: string }
  | { kind: 'layer'; text: string }
  | { kind: 'file'; text: string }
  | { kind: 'kind'; kinds: SearchKind }
  | { kind: 'range'; field: RangeField; op: Comparison; value: number };

export interface SearchQuery {
  conditions: SearchCondition[];
  /** Terms that could not be read, with what to write instead; the rest of the query still applies. */
  errors: string[];
}

const KEYS: Record<string, 'id' | 'label' | 'prediction' | 'layer' | 'file' | 'kind'> = {
  id: 'id',
  label: 'label',
  pred: 'prediction',
  prediction: 'prediction',
  layer: 'layer',
  file: 'file',
  path: 'file',
  kind: 'kind',
  is: 'kind',
};

const KIND_WORDS: Record<string, SearchKind> = {
  pattern: 'pattern',
  patterns: 'pattern',
  input: 'input',
  inputs: 'input',
  unit: 'unit',
  units: 'unit',
};

const WHOLE_NUMBER = /^#?(0|[1-9][0-9]*)$/;
const RANGE = /^(size|purity|persistence)(>=|<=|>|<|=)(.*)$/i;
const KEYED = /^([A-Za-z]+):(.*)$/s;

/** Splits on whitespace outside double quotes; quotes are removed (`label:"Ankle boot"` is one term). */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  let current = '';
  let quoted = false;
  let any = false;
  for (const char of text) {
    if (char === '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && /\s/.test(char)) {
      if (any) terms.push(current);
      current = '';
      any = false;
    } else {
      current += char;
      any = true;
    }
  }
  if (any) terms.push(current);
  return terms.filter((term) => term !== '');
}

function parseTerm(term: string): SearchCondition | string {
  const range = RANGE.exec(term);
  if (range) {
    const field = range[1]!.toLowerCase() as RangeField;
    const text = range[3]!;
    const value = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(value))
      return `${field}${range[2]} needs a number, not ${JSON.stringify(text)} (e.g. ${field}>0.5)`;
    return { kind: 'range', field, op: range[2] as Comparison, value };
  }
  const id = WHOLE_NUMBER.exec(term);
  if (id) return { kind: 'id', id: Number(id[1]) };
  const keyed = KEYED.exec(term);
  if (keyed) {
    const key = KEYS[keyed[1]!.toLowerCase()];
    const value = keyed[2]!;
    if (key === undefined) {
      return `unknown field ${JSON.stringify(keyed[1])}: use ${Object.keys(KEYS).join(', ')}, or size, purity, persistence with > or <`;
    }
    if (value === '') return `${keyed[1]}: needs a value (e.g. ${keyed[1]}:${key === 'id' ? '12' : 'x'})`;
    switch (key) {
      case 'id': {
        const match = WHOLE_NUMBER.exec(value);
        return match ? { kind: 'id', id: Number(match[1]) } : `id:${value} is not a whole number (e.g. id:12)`;
      }
      case 'kind': {
        const kind = KIND_WORDS[value.toLowerCase()];
        return kind ? { kind: 'kind', kinds: kind } : `kind:${value} is not one of pattern, input, unit`;
      }
      case 'label':
      case 'prediction':
        return { kind: key, label: value };
      case 'layer':
      case 'file':
        return { kind: key, text: value };
    }
  }
  return { kind: 'text', text: term };
}

export function parseSearch(text: string): SearchQuery {
  const query: SearchQuery = { conditions: [], errors: [] };
  for (const term of searchTerms(text)) {
    const parsed = parseTerm(term);
    if (typeof parsed === 'string') query.errors.push(parsed);
    else query.conditions.push(parsed);
  }
  return query;
}

/** The kinds a condition can say something about; the others are left out of the results. */
function kindsOf(condition: SearchCondition): readonly SearchKind[] {
  switch (condition.kind) {
    case 'id':
    case 'text':
    case 'layer':
      return SEARCH_KINDS;
    case 'label':
    case 'prediction':
      return ['pattern', 'input'];
    case 'file':
      return ['input'];
    case 'range':
      return ['pattern'];
    case 'kind':
      return [condition.kinds];
  }
}

/** The kinds every condition of the query applies to (none for an empty query). */
export function searchedKinds(query: SearchQuery): SearchKind[] {
  if (query.conditions.length === 0) return [];
  return SEARCH_KINDS.filter((kind) => query.conditions.every((c) => kindsOf(c).includes(kind)));
}

const same = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();
const contains = (a: string | null, b: string) => a !== null && a.toLowerCase().includes(b.toLowerCase());

function compare(value: number, op: Comparison, bound: number): boolean {
  switch (op) {
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '=':
      return value === bound;
  }
}

/** What the search needs of one pattern. */
export interface SearchPattern {
  patternId: number;
  size: number;
  persistence: number;
  dominantLabel: string | null;
  labelPurity: number | null;
  predictions: LabelMix;
}

/** A layer's clustering and its patterns (noise excluded), and its width for the units. */
export interface SearchLayer {
  layer: string;
  clusteringId: number;
  /** Units of the layer (its aggregated width). */
  dim: number;
  patterns: readonly SearchPattern[];
}

/** A run's inputs as columns, by row. */
export interface SearchInputs {
  inputIndex: ArrayLike<number>;
  path: readonly (string | null)[];
  label: readonly (string | null)[];
  predictionLabel: readonly (string | null)[];
}

export interface PatternHit {
  layer: string;
  clusteringId: number;
  patternId: number;
  size: number;
  dominantLabel: string | null;
  labelPurity: number | null;
}
export interface InputHit {
  inputIndex: number;
  path: string | null;
  label: string | null;
  predictionLabel: string | null;
}
export interface UnitHit {
  layer: string;
  unit: number;
}

/** The first `limit` hits of each kind, and how many there are in all. */
export interface SearchResults {
  patterns: { total: number; hits: PatternHit[] };
  inputs: { total: number; hits: InputHit[] };
  units: { total: number; hits: UnitHit[] };
  errors: string[];
}

/** The majority prediction of a pattern (mixes are ordered by count, largest first). */
const majorityPrediction = (p: SearchPattern): string | null => p.predictions.label[0] ?? null;

function patternMatches(layer: SearchLayer, p: SearchPattern, c: SearchCondition): boolean {
  switch (c.kind) {
    case 'id':
      return p.patternId === c.id;
    case 'text':
      return contains(p.dominantLabel, c.text) || contains(layer.layer, c.text);
    case 'label':
      return same(p.dominantLabel, c.label);
    case 'prediction':
      return same(majorityPrediction(p), c.label);
    case 'layer':
      return contains(layer.layer, c.text);
    case 'range': {
      const value = c.field === 'size' ? p.size : c.field === 'purity' ? p.labelPurity : p.persistence;
      return value !== null && compare(value, c.op, c.value);
    }
    case 'file':
    case 'kind':
      return true;
  }
}

function inputMatches(inputs: SearchInputs, row: number, c: SearchCondition): boolean {
  switch (c.kind) {
    case 'id':
      return inputs.inputIndex[row] === c.id;
    case 'text':
      return (
        contains(inputs.path[row] ?? null, c.text) ||
        contains(inputs.label[row] ?? null, c.text) ||
        contains(inputs.predictionLabel[row] ?? null, c.text)
      );
    case 'label':
      return same(inputs.label[row] ?? null, c.label);
    case 'prediction':
      return same(inputs.predictionLabel[row] ?? null, c.label);
    case 'file':
      return contains(inputs.path[row] ?? null, c.text);
    case 'layer':
    case 'kind':
    case 'range':
      return true;
  }
}

/** Units are known by number; a condition other than the id, layer and kind only selects their layers. */
function unitLayerMatches(layer: SearchLayer, c: SearchCondition): boolean {
  return c.kind === 'text' || c.kind === 'layer' ? contains(layer.layer, c.text) : true;
}

class Collector<T> {
  total = 0;
  readonly hits: T[] = [];
  constructor(private readonly limit: number) {}
  add(hit: () => T): void {
    if (this.total++ < this.limit) this.hits.push(hit());
  }
  result(): { total: number; hits: T[] } {
    return { total: this.total, hits: this.hits };
  }
}

/**
 * The run's patterns (by layer in the given order, then pattern id), inputs (by row) and units (by layer,
 * then unit) that meet every condition; at most `limit` hits of each kind, with totals.
 */
export function searchRun(
  query: SearchQuery,
  layers: readonly SearchLayer[],
  inputs: SearchInputs,
  limit: number,
): SearchResults {
  const kinds = new Set(searchedKinds(query));
  const { conditions } = query;
  const patterns = new Collector<PatternHit>(limit);
  const inputHits = new Collector<InputHit>(limit);
  const units = new Collector<UnitHit>(limit);
  if (kinds.has('pattern')) {
    for (const layer of layers) {
      for (const p of layer.patterns) {
        if (!conditions.every((c) => patternMatches(layer, p, c))) continue;
        patterns.add(() => ({
          layer: layer.layer,
          clusteringId: layer.clusteringId,
          patternId: p.patternId,
          size: p.size,
          dominantLabel: p.dominantLabel,
          labelPurity: p.labelPurity,
        }));
      }
    }
  }
  if (kinds.has('input')) {
    const ids = conditions.filter((c) => c.kind === 'id');
    for (let row = 0; row < inputs.inputIndex.length; row++) {
      if (ids.length > 0 && inputs.inputIndex[row] !== ids[0]!.id) continue;
      if (!conditions.every((c) => inputMatches(inputs, row, c))) continue;
      inputHits.add(() => ({
        inputIndex: inputs.inputIndex[row]!,
        path: inputs.path[row] ?? null,
        label: inputs.label[row] ?? null,
        predictionLabel: inputs.predictionLabel[row] ?? null,
      }));
    }
  }
  if (kinds.has('unit')) {
    const ids = [...new Set(conditions.flatMap((c) => (c.kind === 'id' ? [c.id] : [])))];
    for (const layer of layers) {
      if (!conditions.every((c) => unitLayerMatches(layer, c))) continue;
      // Without an id every unit of a matching layer is a hit: `kind:unit layer:conv` lists them.
      const wanted = ids.length === 0 ? null : ids.length === 1 ? ids[0]! : -1;
      if (wanted === null) for (let unit = 0; unit < layer.dim; unit++) units.add(() => ({ layer: layer.layer, unit }));
      else if (wanted >= 0 && wanted < layer.dim) units.add(() => ({ layer: layer.layer, unit: wanted }));
    }
  }
  return { patterns: patterns.result(), inputs: inputHits.result(), units: units.result(), errors: query.errors };
}
