import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_APP_DIR, DEFAULT_HOST, DEFAULT_PORT, startServer } from '../../server/server.js';
import { onlyPositional, parseCommandArgs, wholeNumberOption } from '../args.js';

const HELP = `Usage: nap serve <results.duckdb> [--port ${DEFAULT_PORT}] [--host ${DEFAULT_HOST}] [--open]

Serves the Magnifying Glass web app and its JSON API for a results database, which is opened
read-only and never modified. Stop it with Ctrl-C.

  --port N          TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDRESS    interface to listen on (default ${DEFAULT_HOST}: this machine only;
                    0.0.0.0 exposes the results to the network)
  --open            open the app in the default browser
  --app-dir DIR     folder of the built app (default: build/app of nap-lens)
  --no-disk-cache   keep thumbnails in memory only (default: also cached under the system temp folder)`;

/** The TCP port of `--port` (0 picks a free one). */
export function portOption(text: string | undefined): number | undefined {
  return wholeNumberOption(text, '--port', { example: String(DEFAULT_PORT), min: 0, max: 65535 });
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
export async function runServeCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', {
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      open: { type: 'boolean' },
      'app-dir': { type: 'string' },
      'no-disk-cache': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const storePath = onlyPositional(positionals, 'serve', 'results file', HELP);
  const port = portOption(values.port) ?? DEFAULT_PORT;
  const appDir = path.resolve(values['app-dir'] ?? DEFAULT_APP_DIR);
  const server = await startServer({
    store: storePath,
    port,
    host: values.host ?? DEFAULT_HOST,
    appDir,
    ...(values['no-disk-cache'] ? { thumbnailCacheDir: false as const } : {}),
    onError: (error) => console.error('nap serve: internal error while answering a request:', error),
  });
  try {
    console.log(`Serving ${path.resolve(storePath)} (read-only) at ${server.url}/`);
    if (!existsSync(path.join(appDir, 'index.html'))) {
      console.error(
        `nap serve: the web app is not built (no index.html in ${appDir}); run 'npm run build'. The API works meanwhile.`,
      );
    }
    if (values.host !== undefined && values.host !== DEFAULT_HOST && values.host !== 'localhost') {
      console.error(`nap serve: listening on ${values.host}: other machines that can reach it can read these results.`);
    }
    console.log('Press Ctrl-C to stop.');
    if (values.open) openBrowser(`${server.url}/`);
    await untilAborted(signal);
    return 0;
  } finally {
    await server.close();
  }
}
