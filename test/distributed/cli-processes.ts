/** `nap` commands as child processes, as a user starts them, for the distributed tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `nap ...args`; `onStderr` sees the stderr gathered so far after each chunk; `kill` SIGKILLs it;
 * `onSpawn` gets its process id (a benchmark samples its CPU time).
 */
export function runNap(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    onStderr?: (stderr: string) => void;
    kill?: AbortSignal;
    onSpawn?: (pid: number) => void;
  } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr);
    });
    options.kill?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A `nap worker redis://...` process (or another `command` taking the queue's address) and its output lines. */
export class WorkerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<Finished>;
  private readonly child: ChildProcess;
  private listeners: ((line: string) => void)[] = [];

  constructor(
    address: string,
    extra: string[] = [],
    options: { command?: string[] | undefined; env?: NodeJS.ProcessEnv | undefined } = {},
  ) {
    const command = options.command ?? [CLI, 'worker'];
    this.child = spawn(process.execPath, [...command, address, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let partial = '';
    let stderr = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.lines.push(line);
        for (const listener of this.listeners) listener(line);
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Calls `listener` with every output line from now on. */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves once a line matches; rejects if the worker exits first. */
  waitFor(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.onLine((line) => pattern.test(line) && resolve(line));
      void this.exited.then(({ code, signal, stderr }) =>
        reject(new Error(`worker ${this.pid} exited (${signal ?? code}) before a line matched ${pattern}:\n${stderr}`)),
      );
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM (the worker finishes its job and exits), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<Finished> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
