/**
 * Options of a layer's 2-D projection, their defaults, and the plan they give for a layer of a given
 * shape: which method runs and the parameters stored with the result (those that shape it).
 */
import type { KnnMethod } from '../compute/projection/index.js';
import {
  choice,
  OptionSchema,
  realNumber,
  seedNumber,
  valueOption,
  wholeNumber,
  type Fields,
} from '../options/schema.js';
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

/** The options of a layer's projection as options of a command (nap project, and the library's calls). */
export const PROJECTION_FIELDS: Fields = {
  method: valueOption(choice(PROJECTION_CHOICES), {
    flag: 'method',
    help: 'umap, pca (instant, classes overlap far more) or none',
    default: 'umap',
  }),
  seed: valueOption(seedNumber(42), {
    flag: 'seed',
    help: 'random seed; equal seeds give equal maps',
    default: 42,
  }),
  nNeighbors: valueOption(wholeNumber({ example: 15, min: 2, max: 1000 }), {
    flag: 'neighbors',
    help: 'UMAP neighbours per input: larger keeps more of the global structure',
    default: 15,
  }),
  minDist: valueOption(realNumber({ example: 0.1, min: 0, max: 1 }), {
    flag: 'min-dist',
    help: "UMAP's smallest distance between points: smaller packs clusters tighter",
    default: 0.1,
  }),
  nEpochs: valueOption(wholeNumber({ example: 200, min: 1, max: 100_000 }), {
    flag: 'epochs',
    help: 'UMAP optimisation epochs',
    default: 200,
  }),
  pcaDims: valueOption(wholeNumber({ example: 50, min: 0, max: 100_000 }), {
    flag: 'pca-dims',
    help: 'reduce to N principal components before UMAP; 0: off',
    defaultText: `${DEFAULT_PCA_DIMS} for layers wider than ${PCA_BEFORE_UMAP_ABOVE}`,
  }),
  knn: valueOption(choice(KNN_CHOICES), {
    flag: 'knn',
    help: "UMAP's neighbour search: exact, nn-descent (approximate) or auto",
    defaultText: `exact up to ${NN_DESCENT_ABOVE.toLocaleString('en-US')} inputs, nn-descent above`,
  }),
  threads: valueOption(wholeNumber({ example: 2, min: 1, max: 1024 }), {
    flag: 'threads',
    help: 'worker threads',
    defaultText: 'all cores',
  }),
};

const PROJECTION_OPTIONS = new OptionSchema<ProjectionOptions>('project', PROJECTION_FIELDS);

/** Refuses bad option values, naming them; run it before long work starts. */
export function checkProjectionOptions(options: ProjectionOptions): void {
  PROJECTION_OPTIONS.check(options);
}

/** The method and parameters for a layer of `count` inputs of `dim` units; null for method 'none'. */
export function planProjection(
  options: ProjectionOptions,
  shape: { count: number; dim: number },
): ProjectionPlan | null {
  const {
    method,
    seed,
    nNeighbors,
    minDist,
    nEpochs,
    pcaDims: chosenPcaDims,
    knn,
  } = PROJECTION_OPTIONS.resolve(options);
  if (method === 'none') return null;
  if (method === 'pca' || shape.count < UMAP_MIN_INPUTS) return { method: 'pca', params: { seed: seed! } };
  const pcaDims = chosenPcaDims ?? (shape.dim > PCA_BEFORE_UMAP_ABOVE ? DEFAULT_PCA_DIMS : 0);
  return {
    method: 'umap',
    params: {
      seed: seed!,
      nNeighbors: Math.min(nNeighbors!, shape.count - 1),
      minDist: minDist!,
      nEpochs: nEpochs!,
      // Reducing to as many components as there are units (or more) reduces nothing.
      pcaDims: pcaDims >= shape.dim ? 0 : pcaDims,
      knn: knn ?? (shape.count > NN_DESCENT_ABOVE ? 'nn-descent' : 'exact'),
    },
    threads: options.threads,
  };
}
