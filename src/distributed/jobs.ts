/**
 * The jobs of a run on the queue and what a worker does with each. Job ids are derived from the run, so
 * that adding a job twice (a coordinator started again, a queue emptied by a Redis restart) adds it once.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { openExtractionRunner, prepareAnalysis, type PreparedAnalysis } from '../engine/analyze.js';
import type { RunOptions } from '../engine/config.js';
import type { ProjectionPlan } from '../engine/projection-options.js';
import { InputError } from '../errors.js';
import type { ModelRunner } from '../io/onnx/runner.js';
import type { Progress, TaskControl } from '../progress.js';
import { napVersion } from '../version.js';
import { extractShard, publishedShard, type ShardSettings } from './extract-shard.js';
import { describeFormat, describeWriter, isCurrentFormat, SHARD_FORMAT } from './format.js';
import { computeMap, computePatterns, mapFile, patternsFile, type LayerClusteringJob } from './layer-results.js';
import { identityOf, processName, requireSameRun, type RunManifest } from './manifest.js';

export const QUEUE_NAME = 'nap';

interface JobBase {
  /** The shared folder, as every machine mounts it. */
  folder: string;
  run: RunManifest;
}

export type JobData =
  | (JobBase & { kind: 'extract'; shard: number })
  | (JobBase & { kind: 'patterns'; layer: string; clustering: LayerClusteringJob })
  | (JobBase & { kind: 'map'; layer: string; plan: ProjectionPlan });

/**
 * The job's id: the run and its shared folder (the same run into another folder, e.g. for another results
 * file, is other work), then the job. BullMQ job ids may not contain ':'.
 */
export function jobId(data: JobData): string {
  const folder = createHash('sha256').update(data.folder).digest('hex').slice(0, 12);
  const prefix = `${data.run.key}-${folder}`;
  switch (data.kind) {
    case 'extract':
      return `${prefix}-extract-${data.shard}`;
    // The result file's name holds the layer and a hash of the parameters.
    case 'patterns':
      return `${prefix}-${path.basename(patternsFile('', data.run, data.layer, data.clustering), '.bin')}`;
    case 'map':
      return `${prefix}-${path.basename(mapFile('', data.run, data.layer, data.plan), '.bin')}`;
  }
}

/** The job in words, for progress lines and errors. */
export function describeJob(data: JobData): string {
  switch (data.kind) {
    case 'extract':
      return `shard ${data.shard}/${data.run.shards}`;
    case 'patterns':
      return `patterns of ${data.layer}`;
    case 'map':
      return `map of ${data.layer}`;
  }
}

/** What a worker process sets for the jobs it takes. */
export interface WorkerSettings extends ShardSettings {
  /** onnxruntime and layout threads; default the run's setting. */
  threads?: number;
}

/**
 * The analysis of a run's options as this worker resolves them, and its model session once opened, kept
 * while the worker runs jobs of the same run: a shard job then only runs the model (opening a session
 * costs about as much as running a small model over a shard of a few thousand inputs). Prepared when the
 * run's coordinator announces it (run-announcements.ts) or else by the run's first job here.
 */
interface PreparedRun {
  /** The options as text: what an announcement and the run's jobs have in common. */
  options: string;
  /** The run's key, once a job of the run has checked the preparation against the run's identity. */
  key?: string;
  threads: number | undefined;
  /** What started the preparation (a job's result says it: benchmarks and tests read it). */
  by: 'announcement' | 'job';
  analysis: Promise<PreparedAnalysis>;
  session?: Promise<ModelRunner>;
}

let prepared: PreparedRun | undefined;
/** Jobs running in this thread: an announcement while one runs is left alone (it would replace their run). */
let running = 0;

// The results file is not part of the set-up: runs into other files share it.
const optionsKey = (options: RunOptions) => JSON.stringify({ ...options, out: undefined });

function startPreparing(options: RunOptions, threads: number | undefined, by: PreparedRun['by']): PreparedRun {
  void prepared?.session?.then((session) => session.close()).catch(() => undefined);
  const entry: PreparedRun = {
    options: optionsKey(options),
    threads,
    by,
    analysis: prepareAnalysis(threads !== undefined ? { ...options, threads } : options),
  };
  // A failed preparation is not kept: the next job tries again.
  entry.analysis.catch(() => {
    if (prepared === entry) prepared = undefined;
  });
  prepared = entry;
  return entry;
}

/** The kept preparation of `run` if there is one (by its key, or by its options while unchecked). */
function keptFor(run: RunManifest, threads: number | undefined): PreparedRun | undefined {
  if (prepared?.key !== undefined)
    return prepared.threads === threads && prepared.key === run.key ? prepared : undefined;
  return keptForOptions(optionsKey(run.options), threads);
}

