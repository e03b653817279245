import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import * as ort from 'onnxruntime-node';

/** Fills `out[i * n + j] = rows[i] . cols[j]` for `m` rows and `n` cols of `dim` float32 values each. */
export interface DotKernel {
  dot(rows: Float32Array, m: number, cols: Float32Array, n: number, dim: number, out: Float32Array): Promise<void>;
  release(): Promise<void>;
}

function matrixInfo(name: string, dims: [string, string]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((param) =>
              create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: param } }),
            ),
          }),
        }),
      },
    }),
  });
}

/** A one-node ONNX model, C = A . B^T, whose MLAS SGEMM is far faster than any JavaScript loop. */
function gemmModel(): Uint8Array {
  const gemm = create(NodeProtoSchema, {
    opType: 'Gemm',
    input: ['A', 'B'],
    output: ['C'],
    attribute: [create(AttributeProtoSchema, { name: 'transB', type: AttributeProto_AttributeType.INT, i: 1n })],
  });
  const graph = create(GraphProtoSchema, {
    name: 'tile_dot',
    node: [gemm],
    input: [matrixInfo('A', ['m', 'k']), matrixInfo('B', ['n', 'k'])],
    output: [matrixInfo('C', ['m', 'n'])],
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/** Float32 tile products on ONNX Runtime's CPU provider with `threads` intra-op threads. */
export async function createOrtDotKernel(threads: number): Promise<DotKernel> {
  const session = await ort.InferenceSession.create(gemmModel(), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'basic',
    // Idle pool threads would otherwise spin and steal the core the JavaScript scan runs on.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  // ONNX Runtime rejects tensors on SharedArrayBuffers: such operands are copied to scratch first.
  let scratchRows: Float32Array = new Float32Array(0);
  let scratchCols: Float32Array = new Float32Array(0);
  const unshared = (values: Float32Array, scratch: Float32Array): Float32Array => {
    if (!(values.buffer instanceof SharedArrayBuffer)) return values;
    const copy = scratch.length >= values.length ? scratch.subarray(0, values.length) : new Float32Array(values.length);
    copy.set(values);
    return copy;
  };
  return {
    async dot(rows, m, cols, n, dim, out) {
      if (m === 0 || n === 0) return;
      const a = unshared(rows.subarray(0, m * dim), scratchRows);
      const b = unshared(cols.subarray(0, n * dim), scratchCols);
      if (a.length > scratchRows.length && a !== rows) scratchRows = a;
      if (b.length > scratchCols.length && b !== cols) scratchCols = b;
      const feeds = {
        A: new ort.Tensor('float32', a, [m, dim]),
        B: new ort.Tensor('float32', b, [n, dim]),
      };
      // Writing into a preallocated output saves an allocation and a copy per tile.
      await session.run(feeds, { C: new ort.Tensor('float32', out.subarray(0, m * n), [m, n]) });
    },
    release: () => session.release(),
  };
}

/**
 * The manhattan tile: exact float64 L1 sums in the reference's order, stored as -d/2 so that the
 * shared screening formula s = 0 + 0 - 2 t gives s = d (rounded to float32).
 */
export function manhattanTile(
  rows: Float32Array,
  m: number,
  cols: Float32Array,
  n: number,
  dim: number,
  out: Float32Array,
): void {
  for (let i = 0; i < m; i++) {
    const a = i * dim;
    for (let j = 0; j < n; j++) {
      const b = j * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += Math.abs(rows[a + k]! - cols[b + k]!);
      out[i * n + j] = -0.5 * sum;
    }
  }
}
