/**
 * A distributed run's manifest, `run.json` in its shared folder: what every worker must run (the analyze
 * options) and the identity of the run (model bytes, dataset, extraction settings, shards). One shared
 * folder holds one run. A worker compares its own view of the model and dataset with the manifest and
 * refuses to work on a run it would compute differently.
 */
import { isBuiltInDataset } from '../io/datasets/open.js';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Aggregation, LayerGeometry } from '../compute/aggregate.js';
import type { PreparedAnalysis } from '../engine/analyze.js';
import type { RunOptions } from '../engine/config.js';
import { InputError, NotFoundError } from '../errors.js';
import { napVersion } from '../version.js';
import { formatMismatch, isCurrentFormat, SHARD_FORMAT } from './format.js';
import { batchCount } from './shards.js';

/** A layer (or a unit's maps) as its shard files hold it. */
export interface ShardedLayer {
  name: string;
  /** Folder of its shard files in the shared folder, e.g. `layer-00`. */
  file: string;
  /** Columns of its aggregated activations. */
  dim: number;
  geometry: LayerGeometry;
}

/** What identifies the activations of a run: the same model, dataset and settings give the same rows. */
export interface RunIdentity {
  modelSha256: string;
  datasetFingerprint: string;
  extractionConfigHash: string;
}

export interface RunManifest extends RunIdentity {
  format: typeof SHARD_FORMAT;
  /** The nap version that wrote it (messages name it when a machine runs another). */
  nap: string;
  /** Short hash of the format, identity, batch size and shard count; job ids and result files carry it. */
  key: string;
  /** The analyze options as workers open them (model and dataset paths made absolute; no `out` from an indexed worker). */
  options: RunOptions;
  rows: number;
  batchSize: number;
  shards: number;
  aggregation: Aggregation;
  layers: ShardedLayer[];
  /** Units whose raw maps are kept for unit patterns (`--unit-patterns`). */
  unitMaps: ShardedLayer[];
}

/** The options with every path absolute, so that a process started in another folder opens the same files. */
export function absoluteOptions<T extends RunOptions>(options: T): T {
  const builtIn = isBuiltInDataset(options.data);
  const { tensorData } = options;
  return {
    ...options,
    model: path.resolve(options.model),
    data: builtIn ? options.data : path.resolve(options.data),
    ...(options.out !== undefined ? { out: path.resolve(options.out) } : {}),
    ...(options.labelsPath !== undefined ? { labelsPath: path.resolve(options.labelsPath) } : {}),
    ...(tensorData?.tokenizer !== undefined
      ? { tensorData: { ...tensorData, tokenizer: path.resolve(tensorData.tokenizer) } }
      : {}),
  };
}

export function identityOf(prepared: PreparedAnalysis): RunIdentity {
  return {
    modelSha256: prepared.modelSha256,
    datasetFingerprint: prepared.dataset.fingerprint,
    extractionConfigHash: prepared.extractionConfigHash,
  };
}

export function buildManifest(prepared: PreparedAnalysis, options: RunOptions, shards: number): RunManifest {
  const identity = identityOf(prepared);
  const { batchSize, aggregation } = prepared.config;
  const rows = prepared.items.length;
  if (shards > batchCount(rows, batchSize)) throw new RangeError(`${shards} shards for ${rows} rows`);
  const key = createHash('sha256')
    .update(JSON.stringify({ format: SHARD_FORMAT, ...identity, batchSize, shards }))
    .digest('hex')
    .slice(0, 16);
  const number = (i: number) => String(i).padStart(2, '0');
  return {
    format: SHARD_FORMAT,
    nap: napVersion(),
    key,
    ...identity,
    options: absoluteOptions(options),
    rows,
    batchSize,
    shards,
    aggregation,
    layers: prepared.layers.map((layer, i) => ({
      name: layer.name,
      file: `layer-${number(i)}`,
      dim: layer.dim,
      geometry: layer.geometry,
    })),
    unitMaps: prepared.unitMaps.map((map, i) => ({
      name: map.name,
      file: `unit-${number(i)}`,
      dim: map.positions,
      geometry: { units: 1, positions: map.positions, order: 'channels-first' },
    })),
  };
}

/**
 * Refuses to go on when `seen` (this process's model, dataset and settings) differs from the run's, with
 * a message that says which differs and why that happens. `who` names this process in the message.
 */
export function requireSameRun(run: RunManifest, seen: RunIdentity, who: string): void {
  const model = run.options.model;
  if (seen.modelSha256 !== run.modelSha256) {
    throw new InputError(
      `${who} refuses run ${run.key}: its model ${model} has sha256 ${seen.modelSha256.slice(0, 12)}…, the run's has ${run.modelSha256.slice(0, 12)}…`,
      { hint: `every machine must see the same model file at ${model}: copy it again or share it` },
    );
  }
  if (seen.datasetFingerprint !== run.datasetFingerprint) {
    throw new InputError(
      `${who} refuses run ${run.key}: its dataset ${run.options.data} has fingerprint ${seen.datasetFingerprint}, the run's has ${run.datasetFingerprint}`,
      {
        hint: 'every machine must see the same dataset files (names, sizes and modification times): share one folder, or copy it with rsync -a',
      },
    );
  }
  if (seen.extractionConfigHash !== run.extractionConfigHash) {
    throw new InputError(
      `${who} refuses run ${run.key}: it resolves the run's options to other inputs, layers or preprocessing (extraction hash ${seen.extractionConfigHash.slice(0, 12)}…, the run's ${run.extractionConfigHash.slice(0, 12)}…)`,
      { hint: 'run the same nap version on every machine, with the same options' },
    );
  }
}

/** This process, as messages name it. */
export function processName(): string {
  return `worker ${hostname()}:${process.pid}`;
}

export function manifestPath(folder: string): string {
  return path.join(folder, 'run.json');
}

/** The manifest of the run in `folder`; NotFoundError when there is none. */
export async function readManifest(folder: string): Promise<RunManifest> {
  const file = manifestPath(folder);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`${folder} holds no run: ${file} does not exist`, {
      hint: 'give the folder the workers wrote (nap worker --shared DIR, or nap analyze --queue ... --shared DIR)',
    });
  }
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(text) as RunManifest;
  } catch (error) {
    throw new InputError(`${file} is not valid JSON`, {
      hint: 'the shared folder is damaged: start the run in a new folder',
      cause: error,
    });
  }
  // Read as unknown: a file of another version holds any value there.
  const format: unknown = manifest.format;
  if (!isCurrentFormat(format))
    throw formatMismatch(file, format, manifest.nap, 'start the run in a new shared folder');
  return manifest;
}

/**
 * Writes the manifest into `folder` (created when missing) unless the folder holds this run already;
 * refuses a folder that holds another run, naming what differs.
 */
export async function claimFolder(folder: string, manifest: RunManifest, who: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const existing = await readManifest(folder).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (existing === undefined) {
    const file = manifestPath(folder);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(manifest, null, 2));
    await rename(temporary, file);
  }
  // Read back: a worker that wrote at the same moment with other settings may have won.
  const written = existing ?? (await readManifest(folder));
  if (written.key === manifest.key) return;
  requireSameRun(written, manifest, who);
  throw new InputError(
    `${folder} holds run ${written.key} (${written.shards} shards of ${written.batchSize}-input batches); this one is run ${manifest.key} (${manifest.shards} shards of ${manifest.batchSize})`,
    { hint: 'give every worker the same --shards and --batch-size, or use a new shared folder for a new run' },
  );
}