/** The kept preparation made from the options with key `options`, whether or not a run checked it since. */
function keptForOptions(options: string, threads: number | undefined): PreparedRun | undefined {
  return prepared !== undefined && prepared.threads === threads && prepared.options === options ? prepared : undefined;
}

/**
 * Prepares an announced run (its analysis, then its model session) unless a job runs or the run is
 * prepared already; resolves when done. Failures are left for the run's first job here, which reports them.
 */
export async function prepareAnnouncedRun(options: RunOptions, threads: number | undefined): Promise<void> {
  if (running > 0) return;
  if (keptForOptions(optionsKey(options), threads) !== undefined) return;
  const entry = startPreparing(options, threads, 'announcement');
  await entry.analysis.then((analysis) => runSession(entry, analysis)).catch(() => undefined);
}

/**
 * The preparation of `run`, checked against the run's identity. A kept one that does not match is made
 * again once (the model or dataset may have changed on this machine since) before the worker refuses.
 */
async function preparedFor(
  run: RunManifest,
  threads: number | undefined,
): Promise<{ entry: PreparedRun; analysis: PreparedAnalysis }> {
  const kept = keptFor(run, threads);
  if (kept !== undefined) {
    try {
      const analysis = await kept.analysis;
      requireSameRun(run, identityOf(analysis), processName());
      kept.key = run.key;
      return { entry: kept, analysis };
    } catch (error) {
      if (kept.key !== undefined) throw error;
    }
  }
  const entry = startPreparing(run.options, threads, 'job');
  const analysis = await entry.analysis;
  requireSameRun(run, identityOf(analysis), processName());
  entry.key = run.key;
  return { entry, analysis };
}

/** Closes the kept session: a layer's patterns or map need the memory more, and the shards are done by then. */
async function releaseSession(): Promise<void> {
  const entry = prepared;
  const session = entry?.session;
  if (entry === undefined || session === undefined) return;
  delete entry.session;
  await session.then((opened) => opened.close()).catch(() => undefined);
}

function runSession(entry: PreparedRun, analysis: PreparedAnalysis): Promise<ModelRunner> {
  if (entry.session === undefined) {
    const session = openExtractionRunner(analysis);
    session.catch(() => {
      if (entry.session === session) delete entry.session;
    });
    entry.session = session;
  }
  return entry.session;
}

/** Runs one job of the queue; returns a short summary that the queue keeps as the job's result. */
export async function processJob(
  data: JobData,
  settings: WorkerSettings,
  control: TaskControl,
): Promise<Record<string, unknown>> {
  const { run } = data;
  // Read as unknown: a coordinator of another nap version sends any value there.
  const format: unknown = run.format;
  if (!isCurrentFormat(format)) {
    throw new InputError(
      `${processName()} refuses run ${run.key}: its coordinator (${describeWriter(run.nap)}) writes ${describeFormat(format)}, this worker (nap ${napVersion()}) "${SHARD_FORMAT}"`,
      { hint: 'install the same nap version on every machine of a run' },
    );
  }
  running++;
  try {
    return await runJob(data, settings, control);
  } finally {
    running--;
  }
}

async function runJob(data: JobData, settings: WorkerSettings, control: TaskControl): Promise<Record<string, unknown>> {
  const { folder, run } = data;
  switch (data.kind) {
    case 'extract': {
      const { entry, analysis } = await preparedFor(run, settings.threads);
      const existing = await publishedShard(folder, run, data.shard);
      if (existing) return { shard: data.shard, rows: existing.rows, reused: true };
      const session = await runSession(entry, analysis);
      const { record, modelSeconds, writeSeconds } = await extractShard(
        analysis,
        run,
        folder,
        data.shard,
        control,
        settings,
        session,
      );
      return {
        shard: data.shard,
        rows: record.rows,
        seconds: record.seconds,
        modelSeconds,
        writeSeconds,
        preparedBy: entry.by,
      };
    }
    case 'patterns':
      await releaseSession();
      return computePatterns(folder, run, data.layer, data.clustering, settings.threads, control);
    case 'map':
      await releaseSession();
      return computeMap(folder, run, data.layer, data.plan, settings.threads, control);
  }
}

/**
 * The error a job ends with. A worker that refuses a run (InputError: another model or dataset) fails
 * the job at once: BullMQ does not retry an error named UnrecoverableError.
 */
export function jobError(error: unknown): Error {
  if (error instanceof InputError) {
    const refusal = new Error(error.message);
    refusal.name = 'UnrecoverableError';
    return refusal;
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Job progress as the queue stores it. */
export type JobProgress = Pick<Progress, 'stage' | 'done' | 'total'>;
