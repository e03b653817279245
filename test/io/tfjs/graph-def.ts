/** Hand-written TF.js GraphModels (frozen GraphDefs in tfjs JSON) for the GraphModel tests. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface Const {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: number[];
}

/** A hand-written GraphDef in tfjs JSON: attrs use TF's encoding (lists of int strings, base64 strings). */
export class GraphDef {
  readonly nodes: object[] = [];
  readonly consts: Const[] = [];
  private seed = 3;

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({
      name,
      op: 'Placeholder',
      attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: shape.map((size) => ({ size: String(size) })) } } },
    });
    return name;
  }

  constant(name: string, shape: number[], values?: number[], dtype: 'float32' | 'int32' = 'float32'): string {
    const size = shape.reduce((a, b) => a * b, 1);
    const filled = values ?? Array.from({ length: size }, () => this.random());
    this.consts.push({ name, shape, dtype, values: filled });
    const type = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        value: { tensor: { dtype: type, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
        dtype: { type },
      },
    });
    return name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr });
    return name;
  }

  private random(): number {
    this.seed = (this.seed * 16807) % 2147483647;
    return (this.seed / 2147483647 - 0.5) * 0.8;
  }

  async write(folder: string): Promise<string> {
    const buffers = this.consts.map((c) =>
      c.dtype === 'float32'
        ? Buffer.from(Float32Array.from(c.values).buffer)
        : Buffer.from(Int32Array.from(c.values).buffer),
    );
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'group1-shard1of1.bin'), Buffer.concat(buffers));
    const weights = this.consts.map(({ name, shape, dtype }) => ({ name, shape, dtype }));
    const file = path.join(folder, 'model.json');
    await writeFile(
      file,
      JSON.stringify({
        format: 'graph-model',
        modelTopology: { node: this.nodes, versions: { producer: 1 } },
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
      }),
    );
    return file;
  }
}

export const ints = (...values: number[]) => ({ list: { i: values.map(String) } });
export const text = (value: string) => ({ s: Buffer.from(value).toString('base64') });
export const nhwc = text('NHWC');
