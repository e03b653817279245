/**
 * What each column of a layer's stored activation vector is, browser-safe: with 'mean' or 'max' aggregation
 * column u is unit u; 'mean_std' stores [means..., standard deviations...] and 'min_max' [mins..., maxs...]
 * (see compute/aggregate.ts), so that column u + units is the second statistic of unit u. A unit
 * clustering's columns are the spatial positions of one unit's map.
 */

export interface ColumnName {
  /** For the axis: a number, with μ/σ or ↓/↑ where a column is one of two statistics of its unit. */
  short: string;
  /** For a tooltip or a screen reader. */
  long: string;
}

const PAIRS: Record<string, [[string, string], [string, string]]> = {
  mean_std: [
    ['μ', 'mean'],
    ['σ', 'standard deviation'],
  ],
  min_max: [
    ['↓', 'minimum'],
    ['↑', 'maximum'],
  ],
};

/** The name of column `column` of a layer with `dim` columns stored under `aggregation`. */
export function aggregatedColumnName(aggregation: string, dim: number, column: number): ColumnName {
  const pair = PAIRS[aggregation];
  if (pair && dim % 2 === 0) {
    const units = dim / 2;
    const [symbol, statistic] = pair[column < units ? 0 : 1];
    const unit = column % units;
    return { short: `${symbol}${unit}`, long: `Unit ${unit}, ${statistic}` };
  }
  if (aggregation === 'none') return { short: String(column), long: `Column ${column} (unit and position)` };
  return { short: String(column), long: `Unit ${column}` };
}

/** The name of column `column` of a unit clustering: a position of the unit's spatial map. */
export function positionColumnName(unit: number, column: number): ColumnName {
  return { short: String(column), long: `Unit ${unit} at position ${column}` };
}

/** Whether a layer's columns pair two statistics per unit (the chart then says which is which). */
export function pairsStatistics(aggregation: string): boolean {
  return aggregation in PAIRS;
}
