/**
 * Writes a trained tfjs CnnSpec as an ONNX (opset 13) graph with OnnxGraphBuilder.
 *
 * Layout conversion: tfjs runs NHWC with HWIO conv kernels, ONNX Conv runs NCHW with OIHW weights, so
 * kernels are transposed. tfjs flattens (h, w, c) while ONNX Flatten of NCHW gives (c, h, w); instead of
 * adding a Transpose, the rows of the first dense kernel after Flatten are permuted to (c, h, w) order,
 * so the ONNX 'flatten' tensor is the natural NCHW flattening. Every conv / hidden dense output is
 * post-ReLU under the layer's name, with the pre-activation as '<name>_linear'.
 */
import * as tf from '@tensorflow/tfjs';
import { OnnxGraphBuilder } from '../../src/io/onnx/builder.js';
import { layerShapes, type CnnSpec } from './cnn-spec.js';
import type { CnnWeights } from './tfjs-cnn.js';

export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'probabilities';

/** HWIO [kh, kw, in, out] -> OIHW [out, in, kh, kw]. */
export function hwioToOihw(kernel: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++)
          out[((o * inC + i) * kh + r) * kw + c] = kernel[((r * kw + c) * inC + i) * outC + o]!;
      }
    }
  }
  return out;
}

/** Dense kernel [h*w*c, units] with rows in tfjs (h, w, c) order -> rows in ONNX (c, h, w) order. */
export function hwcRowsToChwRows(kernel: Float32Array, h: number, w: number, c: number, units: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const from = ((y * w + x) * c + ch) * units;
        const to = ((ch * h + y) * w + x) * units;
        out.set(kernel.subarray(from, from + units), to);
      }
    }
  }
  return out;
}

function values(tensor: tf.Tensor): Float32Array {
  return tensor.dataSync() as Float32Array;
}

/** The ONNX model bytes for `spec` with trained `weights`. Dropout layers are dropped (inference graph). */
export function exportCnnToOnnx(spec: CnnSpec, weights: CnnWeights): Uint8Array {
  const shapes = layerShapes(spec);
  const graph = new OnnxGraphBuilder(spec.name).input(ONNX_INPUT_NAME, ['batch', 1, spec.side, spec.side]);
  let current = ONNX_INPUT_NAME;
  let flattenedFrom: [number, number, number] | undefined;

  spec.layers.forEach((layer, index) => {
    const [h, w, c] = shapes[index]!;
    if (layer.kind === 'conv') {
      const { kernel, bias } = weightsOf(weights, layer.name);
      const k = layer.kernelSize;
      graph
        .initializer(
          `${layer.name}.weight`,
          [layer.filters, c, k, k],
          hwioToOihw(values(kernel), k, k, c, layer.filters),
        )
        .initializer(`${layer.name}.bias`, [layer.filters], values(bias))
        .node(
          'Conv',
          [current, `${layer.name}.weight`, `${layer.name}.bias`],
          [`${layer.name}_linear`],
          { kernel_shape: [k, k], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
          `${layer.name}_conv`,
        )
        .node('Relu', [`${layer.name}_linear`], [layer.name], {}, `${layer.name}_relu`);
      current = layer.name;
    } else if (layer.kind === 'maxPool') {
      graph.node(
        'MaxPool',
        [current],
        [layer.name],
        { kernel_shape: [layer.size, layer.size], strides: [layer.size, layer.size], pads: [0, 0, 0, 0] },
        layer.name,
      );
      current = layer.name;
    } else if (layer.kind === 'flatten') {
      graph.node('Flatten', [current], [layer.name], { axis: 1 }, layer.name);
      flattenedFrom = [h, w, c];
      current = layer.name;
    } else if (layer.kind === 'dense') {
      const { kernel, bias } = weightsOf(weights, layer.name);
      let kernelValues = values(kernel);
      if (flattenedFrom && current === 'flatten') {
        kernelValues = hwcRowsToChwRows(
          kernelValues,
          flattenedFrom[0],
          flattenedFrom[1],
          flattenedFrom[2],
          layer.units,
        );
      }
      const output = layer.relu ? `${layer.name}_linear` : layer.name;
      graph
        .initializer(`${layer.name}.weight`, [c, layer.units], kernelValues)
        .initializer(`${layer.name}.bias`, [layer.units], values(bias))
        .node('Gemm', [current, `${layer.name}.weight`, `${layer.name}.bias`], [output], {}, `${layer.name}_gemm`);
      if (layer.relu) graph.node('Relu', [output], [layer.name], {}, `${layer.name}_relu`);
      current = layer.name;
    }
  });

  graph
    .node('Softmax', [current], [ONNX_OUTPUT_NAME], { axis: 1 }, 'softmax')
    .output(ONNX_OUTPUT_NAME, ['batch', spec.classes]);
  return graph.toBytes(13);
}

function weightsOf(weights: CnnWeights, name: string): { kernel: tf.Tensor; bias: tf.Tensor } {
  const found = weights.get(name);
  if (!found) throw new Error(`no trained weights for layer '${name}'; train or load the snapshot first`);
  return found;
}
