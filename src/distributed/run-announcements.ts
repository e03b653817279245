/**
 * A coordinator announces its run on the queue's Redis (a pub/sub channel) before it prepares the run
 * itself, so that idle workers prepare their side (dataset, model session) at the same time instead of in
 * their first shard job: a worker's set-up for a run then overlaps the coordinator's instead of following
 * it. An announcement is only a hint: a worker that misses it (started later, busy, Redis away) prepares
 * in its first job as before, and every job still checks the run's identity (jobs.ts).
 */
import { Redis } from 'ioredis';
import type { RunOptions } from '../engine/config.js';
import { redisOptions } from './redis-address.js';

/** Pub/sub channels are shared by every database of a server: the channel names the queue's database. */
function channelOf(address: string): string {
  return `nap:runs:${redisOptions(address).db ?? 0}`;
}

/** Publishes `options` (as the run's manifest holds them, see absoluteOptions) to the workers listening. */
export async function announceRun(address: string, options: RunOptions): Promise<void> {
  const client = new Redis({ ...redisOptions(address), maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.publish(channelOf(address), JSON.stringify(options));
  } catch {
    // Nobody prepares ahead: the workers prepare in their first job.
  } finally {
    client.disconnect();
  }
}

/** Most time spent waiting for the subscription before going on without it (Redis away at start). */
const SUBSCRIBE_MS = 5000;

/**
 * Calls `onRun` with the options of each run announced from now on; resolves once subscribed (or after
 * SUBSCRIBE_MS without). The connection reconnects and subscribes again by itself; it lasts as long as
 * the thread.
 */
export async function listenForRuns(address: string, onRun: (options: RunOptions) => void): Promise<void> {
  const client = new Redis(redisOptions(address));
  client.on('error', () => undefined);
  client.on('message', (_channel: string, message: string) => {
    let options: RunOptions;
    try {
      options = JSON.parse(message) as RunOptions;
    } catch {
      return;
    }
    onRun(options);
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.subscribe(channelOf(address)).catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_MS))),
  ]);
  clearTimeout(timer);
}
