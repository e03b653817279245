import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { PrimTree, TreeCheckpoint } from '../compute/hdbscan/index.js';

const MAGIC = 'nap-spanning-tree/1';

/**
 * A spanning tree kept in one file: a JSON header line (format and the key of the rows and parameters
 * it was built from), then the edges' from (int32), to (int32) and weight (float64) arrays, little-endian.
 * `load` gives back only a tree whose key matches: a file from other rows or parameters is ignored
 * (and replaced by the next save). The file is written whole or not at all (written aside, then renamed).
 */
export class TreeCheckpointFile implements TreeCheckpoint {
  /** Whether the last load found a tree to use. */
  resumed = false;

  constructor(
    readonly file: string,
    private readonly key: string,
  ) {}

  async load(): Promise<PrimTree | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch {
      return undefined;
    }
    const tree = decodeTree(bytes, this.key);
    this.resumed = tree !== undefined;
    return tree;
  }

  /** Why the last save failed (an error code), if it did: the run goes on without a checkpoint. */
  saveFailure: string | undefined;

  async save(tree: PrimTree): Promise<void> {
    const staging = `${this.file}.partial`;
    try {
      await writeFile(staging, encodeTree(tree, this.key));
      await rename(staging, this.file);
    } catch (error) {
      this.saveFailure = (error as NodeJS.ErrnoException).code ?? String(error);
      await rm(staging, { force: true });
    }
  }

  /** Removes the file, once the result it saves work for is written. */
  async remove(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

function encodeTree(tree: PrimTree, key: string): Buffer {
  const edges = tree.from.length;
  const header = Buffer.from(`${JSON.stringify({ format: MAGIC, key, edges })}\n`);
  const body = Buffer.alloc(edges * 16);
  for (let i = 0; i < edges; i++) {
    body.writeInt32LE(tree.from[i]!, i * 4);
    body.writeInt32LE(tree.to[i]!, (edges + i) * 4);
    body.writeDoubleLE(tree.weight[i]!, edges * 8 + i * 8);
  }
  return Buffer.concat([header, body]);
}

function decodeTree(bytes: Buffer, key: string): PrimTree | undefined {
  const end = bytes.indexOf(0x0a);
  if (end < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(0, end).toString('utf8'));
  } catch {
    return undefined;
  }
  const { format, key: kept, edges } = header as { format?: unknown; key?: unknown; edges?: unknown };
  if (format !== MAGIC || kept !== key || !Number.isSafeInteger(edges)) return undefined;
  const count = edges as number;
  const body = bytes.subarray(end + 1);
  if (body.length !== count * 16) return undefined;
  const tree: PrimTree = { from: new Int32Array(count), to: new Int32Array(count), weight: new Float64Array(count) };
  for (let i = 0; i < count; i++) {
    tree.from[i] = body.readInt32LE(i * 4);
    tree.to[i] = body.readInt32LE((count + i) * 4);
    tree.weight[i] = body.readDoubleLE(count * 8 + i * 8);
  }
  return tree;
}
