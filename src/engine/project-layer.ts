/**
 * 2-D maps of a run's layers: UMAP (or PCA) of each layer's stored normalized aggregated activations,
 * the vectors that were clustered, stored with the run (one projection per layer) for the app's scatter view.
 */
import type { Matrix } from '../compute/matrix.js';
import { pca, umap } from '../compute/projection/index.js';
import { InputError, NotFoundError } from '../errors.js';
import type { ProjectionMethod, ProjectionRecord, ProjectionWriter, StoreReader } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import {
  checkProjectionOptions,
  planProjection,
  type ProjectionOptions,
  type ProjectionPlan,
} from './projection-options.js';
import { onnxDotKernels } from '../io/onnx/dot-kernel.js';

export interface LayerProjection {
  layer: string;
  method: ProjectionMethod;
  /** As stored (see UmapParams, PcaParams). */
  params: unknown;
  pointCount: number;
  /** False when the stored projection was kept. */
  computed: boolean;
}

export interface RunProjectionsOptions extends ProjectionOptions {
  /** Layers to project; default every layer of the run. */
  layers?: string[];
  /**
   * A layer that already has a projection: 'keep' it (default; a resumed or repeated analysis reuses it),
   * 'update' it when it was made with another method or other parameters than asked, or 'replace' it.
   */
  existing?: 'keep' | 'update' | 'replace';
}

const EXISTING_CHOICES = ['keep', 'update', 'replace'] as const;

/** Computes a layer's map: projectMatrix in this process, or a hook that has it computed elsewhere. */
export type ProjectMatrix = (
  layer: string,
  matrix: Matrix,
  inputIndex: Int32Array,
  plan: ProjectionPlan,
  control: TaskControl,
) => Promise<{ x: Float32Array; y: Float32Array }>;

const projectHere: ProjectMatrix = (_, matrix, _inputIndex, plan, control) => projectMatrix(matrix, plan, control);

/** Coordinates of the rows of `matrix` in the plane: x[i], y[i] for row i. */
export async function projectMatrix(
  matrix: Matrix,
  plan: ProjectionPlan,
  control: TaskControl = {},
): Promise<{ x: Float32Array; y: Float32Array }> {
  const { count, dim } = matrix;
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  if (plan.method === 'umap') {
    const { threads } = plan;
    const settings = { ...plan.params, kernels: onnxDotKernels, ...(threads !== undefined ? { threads } : {}) };
    const points = await umap(matrix, settings, control);
    for (let i = 0; i < count; i++) {
      x[i] = points[2 * i]!;
      y[i] = points[2 * i + 1]!;
    }
    return { x, y };
  }
  throwIfCancelled(control.signal, 'pca projection');
  control.onProgress?.({ stage: 'pca projection', done: 0, total: 1 });
  // A single input sits at the origin; a one-unit layer is a line.
  if (count >= 2) {
    const components = Math.min(2, dim);
    const { projection } = pca(matrix, components, { seed: plan.params.seed });
    for (let i = 0; i < count; i++) {
      x[i] = projection[i * components]!;
      if (components > 1) y[i] = projection[i * components + 1]!;
    }
  }
  control.onProgress?.({ stage: 'pca projection', done: 1, total: 1 });
  return { x, y };
}

/** Projects one stored layer and stores the result, replacing any stored before; null for method 'none' or a layer without inputs. */
export async function projectLayer(
  store: StoreReader & ProjectionWriter,
  runId: number,
  layer: string,
  options: ProjectionOptions = {},
  control: TaskControl = {},
  project: ProjectMatrix = projectHere,
): Promise<LayerProjection | null> {
  const { matrix, inputIndex } = await store.readActivations(runId, layer);
  const plan = planProjection(options, matrix);
  if (plan === null || matrix.count === 0) return null;
  const { x, y } = await project(layer, matrix, inputIndex, plan, {
    ...(control.signal ? { signal: control.signal } : {}),
    onProgress: (p) => control.onProgress?.({ ...p, stage: `${layer}: ${p.stage}` }),
  });
  await store.saveProjection(runId, layer, { method: plan.method, params: plan.params, inputIndex, x, y });
  return { layer, method: plan.method, params: plan.params, pointCount: matrix.count, computed: true };
}

/** JSON equality that ignores the order of object keys. */
function sameParams(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([p], [q]) => (p < q ? -1 : 1))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function isCurrent(record: ProjectionRecord, options: ProjectionOptions, dim: number): boolean {
  const plan = planProjection(options, { count: record.pointCount, dim });
  return plan !== null && plan.method === record.method && sameParams(plan.params, record.params);
}

/**
 * Projects the run's layers (see RunProjectionsOptions) in model order and stores each projection as
 * it is done. Returns what every asked layer has now, in model order; nothing with method 'none'.
 * `joining`, when it resolves to a second projector (analyze's clustering hands over its core when it is
 * done), takes the next layers not yet begun beside `project`: two maps at a time fill the core one map's
 * single-threaded steps leave idle. The maps are the same whichever projector makes them.
 */
export async function storeRunProjections(
  store: StoreReader & ProjectionWriter,
  runId: number,
  options: RunProjectionsOptions = {},
  control: TaskControl = {},
  project: ProjectMatrix = projectHere,
  joining?: Promise<ProjectMatrix | undefined>,
): Promise<LayerProjection[]> {
  checkProjectionOptions(options);
  const existing = options.existing ?? 'keep';
  if (!EXISTING_CHOICES.includes(existing)) {
    throw new InputError(`existing ${JSON.stringify(existing)} is not one of ${EXISTING_CHOICES.join(', ')}`, {
      hint: "use 'keep', 'update' or 'replace'",
    });
  }
  if (options.method === 'none') return [];
  const stored = await store.listLayers(runId);
  const asked = options.layers ?? stored.map((info) => info.layer);
  for (const name of asked) {
    if (!stored.some((info) => info.layer === name)) {
      throw new NotFoundError(`layer ${JSON.stringify(name)} is not stored in run ${runId}`, {
        hint:
          stored.length > 0
            ? `stored layers: ${stored.map((info) => info.layer).join(', ')}`
            : 'the run has no layers yet; analyze it first',
      });
    }
  }
  const layers = stored.filter((info) => asked.includes(info.layer));
  const records = new Map((await store.listProjections(runId)).map((record) => [record.layer, record]));
  const results: (LayerProjection | undefined)[] = layers.map((info) => {
    const record = records.get(info.layer);
    const keep =
      record !== undefined && (existing === 'keep' || (existing === 'update' && isCurrent(record, options, info.dim)));
    if (!keep) return undefined;
    return {
      layer: info.layer,
      method: record.method,
      params: record.params,
      pointCount: record.pointCount,
      computed: false,
    };
  });
  const pending = layers.flatMap((_, i) => (results[i] === undefined ? [i] : []));
  let next = 0;
  let failed = false;
  const drain = async (projector: ProjectMatrix): Promise<void> => {
    while (next < pending.length && !failed) {
      throwIfCancelled(control.signal, 'projections');
      const i = pending[next++]!;
      try {
        results[i] = (await projectLayer(store, runId, layers[i]!.layer, options, control, projector)) ?? undefined;
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled([
    drain(project),
    joining?.then((second) => (second === undefined ? undefined : drain(second))),
  ]);
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return results.filter((result): result is LayerProjection => result !== undefined);
}
