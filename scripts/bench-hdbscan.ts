/**
 * HDBSCAN* side by side with the fastest peer, fast_hdbscan, on seeded blob data (Gaussian blobs plus
 * 10% uniform noise in [-1, 1]^D), with the NAP parameters minClusterSize = minSamples = 5 and leaf
 * selection:
 *
 *   NAP_PEER_PYTHON=/path/to/venv/bin/python node build/scripts/bench-hdbscan.js \
 *     [--rows 2000x64,10000x512] [--repeat 3] [--peer-python PATH] [--no-peer] [--cold] [--baseline FILE]
 *     [--stages] [--no-exact]
 *
 * Per row it fits our exact path, our approximate path (src/compute/hdbscan/approximate) and the
 * peer's default path (a KD-tree Borůvka up to 30 dimensions, a pynndescent neighbour graph above),
 * each fit of ours in its own child process (so that its peak RSS is its own), the peer in one
 * long-lived Python process whose JIT warm-up (20-45 s) is done before the first row and not
 * counted; each fit process of ours is warmed before its timed fit by three rounds of fits of the peer's
 * warm-up sizes (500 and 2000 rows by 8 and 64 dimensions, as blobs: see warmUp), on the same path, so that both
 * tools are timed warm; --cold times our fits in fresh processes instead (JavaScript and WASM
 * compilation, ONNX Runtime's set-up and first page faults counted, which the peer is spared). Fits alternate between the tools row by row (who goes first alternates too), and with
 * --repeat each figure is the median of that many fits. It prints the fit seconds of each, the
 * ratios to the peer, the CPU seconds of our approximate fit and of the peer's (all threads of the
 * process: steadier than wall seconds when others load the machine), and the adjusted Rand index
 * of the approximate path's and the peer's labels against our exact ones.
 *
 * --baseline names this script in another build (e.g. a copy of build/ made before a change): its
 * approximate fits run beside ours on the same rows, alternated with them, and their seconds, CPU seconds,
 * ratios to ours and ARI are printed too, so that a change is measured under the same load, and under
 * each row every fit's wall and CPU seconds.
 *
 * --stages prints, under each row, the CPU seconds (all threads) of each stage of the approximate
 * path's spanning tree (median over its fits; see ApproximateMstStats.stages) and of the rest of the
 * fit (condensing, selection, scores), to show where its time goes.
 *
 * --no-exact skips our exact fits (the slowest part of a run when only the approximate path changes):
 * the ARI columns then compare with the --baseline build's approximate labels instead (1.0000 when a
 * change is meant to leave the labels alone), or print '-' without one.
 *
 * The peer is found through NAP_PEER_PYTHON or --peer-python: an interpreter with fast_hdbscan
 * 0.3.2 and pynndescent 0.6.0 installed (development only: `pip install --no-build-isolation
 * --no-deps` each into a venv with numba, numpy, scipy and scikit-learn). Without one the peer
 * columns stay empty.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { approximateMstWith, type ApproximateMstStats } from '../src/compute/hdbscan/approximate/approximate-mst.js';
import type { HdbscanOptions } from '../src/compute/hdbscan/index.js';
import { hdbscan } from '../src/onnx-compute.js';
import { makeMatrix, type Matrix } from '../src/compute/matrix.js';
import { adjustedRandIndex } from '../src/compute/partition-metrics.js';
import { mulberry32 as uniform } from '../src/io/datasets/sample.js';

/** The rows of issue 21's table. */
const DEFAULT_ROWS = ['2000x64', '10000x64', '10000x512', '2000x2048', '10000x2048', '50000x64'];
const PARAMS = { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'leaf' as const };
const PEER_SCRIPT = fileURLToPath(new URL('../../scripts/peers/fast_hdbscan_fit.py', import.meta.url));

type Path = 'exact' | 'approximate';

/** Wall seconds of a fit, and the CPU seconds of all its process's threads (steadier under load). */
interface FitTimes {
  seconds: number;
  cpuSeconds: number;
}

