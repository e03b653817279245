/** ONNX TensorProto constants (initializers, Constant attributes) as typed arrays that tf.js can hold. */
import { TensorProto_DataType, type TensorProto } from 'onnx-buf';
import { InputError } from '../../errors.js';

export interface ConstantData {
  dims: number[];
  /** ONNX int64 values are held as int32 (tf.js has no int64); values beyond int32 are clamped. */
  dtype: 'float32' | 'int32' | 'bool';
  data: Float32Array | Int32Array | Uint8Array;
}

const T = TensorProto_DataType;
const INT32_MAX = 2 ** 31 - 1;

function clampInt(value: number): number {
  return Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, value));
}

export function decodeTensorProto(tensor: TensorProto, source: string): ConstantData {
  const dims = tensor.dims.map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  if (tensor.externalData.length > 0) {
    throw new InputError(`tensor '${tensor.name}' of ${source} is stored in an external data file`, {
      hint: 'save the model with its weights inside the .onnx file (onnx.save_model(..., save_as_external_data=False))',
    });
  }
  const raw = tensor.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const fromRaw = raw.byteLength > 0;
  const dataType: TensorProto_DataType = tensor.dataType;
  switch (dataType) {
    case T.FLOAT:
      return {
        dims,
        dtype: 'float32',
        data: fromRaw
          ? Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true))
          : Float32Array.from(tensor.floatData),
      };
    case T.DOUBLE:
      return {
        dims,
        dtype: 'float32',
        data: fromRaw
          ? Float32Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true))
          : Float32Array.from(tensor.doubleData),
      };
    case T.INT64:
      return {
        dims,
        dtype: 'int32',
        data: fromRaw
          ? Int32Array.from({ length: count }, (_, i) => clampInt(Number(view.getBigInt64(8 * i, true))))
          : Int32Array.from(tensor.int64Data, (v) => clampInt(Number(v))),
      };
    case T.INT32:
    case T.INT16:
    case T.INT8:
    case T.UINT8:
    case T.UINT16: {
      const read = (i: number): number => {
        if (dataType === T.INT32) return view.getInt32(4 * i, true);
        if (dataType === T.INT16) return view.getInt16(2 * i, true);
        if (dataType === T.UINT16) return view.getUint16(2 * i, true);
        return dataType === T.INT8 ? view.getInt8(i) : view.getUint8(i);
      };
      return {
        dims,
        dtype: 'int32',
        data: fromRaw ? Int32Array.from({ length: count }, (_, i) => read(i)) : Int32Array.from(tensor.int32Data),
      };
    }
    case T.BOOL:
      return {
        dims,
        dtype: 'bool',
        data: fromRaw ? Uint8Array.from(raw.subarray(0, count)) : Uint8Array.from(tensor.int32Data),
      };
    default:
      throw new InputError(
        `tensor '${tensor.name}' of ${source} has ONNX element type ${T[tensor.dataType] ?? tensor.dataType}, which the tf.js translation does not read`,
        {
          hint: 'feature visualization reads float32, float64, integer and bool constants; export the model in float32',
        },
      );
  }
}
