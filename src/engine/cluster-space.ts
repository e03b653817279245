/**
 * Where a layer is clustered: its normalized aggregated activations as they are ('raw', the NAP paper),
 * their first D principal components ('pca:D'), or a D-dimensional UMAP embedding ('umap:D') with the
 * settings umap-learn's documentation recommends for clustering (min_dist 0, 30 neighbours, more than a
 * map's 15; 200 epochs). Patterns, GLOSH and soft memberships are computed in that space; statistics, average
 * images and maps stay on the activations.
 */
import { pca } from '../compute/projection/pca.js';
import { umap } from '../compute/projection/umap.js';
import type { Matrix } from '../compute/matrix.js';
import { InputError } from '../errors.js';
import type { ValueRule } from '../options/schema.js';
import type { ClusteringWriter, StoreReader } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import { onnxDotKernels } from '../io/onnx/dot-kernel.js';

export type ClusterSpace = 'raw' | `pca:${number}` | `umap:${number}`;

/**
 * umap-learn's "Using UMAP for clustering" settings (30 neighbours, min dist 0), beside the map's (15, 0.1);
 * 200 epochs as umap-learn gives large data sets and nap's maps (a 10-D layout costs 5x a 2-D one per epoch).
 */
export const CLUSTERING_UMAP = { nNeighbors: 30, minDist: 0, nEpochs: 200, seed: 42 } as const;

const SPACE_PATTERN = /^(raw|pca:(\d+)|umap:(\d+))$/;

function isClusterSpace(value: unknown): value is ClusterSpace {
  if (typeof value !== 'string') return false;
  const match = SPACE_PATTERN.exec(value);
  return match !== null && Number(match[2] ?? match[3] ?? 2) >= 2;
}

/** The option schema's rule (src/options/schema.ts): 'raw', 'pca:D' or 'umap:D' with D >= 2. */
export const CLUSTER_SPACE_RULE: ValueRule<ClusterSpace> = {
  parse: (text) => text.trim(),
  valid: isClusterSpace,
  what: { one: 'raw, pca:D or umap:D with D >= 2', many: 'cluster spaces (raw, pca:D or umap:D with D >= 2)' },
  format: (value) => value,
  example: 'pca:50',
  placeholder: 'raw|pca:D|umap:D',
};

/** Reads a cluster space ('raw', 'pca:D', 'umap:D'), naming `flag` in the error. */
export function parseClusterSpace(text: string, flag = '--cluster-space'): ClusterSpace {
  const space = text.trim();
  if (!isClusterSpace(space)) {
    throw new InputError(`${flag} '${text}' is not raw, pca:D or umap:D with D >= 2`, {
      hint: `e.g. ${flag} raw (the paper: the activations as they are), ${flag} pca:50 or ${flag} umap:10`,
    });
  }
  return space;
}

/** Dimensions of a pca:D or umap:D space; undefined for raw. */
export function spaceDims(space: ClusterSpace): number | undefined {
  return space === 'raw' ? undefined : Number(space.slice(space.indexOf(':') + 1));
}

/** The rows of `activations` in `space`, with the parameters that made them. */
export async function rowsInSpace(
  activations: Matrix,
  space: ClusterSpace,
  options: { threads?: number },
  control: TaskControl,
): Promise<{ rows: Matrix; params: unknown }> {
  const dims = spaceDims(space);
  if (dims === undefined) return { rows: activations, params: {} };
  if (dims > activations.dim && space.startsWith('pca')) {
    throw new InputError(`--cluster-space ${space} asks for ${dims} components of rows of ${activations.dim} values`, {
      hint: `use pca:D with D <= ${activations.dim}, or raw`,
    });
  }
  if (space.startsWith('pca')) {
    control.onProgress?.({ stage: `cluster space ${space}`, done: 0, total: 1 });
    const fitted = pca(activations, dims, { seed: CLUSTERING_UMAP.seed });
    control.onProgress?.({ stage: `cluster space ${space}`, done: 1, total: 1 });
    return {
      rows: { count: activations.count, dim: dims, data: fitted.projection },
      params: { method: 'pca', components: dims, seed: CLUSTERING_UMAP.seed },
    };
  }
  const settings = {
    ...CLUSTERING_UMAP,
    nComponents: dims,
    kernels: onnxDotKernels,
    ...(options.threads ? { threads: options.threads } : {}),
  };
  const data = await umap(activations, settings, {
    ...(control.signal ? { signal: control.signal } : {}),
    onProgress: (p) => control.onProgress?.({ ...p, stage: `cluster space ${space}: ${p.stage}` }),
  });
  return {
    rows: { count: activations.count, dim: dims, data },
    params: { method: 'umap', nComponents: dims, ...CLUSTERING_UMAP },
  };
}

/**
 * The rows a stored layer was clustered in: its activations for raw, else the stored coordinates of
 * the space (re-selections grade soft memberships in them), computed and stored when missing.
 */
export async function storedRowsInSpace(
  store: StoreReader & Pick<ClusteringWriter, 'saveClusterSpace'>,
  runId: number,
  layer: string,
  activations: { matrix: Matrix; inputIndex: Int32Array },
  space: ClusterSpace,
  options: { threads?: number },
  control: TaskControl,
): Promise<Matrix> {
  if (space === 'raw') return activations.matrix;
  const stored = await store.readClusterSpace(runId, layer, space);
  if (stored && sameRows(stored.inputIndex, activations.inputIndex)) {
    return { count: stored.inputIndex.length, dim: stored.dim, data: stored.values };
  }
  const { rows, params } = await rowsInSpace(activations.matrix, space, options, control);
  await store.saveClusterSpace(runId, layer, {
    space,
    params,
    dim: rows.dim,
    inputIndex: activations.inputIndex,
    values: rows.data,
  });
  return rows;
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
