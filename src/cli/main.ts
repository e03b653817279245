#!/usr/bin/env node
import { NapError } from '../errors.js';
import { configureDuckDbAllocator } from '../io/store/allocator.js';
import { exitCodeFor } from './exit-codes.js';
import { systemError } from './system-errors.js';

type Command = (argv: string[], signal: AbortSignal) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: {
    summary: 'analyze the built-in MNIST model and digits, then show the results',
    load: async () => (await import('./commands/demo.js')).runDemoCommand,
  },
  analyze: {
    summary: 'run a model over a dataset and store its activation patterns',
    load: async () => (await import('./commands/analyze.js')).runAnalyzeCommand,
  },
  worker: {
    summary: 'take shard and layer jobs from a queue (redis://...), or run one shard (--shard i/N) of a run',
    load: async () => (await import('./commands/worker.js')).runWorkerCommand,
  },
  gather: {
    summary: 'build the results file from the shards that nap worker --shard wrote',
    load: async () => (await import('./commands/gather.js')).runGatherCommand,
  },
  layers: {
    summary: 'list the layers of an ONNX model',
    load: async () => (await import('./commands/layers.js')).runLayersCommand,
  },
  cluster: {
    summary: 'cluster a raw float32 matrix with HDBSCAN*',
    load: async () => (await import('./commands/cluster.js')).runClusterCommand,
  },
  serve: {
    summary: 'serve the Magnifying Glass web app for a results database',
    load: async () => (await import('./commands/serve.js')).runServeCommand,
  },
  flow: {
    summary: 'show how the inputs of each pattern flow into the patterns of other layers',
    load: async () => (await import('./commands/flow.js')).runFlowCommand,
  },
  compare: {
    summary: 'compare the patterns of two runs (ARI, NMI, pattern matching)',
    load: async () => (await import('./commands/compare.js')).runCompareCommand,
  },
  heatmaps: {
    summary: 'store where each pattern of a convolutional layer lives in the image (heatmaps for the app)',
    load: async () => (await import('./commands/heatmaps.js')).runHeatmapsCommand,
  },
  recluster: {
    summary: "select a layer's patterns again from its stored tree (another min cluster size, leaf/eom, epsilon)",
    load: async () => (await import('./commands/recluster.js')).runReclusterCommand,
  },
  visualize: {
    summary: 'store images that maximise units or patterns of a layer (feature visualization)',
    load: async () => (await import('./commands/visualize.js')).runVisualizeCommand,
  },
  project: {
    summary: 'add or recompute the 2-D map (UMAP or PCA) of each layer of a run',
    load: async () => (await import('./commands/project.js')).runProjectCommand,
  },
  triage: {
    summary: 'label errors and model errors: every input ranked by how likely its label is wrong; outliers; duplicates',
    load: async () => (await import('./commands/triage.js')).runTriageCommand,
  },
  decisions: {
    summary: "write the app's label decisions (kept beside the results) as a relabelling CSV",
    load: async () => (await import('./commands/decisions.js')).runDecisionsCommand,
  },
  export: {
    summary: 'export a run as a static web site: nap export --static DIR results.duckdb',
    load: async () => (await import('./commands/export.js')).runExportCommand,
  },
  doctor: {
    summary: 'check what nap runs with here: Node, npm, ONNX Runtime providers, Chromium, datasets, disk, memory',
    load: async () => (await import('./commands/doctor.js')).runDoctorCommand,
  },
  report: {
    summary: 'write one run as a self-contained HTML report: nap report results.duckdb -o report.html',
    load: async () => (await import('./commands/report.js')).runReportCommand,
  },
  summary: {
    summary: 'print the patterns of every layer of a results database',
    load: async () => (await import('./commands/summary.js')).runSummaryCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `Usage: nap <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'nap <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`nap: unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nStopping after the current step (Ctrl-C again to quit at once)...\n');
    controller.abort();
  });
  const command = await entry.load();
  try {
    return await command(rest, controller.signal);
  } catch (thrown) {
    const error = systemError(thrown) ?? thrown;
    if (error instanceof NapError) {
      console.error(`nap ${name}: ${error.message}`);
    } else {
      console.error(`nap ${name}: unexpected error`, error);
    }
    return exitCodeFor(error);
  }
}

// Before any command loads DuckDB's native library (see allocator.ts).
configureDuckDbAllocator();
process.exitCode = await main(process.argv.slice(2));
