/**
 * A small real store for the server tests: the tiny conv net analysed over 300 MNIST digits (three
 * layers), plus a fake built app and a secret file beside it that no request may reach.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

export const INPUT_COUNT = 300;
export const LAYERS = [TINY.relu, TINY.pool, TINY.logits];
export const SECRET = 'TOP-SECRET-c0ffee';
export const INDEX_HTML = '<!doctype html><title>fake app</title><div id="app"></div>';
export const HASHED_ASSET = 'assets/index-4f3a9c1b.js';
export const ASSET_BODY = 'console.log("app");\n';

export interface Fixture {
  dir: string;
  storePath: string;
  appDir: string;
  thumbnailDir: string;
  runId: number;
  clusteringIds: number[];
  cleanup(): Promise<void>;
}

export async function buildFixture(prefix: string): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const storePath = path.join(dir, 'results.duckdb');
  const result = await analyze({ model, data: 'mnist', out: storePath, limit: INPUT_COUNT, layers: LAYERS });
  const appDir = path.join(dir, 'app');
  await mkdir(path.join(appDir, 'assets'), { recursive: true });
  await writeFile(path.join(appDir, 'index.html'), INDEX_HTML);
  await writeFile(path.join(appDir, HASHED_ASSET), ASSET_BODY);
  await writeFile(path.join(dir, 'secret.txt'), SECRET);
  return {
    dir,
    storePath,
    appDir,
    thumbnailDir: path.join(dir, 'thumbnails'),
    runId: result.runId,
    clusteringIds: result.layers.map((layer) => layer.clusteringId),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with the path sent exactly as given (fetch would normalize dot segments away). */
export function rawRequest(
  baseUrl: string,
  rawPath: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, path: rawPath, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T>(baseUrl: string, urlPath: string): Promise<T> {
  const response = await fetch(baseUrl + urlPath);
  if (response.status !== 200) throw new Error(`GET ${urlPath}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export const close = (a: number | null, b: number, tolerance = 1e-9): boolean =>
  a !== null && Math.abs(a - b) <= tolerance;
