/**
 * Everything that defines a view lives in the URL's query string, so a link reproduces it and the
 * browser's back/forward buttons move between views. Defaults are left out of the URL, and long parts
 * move into a saved state (data/short-url.ts), so that every URL stays under 2 KB.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { MemberOrder } from '../../src/results/api-types.js';
import { MEMBER_ORDERS } from '../../src/results/api-types.js';
import { expandQuery, shortQuery } from './data/short-url.js';

/** Every view; views/registry.tsx says how each is shown and reached. */
export type ViewName =
  | 'runs'
  | 'layer'
  | 'pattern'
  | 'compare'
  | 'images'
  | 'maxact'
  | 'stats'
  | 'flow'
  | 'jaccard'
  | 'lineage'
  | 'compare-runs'
  | 'label-errors'
  | 'outliers'
  | 'duplicates'
  | 'model-errors'
  | 'map'
  | 'glossary'
  | 'notes';
export const VIEW_NAMES: readonly ViewName[] = [
  'runs',
  'layer',
  'pattern',
  'compare',
  'images',
  'maxact',
  'stats',
  'flow',
  'jaccard',
  'lineage',
  'compare-runs',
  'label-errors',
  'outliers',
  'duplicates',
  'model-errors',
  'map',
  'glossary',
  'notes',
];

export type PatternSort = 'persistence' | 'size' | 'purity' | 'outliers';
export const PATTERN_SORTS: readonly PatternSort[] = ['persistence', 'size', 'purity', 'outliers'];

export type UnitSort = 'unit' | 'difference';

/** What colours the points of the map: pattern, strongest pattern (near members too) with the strength as
 * opacity, input label, predicted class, the model's probability of its prediction, membership probability
 * in the pattern, or outlier score. */
export type MapColor = 'pattern' | 'strongest' | 'label' | 'prediction' | 'confidence' | 'membership' | 'outlier';
export const MAP_COLORS: readonly MapColor[] = [
  'pattern',
  'strongest',
  'label',
  'prediction',
  'confidence',
  'membership',
  'outlier',
];

/** A pinned pattern; clustering ids are unique across the runs of a store, so they name run and layer too. */
export interface Pin {
  clusteringId: number;
  patternId: number;
}

export interface Route {
  view: ViewName;
  run: number | null;
  layer: string | null;
  /** An explicit clustering (a unit clustering or an older one); null: the layer's newest layer clustering. */
  clustering: number | null;
  /** Pattern id; -1 is the noise group. */
  pattern: number | null;
  sort: PatternSort;
  /** Show the noise group among the cards. */
  noise: boolean;
  label: string | null;
  prediction: string | null;
  misclassified: boolean;
  pins: Pin[];
  /** Selected input indices of the current run. */
  selection: number[];
  order: MemberOrder;
  /** Hide units whose statistics stay near zero in the statistics charts. */
  hideNearZero: boolean;
  unitSort: UnitSort;
  /** Unit of interest (max activations, statistics). */
  unit: number | null;
  /** Label x pattern chart: by input label or by prediction. */
  chartBy: 'label' | 'prediction';
  /** Second layer (the columns) of the Jaccard matrix; `layer` gives the rows. */
  to: string | null;
  /** Run B of a run comparison; `run` is run A. */
  runB: number | null;
  /** Pattern page: heatmaps laid over the average image and the members. */
  heatmap: boolean;
  /** Map: what colours the points. */
  mapColor: MapColor;
  /** Map: the lasso or box selection, a polygon x0, y0, x1, y1, ... in the projection's coordinates (empty: none). */
  region: number[];
  /**
   * Near members count from this strongest-membership strength; null: not chosen (the patterns view shows the
   * paper's patterns alone, the pattern and noise pages count from DEFAULT_NEAR_STRENGTH).
   */
  nearStrength: number | null;
  /** A re-cut of the layer's patterns from its stored tree; null fields: as stored. */
  minClusterSize: number | null;
  selectionMethod: 'leaf' | 'eom' | null;
  epsilon: number | null;
  /** The condensed-tree node (cluster id) whose subtree the patterns view shows; null: the whole layer. */
  node: number | null;
  /** The patterns view opens its coverage and granularity panel and its hierarchy (nap demo's first view). */
  hierarchy: boolean;
}

