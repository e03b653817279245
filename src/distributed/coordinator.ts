/**
 * `nap analyze ... --queue redis://HOST:PORT`: this process coordinates, workers compute. The inputs are cut
 * into shards (shards.ts), one job per shard goes on the BullMQ queue, and each finished shard is staged
 * into the results file while the others run (but after the last shard where workers on this machine fill
 * its cores: staging never slows them). Then each layer's patterns (in the run's cluster space: raw,
 * PCA or UMAP) and map are jobs too, so layers are clustered in parallel on different workers; the results
 * are stored by the engine's own code, as in a single-process run. Unit patterns are clustered here.
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { analyzePrepared, prepareAnalysis, type AnalyzeResult, type LayerCompute } from '../engine/analyze.js';
import type { AnalyzeOptions } from '../engine/config.js';
import { planProjection } from '../engine/projection-options.js';
import { NapError } from '../errors.js';
import type { TaskControl } from '../progress.js';
import { JobBoard, type BoardJob, type BoardOptions } from './job-board.js';
import type { JobData } from './jobs.js';
import { mapFile, patternsFile, readMap, readPatterns, type LayerClusteringJob } from './layer-results.js';
import { absoluteOptions, buildManifest, claimFolder, type RunManifest } from './manifest.js';
import { requireRedis } from './redis-address.js';
import { announceRun } from './run-announcements.js';
import { shardPublished, verifyShard } from './shard-files.js';
import { shardCount, shardRange } from './shards.js';
import { SpareCores } from './spare-cores.js';
import { shardsToStage, stageShard } from './stage-shards.js';

export interface QueueOptions extends BoardOptions {
  /** `redis://HOST:PORT` of the queue. */
  address: string;
  /** Shards of the inputs; default one per DEFAULT_SHARD_ROWS (see shards.ts). */
  shards?: number;
  /** Shared folder of the run's files, seen at the same path by every worker; default `<out>.shards`. */
  folder?: string;
}

/** Idle cores (averaged since the last look) at which a finished shard is staged at once. */
const SPARE_CORE = 0.5;

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

export async function analyzeOnQueue(
  options: AnalyzeOptions,
  queue: QueueOptions,
  control: TaskControl = {},
): Promise<AnalyzeResult & { shards: number; folder: string }> {
  await requireRedis(queue.address);
  // Idle workers prepare the run while this process does (run-announcements.ts).
  await announceRun(queue.address, absoluteOptions(options));
  // The coordinator runs no batch: the workers start the device the options ask for, it needs none.
  const prepared = await prepareAnalysis({ ...options, device: 'cpu' });
  const shards = shardCount(prepared.items.length, prepared.config.batchSize, queue.shards);
  const run = buildManifest(prepared, options, shards);
  const folder = path.resolve(queue.folder ?? `${options.out}.shards`);
  await claimFolder(folder, run, 'this coordinator');
  const board = new JobBoard(queue.address, queue);
  try {
    const extractJob = (shard: number): BoardJob => ({
      data: { kind: 'extract', folder, run, shard },
      weight: shardRange(run.rows, run.batchSize, shard, run.shards).count,
      done: () => shardPublished(folder, run, shard),
    });
    const result = await analyzePrepared(
      prepared,
      async (staged, commit) => {
        const stage = async (shard: number) => {
          // Staging reads the shard's files, checking their format first: not checked twice.
          const record = await verifyShard(folder, run, shard, { formats: false });
          await stageShard(folder, run, record, staged, commit);
        };
        const jobs = shardsToStage(run, staged).map(extractJob);
        // Finished shards wait while workers on this machine use all its cores; staged at once otherwise.
        const waiting: number[] = [];
        const spare = new SpareCores();
        await board.complete(jobs, 'extracting activations on the queue', control, async (job) => {
          if (job.data.kind !== 'extract') return;
          waiting.push(job.data.shard);
          const spared = () => !board.workingOn(hostname()) || spare.sinceLastLook() >= SPARE_CORE;
          while (waiting.length > 0 && spared()) {
            await stage(waiting.shift()!);
            spare.restart();
          }
        });
        for (const [done, shard] of waiting.entries()) {
          control.onProgress?.({ stage: 'gathering shards', done, total: waiting.length });
          await stage(shard);
        }
        control.onProgress?.({ stage: 'gathering shards', done: waiting.length, total: waiting.length });
      },
      control,
      layerJobs(
        board,
        folder,
        run,
        { options: prepared.config.clustering, space: prepared.config.clusterSpace },
        {
          method: prepared.config.projection,
          ...(prepared.threads ? { threads: prepared.threads } : {}),
        },
        control,
      ),
    );
    return { ...result, shards, folder };
  } finally {
    await board.close();
  }
}

/**
 * Patterns and maps as queue jobs. The first layer asked for puts every layer's jobs on the queue, so that
 * free workers take the other layers while this process waits for the first.
 */
function layerJobs(
  board: JobBoard,
  folder: string,
  run: RunManifest,
  clustering: LayerClusteringJob,
  projection: Parameters<typeof planProjection>[0],
  control: TaskControl,
): LayerCompute {
  const patternsJob = (layer: string, count: number): BoardJob => ({
    data: { kind: 'patterns', folder, run, layer, clustering },
    weight: count,
    done: () => exists(patternsFile(folder, run, layer, clustering)),
  });
  const mapJobs = (count: number): BoardJob[] =>
    run.layers.flatMap((layer) => {
      const plan = planProjection(projection, { count, dim: layer.dim });
      if (plan === null) return [];
      const data: JobData = { kind: 'map', folder, run, layer: layer.name, plan };
      return [{ data, weight: count, done: () => exists(mapFile(folder, run, layer.name, plan)) }];
    });
  let submitted: Promise<void> | undefined;
  const submitAll = (count: number) =>
    (submitted ??= board.submit([...run.layers.map((layer) => patternsJob(layer.name, count)), ...mapJobs(count)]));
  return {
    patterns: async (layer, { matrix, inputIndex }, asked) => {
      await submitAll(matrix.count);
      const job = {
        ...patternsJob(layer, matrix.count),
        data: { kind: 'patterns', folder, run, layer, clustering: asked },
      } satisfies BoardJob;
      await board.complete([job], `${layer}: patterns on the queue`, control);
      const file = patternsFile(folder, run, layer, asked);
      const saved = await readPatterns(file, run, layer, inputIndex);
      if (!saved) throw staleResult(file);
      return saved;
    },
    project: async (layer, matrix, inputIndex, plan) => {
      await submitAll(matrix.count);
      const file = mapFile(folder, run, layer, plan);
      const job: BoardJob = {
        data: { kind: 'map', folder, run, layer, plan },
        weight: matrix.count,
        done: () => exists(file),
      };
      await board.complete([job], `${layer}: map on the queue`, control);
      const map = await readMap(file, run, layer, inputIndex);
      if (!map) throw staleResult(file);
      return map;
    },
  };
}

function staleResult(file: string): NapError {
  return new NapError(`${file} holds a result for other inputs than the run's`, {
    hint: 'delete it and run the same command again: a worker computes it anew',
  });
}
