/**
 * The normalized aggregated activations `nap analyze` clusters and maps, for benchmarks: the built-in
 * Fashion-MNIST CNN (models/fashion-mnist-cnn.onnx) run over a Fashion-MNIST split, chosen layers mean-pooled
 * and unit-normalized exactly as analyze() does, without a store. With `cache`, each layer is kept in that
 * folder as a .f32 file (named by split, layer and a hash of the model file, so that a retrained model
 * never reads an earlier model's layers) and read back on the next call.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '../../src/compute/matrix.js';
import { describeLayer, extractActivations, imageBatchLoader, type ExtractedBatch } from '../../src/engine/extract.js';
import { normalizeLayer } from '../../src/engine/normalize-layer.js';
import { FASHION_MNIST_LABELS } from '../../src/io/datasets/idx.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { listLayersOfBytes } from '../../src/io/onnx/inspect.js';
import { openOnnxBytes } from '../../src/io/onnx/runner.js';

export const FASHION_MODEL = fileURLToPath(new URL('../../../models/fashion-mnist-cnn.onnx', import.meta.url));

export interface FashionLayers {
  /** Class of every row, 0..9. */
  labels: Uint8Array;
  layers: Map<string, Matrix>;
}

/** The layers' normalized activations over every image of `split`, rows in dataset order. */
export async function fashionLayers(split: 'train' | 'test', names: string[], cache?: string): Promise<FashionLayers> {
  const dataset = await openDataset('fashion-mnist', { split });
  const labels = Uint8Array.from(dataset.items, (item) => labelIndex(item.label));
  const modelBytes = await readFile(FASHION_MODEL);
  const modelTag = createHash('sha256').update(modelBytes).digest('hex').slice(0, 12);
  const file = (name: string) => path.join(cache ?? '', `fashion-${split}-${name}-${modelTag}.f32`);
  const layers = new Map<string, Matrix>();
  const missing: string[] = [];
  for (const name of names) {
    const bytes = cache ? await readFile(file(name)).catch(() => undefined) : undefined;
    if (!bytes) {
      missing.push(name);
      continue;
    }
    const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    layers.set(name, { count: labels.length, dim: data.length / labels.length, data: Float32Array.from(data) });
  }
  if (missing.length === 0) return { labels, layers };

  const probe = await listLayersOfBytes(modelBytes, FASHION_MODEL, { threads: 1 });
  const plans = missing.map((name) => {
    const info = probe.find((layer) => layer.name === name);
    if (!info) throw new Error(`the Fashion-MNIST model has no layer ${name}`);
    return describeLayer(name, info.opType, info.dims, 'channels-first', 'mean');
  });
  const pooled = plans.filter((plan) => plan.itemDims.length >= 2).map((plan) => plan.name);
  const runner = await openOnnxBytes(modelBytes, FASHION_MODEL, { layers: missing, pooled });
  const items = Int32Array.from(dataset.items, (item) => item.index);
  const parts: ExtractedBatch[] = [];
  try {
    const batches = [];
    for (let start = 0; start < items.length; start += 256)
      batches.push({ start, count: Math.min(256, items.length - start) });
    await extractActivations(
      {
        runner,
        dataset,
        items,
        load: imageBatchLoader(dataset, { width: 28, height: 28, channels: 1, layout: 'NCHW' }, runner.inputName),
        layers: plans,
        aggregation: 'mean',
        unitMaps: [],
        batchSize: 256,
        skipBadImages: false,
      },
      batches,
      (batch) => {
        parts.push(batch);
        return Promise.resolve();
      },
    );
  } finally {
    await runner.close();
  }
  if (cache) await mkdir(cache, { recursive: true });
  for (const [l, plan] of plans.entries()) {
    const values = new Float32Array(items.length * plan.dim);
    let at = 0;
    for (const part of parts) {
      values.set(part.layers[l]!.values, at);
      at += part.layers[l]!.values.length;
    }
    const { matrix } = normalizeLayer(values, items.length, plan.dim, plan.geometry, 'mean');
    layers.set(plan.name, matrix);
    if (cache) await writeFile(file(plan.name), new Uint8Array(matrix.data.buffer));
  }
  return { labels, layers: new Map(names.map((name) => [name, layers.get(name)!])) };
}

function labelIndex(label: string): number {
  const named = FASHION_MNIST_LABELS.indexOf(label);
  return named >= 0 ? named : Number(label);
}
