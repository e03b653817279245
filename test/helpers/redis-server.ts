/**
 * A real redis-server (Debian's package) for tests: on 127.0.0.1 at a free port, with its files in a
 * temporary folder, no persistence (a restart starts empty, the hardest case for a run to survive).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's redis-server, installed by .ci/run (apt-get install redis-server). */
export const REDIS_SERVER = '/usr/bin/redis-server';

async function requireRedisServer(): Promise<void> {
  try {
    await access(REDIS_SERVER, constants.X_OK);
  } catch {
    throw new Error(
      `${REDIS_SERVER} is missing: the distributed tests run a real Redis. Install Debian's package (apt-get install redis-server), as .ci/run does.`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** The running server's process id (benchmarks sample its CPU time). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get address(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    await requireRedisServer();
    const dir = await mkdtemp(path.join(tmpdir(), 'nap-redis-'));
    const server = new RedisServer(await freePort(), dir);
    await server.launch();
    return server;
  }

  private launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          child.stdout.off('data', onData);
          child.stdout.resume();
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
  }

  /** Stops the server; its data is gone (no persistence). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the server and starts an empty one on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
