/**
 * Options of a layer's 2-D projection, their defaults, and the plan they give for a layer of a given
 * shape: which method runs and the parameters stored with the result (those that shape it).
 */
import type { KnnMethod } from '../compute/projection/index.js';
import { InputError } from '../errors.js';
import { PROJECTION_METHODS, type ProjectionMethod } from '../io/store/index.js';

export type ProjectionChoice = ProjectionMethod | 'none';
export const PROJECTION_CHOICES: readonly ProjectionChoice[] = [...PROJECTION_METHODS, 'none'];

const KNN_CHOICES: readonly KnnMethod[] = ['auto', 'exact', 'nn-descent'];

/** Every option is optional; defaults are documented on each and filled by `planProjection`. */
export interface ProjectionOptions {
  /**
   * 'umap' (default): UMAP of the layer's normalized aggregated activations; 'pca': their first two
   * principal components (instant, but classes overlap far more); 'none': no projection. Layers with
   * fewer than 3 inputs get PCA whatever the choice (UMAP needs neighbours).
   */
  method?: ProjectionChoice;
  /** Every random choice derives from it; equal seeds give identical maps. Integer. Default 42. */
  seed?: number;
  /** UMAP neighbours per input, counting itself; integer >= 2, lowered to inputs - 1 for small layers. Default 15. */
  nNeighbors?: number;
  /** UMAP's smallest distance between points of the map, 0..1. Default 0.1. */
  minDist?: number;
  /**
   * UMAP optimisation epochs; integer >= 1. Default 200, umap-learn's choice for large data sets (it
   * takes 500 up to 10,000 inputs): the layout is most of UMAP's time, and on the demo's 10,000 MNIST
   * digits 500 epochs take 2.3x the layout time for a label agreement of the map (share of each point's
   * 15 nearest points with its label) that is 0.02-0.03 higher on conv2 and pool2 and equal on the rest.
   */
  nEpochs?: number;
  /** Reduce rows to this many principal components before UMAP's neighbour search; 0 = off. Default 50 for layers wider than 100 units, else 0. */
  pcaDims?: number;
  /**
   * UMAP's neighbour search: 'exact', 'nn-descent' (approximate) or 'auto' (the projection module's
   * rule). Default 'exact' up to 20,000 inputs, 'nn-descent' above. On Fashion-MNIST's 10,000 test
   * images (64 principal components, scripts/bench-umap.ts) the exact search takes 0.3 s, and the map
   * with 200 epochs has a label agreement of 0.6911 (NN-descent: 0.6893; umap-js: 0.6901).
   */
  knn?: KnnMethod;
  /** Worker threads (they do not change the result); integer >= 1. Default: all cores. */
  threads?: number;
}

/** UMAP parameters as stored with a projection. */
export interface UmapParams {
  seed: number;
  nNeighbors: number;
  minDist: number;
  nEpochs: number;
  pcaDims: number;
  knn: KnnMethod;
}

/** PCA parameters as stored with a projection. */
export interface PcaParams {
  seed: number;
}

export type ProjectionPlan =
  { method: 'umap'; params: UmapParams; threads: number | undefined } | { method: 'pca'; params: PcaParams };

/** Inputs above which the neighbour search is approximate by default (see ProjectionOptions.knn). */
export const NN_DESCENT_ABOVE = 20_000;
/** Layers at least this wide are reduced by PCA before UMAP by default. */
const PCA_BEFORE_UMAP_ABOVE = 100;
const DEFAULT_PCA_DIMS = 50;
/** UMAP needs each input to have at least two neighbours. */
const UMAP_MIN_INPUTS = 3;

function requireInteger(name: string, value: number | undefined, min: number, max: number, example: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`projection ${name} ${String(value)} is not a whole number from ${min} to ${max}`, {
      hint: `give ${name} as e.g. ${example}`,
    });
  }
}

/** Refuses bad option values, naming them; run it before long work starts. */
export function checkProjectionOptions(options: ProjectionOptions): void {
  if (options.method !== undefined && !PROJECTION_CHOICES.includes(options.method)) {
    throw new InputError(`projection method ${JSON.stringify(options.method)} is unknown`, {
      hint: `use one of ${PROJECTION_CHOICES.join(', ')}`,
    });
  }
  requireInteger('seed', options.seed, -(2 ** 31), 2 ** 32 - 1, 42);
  requireInteger('nNeighbors', options.nNeighbors, 2, 1000, 15);
  requireInteger('nEpochs', options.nEpochs, 1, 100_000, 200);
  requireInteger('pcaDims', options.pcaDims, 0, 100_000, 50);
  requireInteger('threads', options.threads, 1, 1024, 2);
  const minDist = options.minDist;
  if (minDist !== undefined && !(typeof minDist === 'number' && minDist >= 0 && minDist <= 1)) {
    throw new InputError(`projection minDist ${String(minDist)} is not a number from 0 to 1`, {
      hint: 'give minDist as e.g. 0.1',
    });
  }
  if (options.knn !== undefined && !KNN_CHOICES.includes(options.knn)) {
    throw new InputError(`projection knn ${JSON.stringify(options.knn)} is unknown`, {
      hint: `use one of ${KNN_CHOICES.join(', ')}`,
    });
  }
}

/** The method and parameters for a layer of `count` inputs of `dim` units; null for method 'none'. */
export function planProjection(
  options: ProjectionOptions,
  shape: { count: number; dim: number },
): ProjectionPlan | null {
  checkProjectionOptions(options);
  const method = options.method ?? 'umap';
  if (method === 'none') return null;
  const seed = options.seed ?? 42;
  if (method === 'pca' || shape.count < UMAP_MIN_INPUTS) return { method: 'pca', params: { seed } };
  const pcaDims = options.pcaDims ?? (shape.dim > PCA_BEFORE_UMAP_ABOVE ? DEFAULT_PCA_DIMS : 0);
  return {
    method: 'umap',
    params: {
      seed,
      nNeighbors: Math.min(options.nNeighbors ?? 15, shape.count - 1),
      minDist: options.minDist ?? 0.1,
      nEpochs: options.nEpochs ?? 200,
      // Reducing to as many components as there are units (or more) reduces nothing.
      pcaDims: pcaDims >= shape.dim ? 0 : pcaDims,
      knn: options.knn ?? (shape.count > NN_DESCENT_ABOVE ? 'nn-descent' : 'exact'),
    },
    threads: options.threads,
  };
}