interface FitResult extends FitTimes {
  peakRssMb: number;
  clusters: number;
  stats?: ApproximateMstStats;
}

/** Gaussian blobs (Irwin-Hall normals) with centres in [-0.7, 0.7]^D and spreads 0.05-0.15, plus noise. */
export function benchBlobs(count: number, dim: number, seed: number, centres = 10, noiseFraction = 0.1): Matrix {
  const random = uniform(seed);
  const data = new Float32Array(count * dim);
  const centre = Float64Array.from({ length: centres * dim }, () => 1.4 * random() - 0.7);
  const spread = Float64Array.from({ length: centres }, () => 0.05 + 0.1 * random());
  const clustered = count - Math.round(count * noiseFraction);
  for (let row = 0; row < count; row++) {
    const c = row % centres;
    for (let k = 0; k < dim; k++) {
      let value: number;
      if (row < clustered) {
        let normal = -6;
        for (let t = 0; t < 12; t++) normal += random();
        value = Math.max(-1, Math.min(1, centre[c * dim + k]! + spread[c]! * normal));
      } else {
        value = 2 * random() - 1;
      }
      data[row * dim + k] = value;
    }
  }
  return makeMatrix(count, dim, data);
}

function parseShape(shape: string): [number, number] {
  const [count, dim] = shape.split('x').map(Number);
  if (!/^\d+x\d+$/.test(shape) || count === undefined || dim === undefined) {
    throw new Error(`row shape '${shape}' is not NxD (e.g. 10000x64)`);
  }
  return [count, dim];
}

function readMatrix(file: string, count: number, dim: number): Matrix {
  const bytes = readFileSync(file);
  return makeMatrix(count, dim, new Float32Array(bytes.buffer, bytes.byteOffset, count * dim).slice());
}

function readLabels(file: string, count: number): Int32Array {
  const bytes = readFileSync(file);
  return new Int32Array(bytes.buffer, bytes.byteOffset, count).slice();
}

/** CPU milliseconds of all this process's threads: the clock of the approximate path's stage timings. */
function cpuMilliseconds(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/** hdbscan() options of one path, with the approximate path's statistics sent to `stats`. */
function pathOptions(pathName: Path, stats: (stats: ApproximateMstStats) => void = () => {}): HdbscanOptions {
  return {
    ...PARAMS,
    ...(pathName === 'approximate'
      ? { mst: (m, options, control) => approximateMstWith(m, options, { stats, clock: cpuMilliseconds }, control) }
      : { spanningTree: 'exact' }),
  };
}

/**
 * Rounds of warm-up fits. V8 optimises a function only after it has run a while (on background
 * threads, whose CPU time the fit process's counts): after one round a 2000 x 64 approximate fit took
 * 120-190 ms of CPU time, after three or six 64-91 ms (measured under load, fits of one process in a
 * row), as the peer's compiled code does from its first timed fit on.
 */
const WARM_UP_ROUNDS = 3;

/**
 * The peer's warm-up sizes (see scripts/peers/fast_hdbscan_fit.py), on one path of ours, as blobs, in
 * WARM_UP_ROUNDS rounds: numba compiles a function by its argument types, whatever the data, but V8
 * compiles the code that data runs through, and uniform rows form one neighbour set, which leaves the
 * approximate path's joining of sets cold (its compilation was most of the 2000-row fit). Seed 1 is no
 * timed row's seed (7 + rows + dims).
 */
async function warmUp(pathName: Path): Promise<void> {
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    for (const dim of [8, 64]) {
      for (const count of [500, 2000]) {
        await hdbscan(benchBlobs(count, dim, 1), pathOptions(pathName));
      }
    }
  }
}

