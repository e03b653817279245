/**
 * The pre-trained models that the nsfwjs npm package ships (MobileNetV2 and InceptionV3 LayersModels, a
 * MobileNetV2 GraphModel), written out the way tensorflowjs_converter writes a model: model.json plus
 * binary weight shards beside it. nsfwjs stores them as CommonJS bundles (the JSON object and base64
 * shards), which are read here with require.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export const NSFW_MODELS = {
  mobilenet_v2: { size: 224, format: 'layers-model' },
  inception_v3: { size: 299, format: 'layers-model' },
  mobilenet_v2_mid: { size: 224, format: 'graph-model' },
} as const;

export type NsfwModelName = keyof typeof NSFW_MODELS;

/** nsfwjs' five classes, in output order. */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

const require = createRequire(import.meta.url);

interface BundledModel {
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
  format?: string;
  [key: string]: unknown;
}

/** Writes `<dir>/<name>/model.json` and its `.bin` shards; returns the model.json path. */
export async function writeNsfwModel(name: NsfwModelName, dir: string): Promise<string> {
  const bundleDir = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', name);
  const json = require(path.join(bundleDir, 'model.min.js')) as BundledModel;
  const out = path.join(dir, name);
  await mkdir(out, { recursive: true });
  const manifest = [];
  for (const group of json.weightsManifest) {
    const paths = [];
    for (const shard of group.paths) {
      const base64 = require(path.join(bundleDir, `${shard}.min.js`)) as string;
      await writeFile(path.join(out, `${shard}.bin`), Buffer.from(base64, 'base64'));
      paths.push(`${shard}.bin`);
    }
    manifest.push({ ...group, paths });
  }
  const file = path.join(out, 'model.json');
  await writeFile(file, JSON.stringify({ ...json, format: NSFW_MODELS[name].format, weightsManifest: manifest }));
  return file;
}
