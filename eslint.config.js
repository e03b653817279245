import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which layer may import which (README "Layout"): compute <- io <- engine write results; results reads
 * them; server, static export, app and CLI use results. Each entry forbids a file group's imports of
 * the layers above it or beside it.
 */
const layer = (name) => ({
  group: [`**/${name}/**`],
  message: `this layer may not import ${name}/ (see eslint.config.js)`,
});
const nodeBuiltins = { group: ['node:*'], message: 'browser code may not import Node built-ins' };
const nodeOnly = (...names) => names.map((name) => ({ group: [name], message: `browser code may not import ${name}` }));
/**
 * compute/ is pure: no native runtime (callers inject ONNX Runtime's dot kernels), no file system, and Node
 * only through compute/threads.ts (worker threads, core count).
 */
const computeRuntimes = ['onnxruntime-node', 'onnx-buf', '@bufbuild/*', '@duckdb/*', 'sharp', '@tensorflow/*'].map(
  (name) => ({ group: [name], message: `compute/ may not import ${name}: its callers pass in what it needs` }),
);
const computeNode = {
  regex: `^(node:|(${builtinModules.join('|')})(/|$))`,
  message: 'compute/ may use Node only through src/compute/threads.ts',
};
const forbid = (files, patterns, ignores = []) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'app/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Each file is checked with the types of its nearest tsconfig: app/tsconfig.json for app/src, test/app/tsconfig.json
    // (DOM types for the page callbacks) for the browser tests, tsconfig.json for the rest.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // node:test runs describe/it/test itself and reports their failures; the promises they return need no await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  // The build script and this file are plain JavaScript outside both tsconfigs.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src/cli/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  forbid(
    ['src/compute/**/*.ts'],
    [...['io', 'engine', 'results', 'server', 'cli'].map(layer), ...computeRuntimes, computeNode],
    ['src/compute/threads.ts'],
  ),
  forbid(['src/compute/threads.ts'], [...['io', 'engine', 'results', 'server', 'cli'].map(layer), ...computeRuntimes]),
  forbid(['src/io/**/*.ts'], ['engine', 'results', 'server', 'cli'].map(layer)),
  forbid(['src/featureviz/**/*.ts'], ['engine', 'results', 'server', 'cli'].map(layer)),
  forbid(['src/engine/**/*.ts'], [...['server', 'cli', 'results/http', 'distributed'].map(layer)]),
  forbid(['src/distributed/**/*.ts'], ['server', 'cli', 'results'].map(layer)),
  // The results are browser-safe, but for the Node readers in results/node; they share the store's types.
  forbid(
    ['src/results/**/*.ts'],
    [
      {
        regex: '(^|/)io/(?!store/types[.]js$)',
        message: 'browser-safe results may import only the store types of io/',
      },
      ...['engine', 'server', 'cli'].map(layer),
      { regex: '(^|/)node/', message: 'browser-safe results may not import the Node readers of results/node' },
      nodeBuiltins,
      ...nodeOnly('@duckdb/*', 'sharp', 'onnxruntime-node'),
    ],
    ['src/results/node/**'],
  ),
  forbid(['src/results/node/**/*.ts'], ['engine', 'server', 'cli'].map(layer)),
  forbid(['src/server/**/*.ts'], ['engine', 'cli'].map(layer)),
  forbid(
    ['app/**/*.ts', 'app/**/*.tsx'],
    [
      ...['src/io', 'src/engine', 'src/server', 'src/cli', 'src/results/node'].map(layer),
      nodeBuiltins,
      ...nodeOnly('@duckdb/*', 'sharp', 'onnxruntime-node'),
    ],
  ),
);
