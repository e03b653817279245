/**
 * A model's runtime inputs and the tensors fed to them: float inputs (images, embeddings, features),
 * integer inputs (token ids, attention masks, token type ids) and booleans. nap feeds every input by name
 * from the dataset; this module says what each input takes and makes probe feeds for `nap layers`.
 */
import { TensorProto_DataType, type GraphProto } from 'onnx-buf';
import { InputError } from '../../errors.js';
import type { ElementType, NamedTensor } from '../tensor.js';
import { runtimeInputs, type GraphValue } from './graph.js';
import { formatDims } from './layout.js';

/** The element types nap can feed. */
export type FeedType = ElementType;

/** One tensor fed to a model input; rows are the batch's first axis. */
export type Feed = NamedTensor;

export interface ModelInput {
  name: string;
  type: FeedType;
  /** As declared; strings are symbolic dims. */
  dims: (number | string)[];
}

const FEED_TYPES = new Map<number, FeedType>([
  [TensorProto_DataType.FLOAT, 'float32'],
  [TensorProto_DataType.INT64, 'int64'],
  [TensorProto_DataType.INT32, 'int32'],
  [TensorProto_DataType.BOOL, 'bool'],
]);

/** Every runtime input with the type nap feeds it; an input of another type is an InputError naming it. */
export function modelInputs(graph: GraphProto, source: string): ModelInput[] {
  const inputs = runtimeInputs(graph);
  if (inputs.length === 0) {
    throw new InputError(`${source} has no runtime inputs`, { hint: 'export the model with its inputs' });
  }
  return inputs.map((input: GraphValue) => {
    const type = FEED_TYPES.get(input.elemType);
    if (type === undefined) {
      throw new InputError(`input '${input.name}' of ${source} has ONNX element type ${input.elemType}`, {
        hint: 'nap feeds float32, int64, int32 and bool inputs; export the model with one of these types',
      });
    }
    return { name: input.name, type, dims: input.dims };
  });
}

/** An attention/padding mask by the names exporters give it (`attention_mask`, `input_mask`, `mask`). */
export function isMaskInput(input: ModelInput): boolean {
  return input.type !== 'float32' && /mask/i.test(input.name);
}

/**
 * Probe dims of an input: the given dims, else the declared ones with the batch axis (symbolic) set to
 * `batch` and other symbolic axes set to `sequence` for integer inputs (token ids) and 1 for float ones.
 */
export function probeDimsOf(input: ModelInput, batch: number, sequence = 8): number[] {
  return input.dims.map((dim, axis) => {
    if (typeof dim === 'number' && dim > 0) return dim;
    if (axis === 0) return batch;
    return input.type === 'float32' ? 1 : sequence;
  });
}

/** A feed of zeros (ones for a mask: a mask of zeros hides every token) shaped `dims`. */
export function constantFeed(input: ModelInput, dims: number[]): Feed {
  const size = dims.reduce((a, b) => a * b, 1);
  const mask = isMaskInput(input);
  switch (input.type) {
    case 'float32':
      return { name: input.name, type: input.type, dims, data: new Float32Array(size) };
    case 'int64':
      return { name: input.name, type: input.type, dims, data: new BigInt64Array(size).fill(mask ? 1n : 0n) };
    case 'int32':
      return { name: input.name, type: input.type, dims, data: new Int32Array(size).fill(mask ? 1 : 0) };
    case 'bool':
      return { name: input.name, type: input.type, dims, data: new Uint8Array(size).fill(mask ? 1 : 0) };
  }
}

/** The input named `name`, or an InputError listing the model's inputs. */
export function findInput(inputs: ModelInput[], name: string, source: string): ModelInput {
  const found = inputs.find((input) => input.name === name);
  if (found) return found;
  throw new InputError(`${source} has no input '${name}'`, {
    hint: `its inputs: ${inputs.map((input) => `${input.name} [${formatDims(input.dims)}] ${input.type}`).join('; ')}`,
  });
}