/** Near members count from this strength where no strength was chosen (nap summary's first strength). */
export const DEFAULT_NEAR_STRENGTH = 0.1;

export const DEFAULT_ROUTE: Route = {
  view: 'runs',
  run: null,
  layer: null,
  clustering: null,
  pattern: null,
  sort: 'persistence',
  noise: false,
  label: null,
  prediction: null,
  misclassified: false,
  pins: [],
  selection: [],
  order: 'most-stable',
  hideNearZero: true,
  unitSort: 'unit',
  unit: null,
  chartBy: 'label',
  to: null,
  runB: null,
  heatmap: false,
  mapColor: 'pattern',
  region: [],
  nearStrength: null,
  minClusterSize: null,
  selectionMethod: null,
  epsilon: null,
  node: null,
  hierarchy: false,
};

/** A number in [min, max], else null. */
function numberIn(text: string | null, min: number, max: number): number | null {
  if (text === null || text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= min && value <= max ? value : null;
}

function integer(text: string | null, min: number): number | null {
  if (text === null || !/^-?\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= min ? value : null;
}

function oneOf<T extends string>(text: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(text as T) ? (text as T) : fallback;
}

function parsePins(text: string | null): Pin[] {
  if (!text) return [];
  const pins: Pin[] = [];
  for (const part of text.split(',')) {
    const match = /^(\d+)\.(-?\d+)$/.exec(part);
    if (!match) continue;
    const pin = { clusteringId: Number(match[1]), patternId: Number(match[2]) };
    if (!pins.some((p) => samePin(p, pin))) pins.push(pin);
  }
  return pins;
}

function parseSelection(text: string | null): number[] {
  if (!text) return [];
  const seen = new Set<number>();
  for (const part of text.split(',')) {
    const value = integer(part, 0);
    if (value !== null) seen.add(value);
  }
  return [...seen];
}

/** Significant digits of region coordinates in the URL: far finer than a pixel at any zoom the map allows. */
const REGION_DIGITS = 7;

/** A polygon of at least three finite vertices, else none. */
function parseRegion(text: string | null): number[] {
  if (!text) return [];
  const values = text.split(',').map(Number);
  if (values.length < 6 || values.length % 2 !== 0 || !values.every(Number.isFinite)) return [];
  return values;
}

/** The region as the URL holds it: the coordinates the map selects with, after a round trip through the URL. */
export function roundRegion(polygon: readonly number[]): number[] {
  return polygon.map((v) => Number(v.toPrecision(REGION_DIGITS)));
}

export function samePin(a: Pin, b: Pin): boolean {
  return a.clusteringId === b.clusteringId && a.patternId === b.patternId;
}

export function parseRoute(search: string): Route {
  const q = expandQuery(search);
  return {
    view: oneOf(q.get('view'), VIEW_NAMES, q.has('run') ? 'layer' : 'runs'),
    run: integer(q.get('run'), 0),
    layer: q.get('layer'),
    clustering: integer(q.get('c'), 0),
    pattern: integer(q.get('p'), -1),
    sort: oneOf(q.get('sort'), PATTERN_SORTS, DEFAULT_ROUTE.sort),
    noise: q.get('noise') === '1',
    label: q.get('label'),
    prediction: q.get('pred'),
    misclassified: q.get('mis') === '1',
    pins: parsePins(q.get('pins')),
    selection: parseSelection(q.get('sel')),
    order: oneOf(q.get('order'), MEMBER_ORDERS, DEFAULT_ROUTE.order),
    hideNearZero: q.get('zero') !== 'show',
    unitSort: oneOf<UnitSort>(q.get('units'), ['unit', 'difference'], 'unit'),
    unit: integer(q.get('unit'), -1),
    chartBy: oneOf<'label' | 'prediction'>(q.get('by'), ['label', 'prediction'], 'label'),
    to: q.get('to'),
    runB: integer(q.get('runB'), 0),
    heatmap: q.get('heat') === '1',
    mapColor: oneOf(q.get('color'), MAP_COLORS, DEFAULT_ROUTE.mapColor),
    region: parseRegion(q.get('region')),
    nearStrength: numberIn(q.get('near'), 0, 1),
    minClusterSize: integer(q.get('mcs'), 2),
    selectionMethod: q.get('pick') === 'eom' ? 'eom' : q.get('pick') === 'leaf' ? 'leaf' : null,
    epsilon: numberIn(q.get('eps'), 0, Number.MAX_VALUE),
    node: integer(q.get('node'), 0),
    hierarchy: q.get('tree') === '1',
  };
}

export function formatRoute(route: Route): string {
  const q = new URLSearchParams();
  const set = (key: string, value: string | number | null, fallback: string | number | null = null) => {
    if (value !== null && value !== fallback) q.set(key, String(value));
  };
  set('view', route.view, route.run === null ? 'runs' : 'layer');
  set('run', route.run);
  set('layer', route.layer);
  set('c', route.clustering);
  set('p', route.pattern);
  set('sort', route.sort, DEFAULT_ROUTE.sort);
  if (route.noise) q.set('noise', '1');
  set('label', route.label);
  set('pred', route.prediction);
  if (route.misclassified) q.set('mis', '1');
  if (route.pins.length > 0) q.set('pins', route.pins.map((p) => `${p.clusteringId}.${p.patternId}`).join(','));
  if (route.selection.length > 0) q.set('sel', route.selection.join(','));
  set('order', route.order, DEFAULT_ROUTE.order);
  if (!route.hideNearZero) q.set('zero', 'show');
  set('units', route.unitSort, DEFAULT_ROUTE.unitSort);
  set('unit', route.unit);
  set('by', route.chartBy, DEFAULT_ROUTE.chartBy);
  set('to', route.to);
  set('runB', route.runB);
  if (route.heatmap) q.set('heat', '1');
  set('color', route.mapColor, DEFAULT_ROUTE.mapColor);
  if (route.region.length >= 6) q.set('region', roundRegion(route.region).join(','));
  set('near', route.nearStrength);
  set('mcs', route.minClusterSize);
  set('pick', route.selectionMethod);
  set('eps', route.epsilon);
  set('node', route.node);
  if (route.hierarchy) q.set('tree', '1');
  // A long state (a lasso, a large selection) is kept as a saved state: every link stays short.
  const text = shortQuery(q, location.pathname);
  return text === '' ? '' : `?${text}`;
}

/** The URL (path and query) of the route patched with `changes`, for links. */
export function hrefOf(route: Route, changes: Partial<Route>): string {
  return `${location.pathname}${formatRoute({ ...route, ...changes })}`;
}

const ROUTE_EVENT = 'nap:route';

/** Moves to the route patched with `changes`; `replace` keeps the browser history entry (for small tweaks). */
export function navigate(changes: Partial<Route>, options: { replace?: boolean } = {}): void {
  const next = `${location.pathname}${formatRoute({ ...parseRoute(location.search), ...changes })}`;
  if (next === `${location.pathname}${location.search}`) return;
  if (options.replace) history.replaceState(null, '', next);
  else history.pushState(null, '', next);
  window.dispatchEvent(new Event(ROUTE_EVENT));
  if (!options.replace) window.scrollTo(0, 0);
}

/** Follows a same-page link (HTML or SVG) without reloading (plain clicks only; modified clicks open tabs as usual). */
export function followLink(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  const href = anchor?.getAttribute('href');
  if (
    !anchor ||
    href === null ||
    href === undefined ||
    anchor.getAttribute('target') ||
    anchor.hasAttribute('download')
  )
    return;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin || url.pathname !== location.pathname) return;
  event.preventDefault();
  if (url.search === location.search) return;
  history.pushState(null, '', url.pathname + url.search);
  window.dispatchEvent(new Event(ROUTE_EVENT));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [search, setSearch] = useState(location.search);
  useEffect(() => {
    const update = () => setSearch(location.search);
    window.addEventListener('popstate', update);
    window.addEventListener(ROUTE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(ROUTE_EVENT, update);
    };
  }, []);
  return useMemo(() => parseRoute(search), [search]);
}
