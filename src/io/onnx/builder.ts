/**
 * A small ONNX graph builder on the onnx-buf protobuf messages. It covers what tests and model
 * export need: float32 graph inputs/outputs (fixed or symbolic dims), float32/int64 initializers,
 * and nodes of the default ONNX domain with INT/INTS/FLOAT/FLOATS/STRING attributes.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { InputError } from '../../errors.js';

/** Plain numbers are INTs; wrap in `{ float }` / `{ floats }` for FLOAT attributes. */
export type OnnxAttribute = number | number[] | string | { float: number } | { floats: number[] };

/** IR version 8 (ONNX 1.10+) is read by every onnxruntime release we target and allows opset 13–17. */
const IR_VERSION = 8n;
const DEFAULT_OPSET = 13;

export class OnnxGraphBuilder {
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly nodes: NodeProto[] = [];

  constructor(private readonly name: string) {}

  /** A float32 graph input; string dims are symbolic (e.g. 'batch'). */
  input(name: string, shape: (number | string)[]): this {
    this.inputs.push(floatValueInfo(name, shape));
    return this;
  }

  /** A float32 graph output; string dims are symbolic. */
  output(name: string, shape: (number | string)[]): this {
    this.outputs.push(floatValueInfo(name, shape));
    return this;
  }

  /** A constant tensor: Float32Array for weights, BigInt64Array for int64 operands such as Reshape shapes. */
  initializer(name: string, dims: number[], data: Float32Array | BigInt64Array): this {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new InputError(
        `initializer '${name}' has ${data.length} values but dims [${dims.join(', ')}] need ${expected}`,
        { hint: 'pass data whose length is the product of dims' },
      );
    }
    const bytes = new Uint8Array(data.byteLength);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.initializers.push(
      create(TensorProtoSchema, {
        name,
        dims: dims.map((d) => BigInt(d)),
        dataType: data instanceof Float32Array ? TensorProto_DataType.FLOAT : TensorProto_DataType.INT64,
        // raw_data is little-endian by spec; typed arrays are little-endian on every platform Node runs on.
        rawData: bytes,
      }),
    );
    return this;
  }

  node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Record<string, OnnxAttribute> = {},
    name?: string,
  ): this {
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        input: inputs,
        output: outputs,
        name: name ?? `${opType}_${this.nodes.length}`,
        attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)),
      }),
    );
    return this;
  }

  toBytes(opset: number = DEFAULT_OPSET): Uint8Array {
    const model = create(ModelProtoSchema, {
      irVersion: IR_VERSION,
      producerName: 'nap-lens',
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
      graph: create(GraphProtoSchema, {
        name: this.name,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
        node: this.nodes,
      }),
    });
    return toBinary(ModelProtoSchema, model);
  }
}

function floatValueInfo(name: string, shape: (number | string)[]): ValueInfoProto {
  const dim = shape.map((d) =>
    create(TensorShapeProto_DimensionSchema, {
      value: typeof d === 'string' ? { case: 'dimParam', value: d } : { case: 'dimValue', value: BigInt(d) },
    }),
  );
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, { dim }),
        }),
      },
    }),
  });
}

function toAttribute(name: string, value: OnnxAttribute): AttributeProto {
  const Type = AttributeProto_AttributeType;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new InputError(`attribute '${name}' = ${value} is not an integer`, {
        hint: 'plain numbers are INT attributes; write { float: x } for a FLOAT attribute',
      });
    }
    return create(AttributeProtoSchema, { name, type: Type.INT, i: BigInt(value) });
  }
  if (typeof value === 'string') {
    return create(AttributeProtoSchema, { name, type: Type.STRING, s: new TextEncoder().encode(value) });
  }
  if (Array.isArray(value)) {
    const bad = value.find((v) => !Number.isInteger(v));
    if (bad !== undefined) {
      throw new InputError(`attribute '${name}' holds ${bad}, which is not an integer`, {
        hint: 'plain number arrays are INTS attributes; write { floats: [...] } for FLOATS',
      });
    }
    return create(AttributeProtoSchema, { name, type: Type.INTS, ints: value.map((v) => BigInt(v)) });
  }
  if ('float' in value) return create(AttributeProtoSchema, { name, type: Type.FLOAT, f: value.float });
  return create(AttributeProtoSchema, { name, type: Type.FLOATS, floats: value.floats });
}
