/**
 * A TF.js LayersModel (Keras topology + weights) as ONNX bytes. The graph input keeps the Keras shape
 * ([N,H,W,C] for images) and is transposed once to channels-first; every Keras layer call becomes ONNX
 * nodes whose last output carries the layer's name, so `nap layers` lists Keras layer names and the ONNX
 * pipeline (layers, analyze, serve) reads them unchanged.
 */
import { InputError } from '../../errors.js';
import { OnnxGraphBuilder } from '../onnx/builder.js';
import { ConversionContext, NHWC_TO_NCHW, type Tensor } from './conversion-context.js';
import { LAYER_CONVERTERS } from './keras-layers.js';
import { kerasGraph, type KerasShape } from './keras-topology.js';
import type { TfjsModelJson } from './model-json.js';
import type { WeightMap } from './weights.js';

/** Opset 13 has every op the converters emit and is read by all onnxruntime releases nap targets. */
const OPSET = 13;

export function layersModelToOnnx(model: TfjsModelJson, weights: WeightMap, source: string): Uint8Array {
  const graph = kerasGraph(model.modelTopology, source);
  const builder = new OnnxGraphBuilder(modelName(model.modelTopology));
  const ctx = new ConversionContext(builder, weights, source);
  const tensors = new Map<string, Tensor>();

  for (const input of graph.inputs) {
    if (input.dtype !== 'float32') {
      throw new InputError(`input '${input.name}' of ${source} is ${input.dtype}, not float32`, {
        hint: 'nap feeds float32 tensors (images or features); token-id models cannot be analyzed',
      });
    }
    builder.input(input.name, symbolicDims(input.shape, input.name));
    const name =
      input.shape.length === 4
        ? ctx.node('Transpose', [input.name], `${input.name}/nchw`, { perm: NHWC_TO_NCHW })
        : input.name;
    tensors.set(input.name, { name, shape: input.shape });
  }

  for (const call of graph.calls) {
    const convert = LAYER_CONVERTERS[call.className];
    if (!convert) {
      throw new InputError(
        `layer '${call.layer}' of ${source} is a ${call.className}, which nap cannot convert to ONNX`,
        {
          hint: `supported Keras layers: ${Object.keys(LAYER_CONVERTERS).join(', ')}; or export the model to ONNX with tf2onnx`,
        },
      );
    }
    const shape = convert(
      ctx,
      call,
      call.inputs.map((name) => tensors.get(name)!),
    );
    tensors.set(call.output, { name: call.output, shape });
  }

  for (const output of graph.outputs) {
    const tensor = tensors.get(output)!;
    builder.output(tensor.name, onnxDims(tensor.shape, tensor.name));
  }
  return builder.toBytes(OPSET);
}

/** Keras-order dims with the batch named 'batch' and other unknown sizes named per tensor. */
function symbolicDims(shape: KerasShape, tensor: string): (number | string)[] {
  return shape.map((d, i) => d ?? (i === 0 ? 'batch' : `${tensor}_dim${i}`));
}

/** Declared dims of a graph tensor: images are stored channels-first. */
function onnxDims(shape: KerasShape, tensor: string): (number | string)[] {
  const dims = symbolicDims(shape, tensor);
  return shape.length === 4 ? NHWC_TO_NCHW.map((axis) => dims[axis]!) : dims;
}

function modelName(topology: Record<string, unknown>): string {
  const config = (topology.model_config ?? topology) as { config?: { name?: unknown } };
  return typeof config.config?.name === 'string' ? config.config.name : 'keras_model';
}
