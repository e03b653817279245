/** A seeded random source: feature visualizations are reproducible from their seed. */
import { mulberry32 } from '../io/datasets/sample.js';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

export function seededRandom(seed: number): Random {
  const next = mulberry32(seed ^ 0x9e3779b9);
  return {
    next,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
}
