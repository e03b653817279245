/** The queue's Redis server: a `redis://` address into connection options, and a first check that it answers. */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { InputError } from '../errors.js';

const EXAMPLE = 'redis://10.0.0.5:6379';

/** Connection options for BullMQ and ioredis from `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS). */
export function redisOptions(address: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new InputError(`queue address '${address}' is not a URL`, { hint: `write it like ${EXAMPLE}` });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InputError(`queue address '${address}' is not a redis:// address`, { hint: `write it like ${EXAMPLE}` });
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!url.hostname || !Number.isInteger(db) || db < 0) {
    throw new InputError(`queue address '${address}' names no host or a database that is not a number`, {
      hint: `write it like ${EXAMPLE} or ${EXAMPLE}/2`,
    });
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis: commands wait for a reconnection instead of failing.
    maxRetriesPerRequest: null,
  };
}

/** Refuses at once, with what to do, when nothing answers at the address (BullMQ would retry forever). */
export async function requireRedis(address: string, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...redisOptions(address),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new InputError(
      `cannot reach the queue at ${address}: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: 'start redis-server there (or check the address and that its port is open to this machine)',
        cause: error,
      },
    );
  } finally {
    client.disconnect();
  }
}
