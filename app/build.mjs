// Bundles the Magnifying Glass app into build/app/: index.html plus content-hashed JS and CSS.
// Usage: node app/build.mjs [--dev] [--out DIR]
//   --dev      no minification, inline source maps
//   --out DIR  write there instead of build/app (the browser tests build into a temporary folder)
import { build } from 'esbuild';
import process from 'node:process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(appDir);
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
if (outAt >= 0 && !args[outAt + 1]) throw new Error('--out needs a folder, e.g. --out build/app');
const outDir = outAt >= 0 ? path.resolve(args[outAt + 1]) : path.join(root, 'build', 'app');
const dev = args.includes('--dev');

// Only what an earlier build wrote is removed: old hashed assets, then index.html is rewritten.
await rm(path.join(outDir, 'assets'), { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const result = await build({
  entryPoints: [path.join(appDir, 'src', 'main.tsx')],
  bundle: true,
  format: 'esm',
  // The static export's data source (the results API itself) loads only in a static export.
  splitting: true,
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: dev ? 'inline' : 'linked',
  outdir: path.join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const relative = (file) => path.relative(outDir, path.resolve(root, file)).split(path.sep).join('/');
const outputs = Object.keys(result.metafile.outputs).map(relative);
const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint !== undefined);
const script = entry && relative(entry[0]);
const style = outputs.find((file) => file.endsWith('.css'));
if (!script) throw new Error('esbuild produced no JavaScript bundle');

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Magnifying Glass · NAP</title>
<link rel="icon" href="data:,">
${style ? `<link rel="stylesheet" href="./${style}">\n` : ''}<script type="module" src="./${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Magnifying Glass needs JavaScript.</noscript>
</body>
</html>
`;
await writeFile(path.join(outDir, 'index.html'), html);
process.stdout.write(
  `built ${path.relative(root, outDir) || '.'}/: index.html, ${outputs.filter((f) => !f.endsWith('.map')).join(', ')}\n`,
);
