/**
 * How many of this machine's cores other processes left idle lately: the coordinator stages finished
 * shards on a spare core only, so that on a machine whose cores its workers fill it never slows them.
 */
import { cpus } from 'node:os';

interface Reading {
  /** ms since the epoch. */
  at: number;
  /** Idle ms summed over the cores. */
  idle: number;
  /** This process's CPU ms. */
  own: number;
}

function read(): Reading | undefined {
  const cores = cpus();
  // Some containers and platforms report no cores: nothing is known.
  if (cores.length === 0) return undefined;
  const usage = process.cpuUsage();
  return {
    at: Date.now(),
    idle: cores.reduce((sum, core) => sum + core.times.idle, 0),
    own: (usage.user + usage.system) / 1000,
  };
}

/** A shorter look says too little (the kernel counts idle time in ticks of 10 ms): the last answer stands. */
const SHORTEST_LOOK_MS = 200;

export class SpareCores {
  private last = read();
  private answer = Infinity;

  /**
   * Cores idle or used by this process (whose work is what may wait), averaged since the previous look
   * (or the construction); Infinity when the machine does not say.
   */
  sinceLastLook(): number {
    const now = read();
    const last = this.last;
    if (now === undefined || last === undefined) return Infinity;
    if (now.at - last.at < SHORTEST_LOOK_MS) return this.answer;
    this.last = now;
    this.answer = (now.idle - last.idle + now.own - last.own) / (now.at - last.at);
    return this.answer;
  }

  /**
   * Starts the next look now: after work of this process that took cores from others, whose idle time
   * then says how much it slowed them, not how much they leave.
   */
  restart(): void {
    this.last = read();
  }
}
