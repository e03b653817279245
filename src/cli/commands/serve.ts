import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { switchOption, text, valueOption, wholeNumber } from '../../options/schema.js';
import { DEFAULT_APP_DIR, DEFAULT_HOST, DEFAULT_PORT, SERVE_OPTIONS } from '../../server/serve-options.js';
import { keepRecut } from '../../engine/keep-recut.js';
import { startServer } from '../../server/server.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';

const SERVE_CLI = SERVE_OPTIONS.extend<{
  open?: boolean;
  noDiskCache?: boolean;
  writable?: boolean;
  layer?: string;
  run?: number;
}>({
  open: switchOption({ flag: 'open', help: 'open the app in the default browser' }),
  layer: valueOption(text({ example: 'conv2', placeholder: 'LAYER' }), {
    flag: 'layer',
    help: "start at this layer's patterns, coverage and hierarchy (the URL printed and --open)",
  }),
  run: valueOption(wholeNumber({ example: 1, min: 1, placeholder: 'ID' }), {
    flag: 'run',
    help: "with --layer: the layer's run (default: the app's first)",
  }),
  writable: switchOption({
    flag: 'writable',
    help: 'let the app keep a re-cut of a layer (the code of nap recluster; pages of this server only)',
  }),
  noDiskCache: switchOption({ flag: 'no-disk-cache', help: 'keep thumbnails in memory only' }),
});

const HELP = `Usage: nap serve <results.duckdb> [--port ${DEFAULT_PORT}] [--host ${DEFAULT_HOST}] [--open] [--layer LAYER [--run ID]]

Serves the Magnifying Glass web app and its JSON API for a results database, which is opened
read-only and never modified (unless --writable). Stop it with Ctrl-C.

Options:
${SERVE_CLI.help()}`;

/** The app's path of a layer's patterns with their coverage and granularity panel and hierarchy open. */
export function layerViewPath(layer: string, runId?: number): string {
  const run = runId === undefined ? 'view=layer' : `run=${runId}`;
  return `/?${run}&layer=${encodeURIComponent(layer)}&tree=1`;
}

/** Opens the URL in the desktop's browser; failing to do so is not an error of the server. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => console.error(`nap serve: could not open a browser; open ${url} yourself`));
    child.unref();
  } catch {
    console.error(`nap serve: could not open a browser; open ${url} yourself`);
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `nap serve`: serves until `signal` aborts (Ctrl-C), then closes the server and the store. */
export const runServeCommand = cliCommand(SERVE_CLI, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(SERVE_CLI, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const storePath = onlyPositional(positionals, 'serve', 'results file', HELP);
  const { open, noDiskCache, writable, layer, run, ...serverOptions } = options;
  if (run !== undefined && layer === undefined) {
    throw new InputError(`--run ${run} names the run of --layer, which is missing`, {
      hint: 'add --layer LAYER to start at that layer of the run, or leave --run out',
    });
  }
  if (noDiskCache && (serverOptions.thumbnailCacheDir ?? serverOptions.thumbnailCacheBytes) !== undefined) {
    throw new InputError('--no-disk-cache contradicts --thumbnail-cache and --thumbnail-cache-mb', {
      hint: 'pass --no-disk-cache alone, or set the disk cache',
    });
  }
  const appDir = path.resolve(serverOptions.appDir ?? DEFAULT_APP_DIR);
  const server = await startServer({
    ...serverOptions,
    store: storePath,
    appDir,
    ...(noDiskCache ? { thumbnailCacheDir: false as const } : {}),
    ...(writable ? { keep: keepRecut } : {}),
    onError: (error) => console.error('nap serve: internal error while answering a request:', error),
  });
  try {
    console.log(
      `Serving ${path.resolve(storePath)} (${writable ? 'writable: the app may keep re-cuts' : 'read-only'}) at ${server.url}/`,
    );
    if (!existsSync(path.join(appDir, 'index.html'))) {
      console.error(
        `nap serve: the web app is not built (no index.html in ${appDir}); run 'npm run build'. The API works meanwhile.`,
      );
    }
    const host = serverOptions.host;
    if (host !== undefined && host !== DEFAULT_HOST && host !== 'localhost') {
      console.error(`nap serve: listening on ${host}: other machines that can reach it can read these results.`);
    }
    const start = `${server.url}${layer === undefined ? '/' : layerViewPath(layer, run)}`;
    if (layer !== undefined) {
      console.log(`Open ${start} : the patterns of ${layer}, their coverage and the layer's hierarchy.`);
    }
    console.log('Press Ctrl-C to stop.');
    if (open) openBrowser(start);
    await untilAborted(signal ?? new AbortController().signal);
    return 0;
  } finally {
    await server.close();
  }
});