/** One fit of ours, in this (child) process: writes the labels, returns the figures. */
async function fitChild(
  pathName: Path,
  shape: string,
  dataFile: string,
  labelsFile: string,
  cold: boolean,
): Promise<FitResult> {
  const [count, dim] = parseShape(shape);
  const matrix = readMatrix(dataFile, count, dim);
  if (!cold) await warmUp(pathName);
  let stats: ApproximateMstStats | undefined;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = await hdbscan(
    matrix,
    pathOptions(pathName, (s) => (stats = s)),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  writeFileSync(labelsFile, result.labels);
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    clusters: result.clusterCount,
    ...(stats ? { stats } : {}),
  };
}

/** The long-lived peer process (warm by the time `start` resolves). */
class Peer {
  private constructor(
    private readonly process: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly reader: Interface,
    readonly version: string,
    readonly warmupSeconds: number,
  ) {}

  static async start(python: string): Promise<Peer> {
    const child = spawn(python, [PEER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const reader = createInterface({ input: child.stdout });
    const lines = reader[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`the peer (${python} ${PEER_SCRIPT}) did not start: ${stderr.trim()}`);
    const ready = JSON.parse(first.value) as { version: string; warmupSeconds: number };
    return new Peer(child, lines, reader, ready.version, ready.warmupSeconds);
  }

  async fit(dataFile: string, count: number, dim: number, labelsFile: string): Promise<FitTimes> {
    this.process.stdin.write(`${JSON.stringify({ file: dataFile, rows: count, dims: dim, labels: labelsFile })}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error('the peer stopped during a fit');
    return JSON.parse(line.value) as FitTimes;
  }

  close(): void {
    this.reader.close();
    this.process.stdin.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

interface RowFigures {
  shape: string;
  exact: FitResult[];
  approximate: FitResult[];
  peer: FitTimes[];
  /** Against our exact labels, or with --no-exact against the --baseline build's approximate labels. */
  approximateAri?: number;
  peerAri?: number;
  /** The approximate fits of the --baseline build, and their ARI against our exact labels. */
  baseline: FitResult[];
  baselineAri?: number;
  /** Whether the --baseline build's labels are ours byte for byte. */
  baselineSame?: boolean;
}

function formatRow(row: RowFigures): string {
  const exact = row.exact.length > 0 ? median(row.exact.map((fit) => fit.seconds)) : undefined;
  const approximate = median(row.approximate.map((fit) => fit.seconds));
  const peer = row.peer.length > 0 ? median(row.peer.map((fit) => fit.seconds)) : undefined;
  const ratio = (value: number, to: number | undefined): string => (to !== undefined ? (value / to).toFixed(2) : '-');
  const figure = (value: number | undefined, digits: number): string =>
    value !== undefined ? value.toFixed(digits) : '-';
  const approximateCpu = median(row.approximate.map((fit) => fit.cpuSeconds));
  const peerCpu = row.peer.length > 0 ? median(row.peer.map((fit) => fit.cpuSeconds)) : undefined;
  const stats = row.approximate[0]?.stats;
  return [
    row.shape.padEnd(11),
    figure(exact, 2).padStart(7),
    approximate.toFixed(2).padStart(7),
    figure(peer, 2).padStart(6),
    ratio(approximate, peer).padStart(11),
    (exact !== undefined ? ratio(exact, peer) : '-').padStart(10),
    approximateCpu.toFixed(2).padStart(7),
    figure(peerCpu, 2).padStart(8),
    ratio(approximateCpu, peerCpu).padStart(8),
    figure(row.approximateAri, 4).padStart(8),
    figure(row.peerAri, 4).padStart(8),
    (row.exact.length > 0 ? Math.max(...row.exact.map((fit) => fit.peakRssMb)).toFixed(0) : '-').padStart(8),
    Math.max(...row.approximate.map((fit) => fit.peakRssMb))
      .toFixed(0)
      .padStart(8),
    (stats ? `${stats.forestSets}/${stats.searchedPairs}/${stats.uncertifiedJoins}` : '-').padStart(12),
    ...(row.baseline.length > 0
      ? [
          median(row.baseline.map((fit) => fit.seconds))
            .toFixed(2)
            .padStart(7),
          ratio(approximate, median(row.baseline.map((fit) => fit.seconds))).padStart(7),
          median(row.baseline.map((fit) => fit.cpuSeconds))
            .toFixed(2)
            .padStart(8),
          ratio(approximateCpu, median(row.baseline.map((fit) => fit.cpuSeconds))).padStart(8),
          figure(row.baselineAri, 4).padStart(8),
          (row.baselineSame ? 'same' : 'differ').padStart(6),
        ]
      : []),
  ].join(' ');
}

/** Every alternated fit of ours and of the --baseline build, as wall / CPU seconds, in the order they ran. */
function formatPairs(row: RowFigures): string {
  const fit = (f: FitResult): string => `${f.seconds.toFixed(2)}/${f.cpuSeconds.toFixed(2)}`;
  return `  fits (wall/cpu s): ours ${row.approximate.map(fit).join(' ')}; base ${row.baseline.map(fit).join(' ')}`;
}

/** The approximate fits' CPU seconds per stage of the spanning tree (median over the fits), and the rest of hdbscan(). */
function formatStages(fits: FitResult[]): string {
  const staged = fits.filter((fit) => fit.stats);
  if (staged.length === 0) return '  stages: -';
  const names = Object.keys(staged[0]!.stats!.stages);
  const seconds = names.map((name) => median(staged.map((fit) => fit.stats!.stages[name] ?? 0)));
  const rest = median(
    staged.map((fit) => fit.cpuSeconds - Object.values(fit.stats!.stages).reduce((a, b) => a + b, 0)),
  );
  return `  cpu s by stage: ${names.map((name, i) => `${name} ${seconds[i]!.toFixed(3)}`).join(', ')}; condense, select, scores ${rest.toFixed(3)}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const child = argument(args, '--child') as Path | undefined;
  if (child) {
    const result = await fitChild(
      child,
      argument(args, '--shape')!,
      argument(args, '--data')!,
      argument(args, '--labels')!,
      args.includes('--cold'),
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows = (argument(args, '--rows') ?? DEFAULT_ROWS.join(',')).split(',');
  rows.forEach(parseShape);
  const repeat = Number(argument(args, '--repeat') ?? 1);
  const cold = args.includes('--cold');
  const baselineScript = argument(args, '--baseline');
  const showStages = args.includes('--stages');
  const withExact = !args.includes('--no-exact');
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat ${repeat} is not a whole number >= 1`);
  const python = args.includes('--no-peer')
    ? undefined
    : (argument(args, '--peer-python') ?? process.env.NAP_PEER_PYTHON);
  const folder = mkdtempSync(path.join(tmpdir(), 'nap-bench-hdbscan-'));
  let peer: Peer | undefined;
  try {
    if (python) {
      console.log(`starting the peer (${python}), its JIT warm-up is not counted...`);
      peer = await Peer.start(python);
      console.log(`peer: fast_hdbscan ${peer.version}, warm-up ${peer.warmupSeconds.toFixed(1)} s`);
    } else {
      console.log('peer: none (set NAP_PEER_PYTHON or --peer-python to an interpreter with fast_hdbscan 0.3.2)');
    }
    console.log(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} cores (timings are noisy when others share the machine)`,
    );
    console.log(
      `fit seconds of hdbscan() (minClusterSize = minSamples = 5, leaf), median of ${repeat}; ratios = ours / peer;`,
    );
    console.log(
      cold
        ? 'ours cold: each fit in a fresh process, its compilation and set-up counted (the peer warm)'
        : `ours warm: each fit process first runs ${WARM_UP_ROUNDS} rounds of the peer's warm-up fits (not counted)`,
    );
    console.log("cpu = CPU seconds of all the fit process's threads (steadier than wall seconds under load);");
    console.log(
      withExact
        ? 'ARI = adjusted Rand index of the labels against our exact path; RSS = peak of the fit process;'
        : `ARI = adjusted Rand index of the labels against ${baselineScript ? "the baseline's approximate labels" : 'nothing (--no-exact)'}; RSS = peak of the fit process;`,
    );
    console.log('sets/pairs/uncert. = forest sets left to join / block pairs searched / joins not certified');
    if (baselineScript) {
      console.log(
        `base / a/base / cpu base / cpu a/b / ARI base / labels: the approximate fits of ${baselineScript}, alternated with ours (seconds, ratio, CPU seconds, ratio, ARI, whether its labels are ours byte for byte)`,
      );
    }
    console.log(
      [
        'N x D'.padEnd(11),
        'exact'.padStart(7),
        'approx'.padStart(7),
        'peer'.padStart(6),
        'approx/peer'.padStart(11),
        'exact/peer'.padStart(10),
        'cpu apx'.padStart(7),
        'cpu peer'.padStart(8),
        'cpu a/p'.padStart(8),
        'ARI apx'.padStart(8),
        'ARI peer'.padStart(8),
        'RSS exact'.padStart(8),
        'RSS apx'.padStart(8),
        'sets/pairs/uncert.'.padStart(12),
        ...(baselineScript
          ? [
              'base'.padStart(7),
              'a/base'.padStart(7),
              'cpu base'.padStart(8),
              'cpu a/b'.padStart(8),
              'ARI base'.padStart(8),
              'labels'.padStart(6),
            ]
          : []),
      ].join(' '),
    );
    const script = fileURLToPath(import.meta.url);
    for (const [index, shape] of rows.entries()) {
      const [count, dim] = parseShape(shape);
      const dataFile = path.join(folder, `${shape}.f32`);
      writeFileSync(dataFile, benchBlobs(count, dim, 7 + count + dim).data);
      const labelsOf = (who: string): string => path.join(folder, `${shape}.${who}.i32`);
      const ours = (pathName: Path, from = script, labels = labelsOf(pathName)): FitResult => {
        const output = execFileSync(
          process.execPath,
          [
            from,
            '--child',
            pathName,
            '--shape',
            shape,
            '--data',
            dataFile,
            '--labels',
            labels,
            ...(cold ? ['--cold'] : []),
          ],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        return JSON.parse(output.trim().split('\n').pop()!) as FitResult;
      };
      const figures: RowFigures = { shape, exact: [], approximate: [], peer: [], baseline: [] };
      for (let round = 0; round < repeat; round++) {
        const peerFirst = (index + round) % 2 === 1;
        if (peer && peerFirst) figures.peer.push(await peer.fit(dataFile, count, dim, labelsOf('peer')));
        const baselineFirst = (index + round) % 2 === 0;
        if (baselineScript && baselineFirst) {
          figures.baseline.push(ours('approximate', baselineScript, labelsOf('baseline')));
        }
        figures.approximate.push(ours('approximate'));
        if (baselineScript && !baselineFirst) {
          figures.baseline.push(ours('approximate', baselineScript, labelsOf('baseline')));
        }
        if (withExact) figures.exact.push(ours('exact'));
        if (peer && !peerFirst) figures.peer.push(await peer.fit(dataFile, count, dim, labelsOf('peer')));
      }
      const reference = withExact ? labelsOf('exact') : baselineScript ? labelsOf('baseline') : undefined;
      if (reference) {
        const referenceLabels = readLabels(reference, count);
        figures.approximateAri = adjustedRandIndex(readLabels(labelsOf('approximate'), count), referenceLabels);
        if (peer) figures.peerAri = adjustedRandIndex(readLabels(labelsOf('peer'), count), referenceLabels);
        if (baselineScript) {
          figures.baselineAri = adjustedRandIndex(readLabels(labelsOf('baseline'), count), referenceLabels);
        }
      }
      if (baselineScript) {
        figures.baselineSame = readFileSync(labelsOf('baseline')).equals(readFileSync(labelsOf('approximate')));
      }
      console.log(formatRow(figures));
      if (baselineScript) console.log(formatPairs(figures));
      if (showStages) console.log(formatStages(figures.approximate));
    }
  } finally {
    peer?.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
