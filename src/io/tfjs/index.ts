/**
 * TensorFlow.js models (LayersModel and GraphModel model.json) converted to ONNX for the ONNX pipeline, and run
 * by tf.js itself for feature visualization's gradients.
 */
export { convertTfjsModelFile, isTfjsModelPath, readModelJson, tfjsModelToOnnx } from './load.js';
export { missingGradientError, TfjsModel, type DifferentiableModel } from './direct-model.js';
export { graphModelToOnnx } from './graph-to-onnx.js';
export { layersModelToOnnx } from './keras-to-onnx.js';
export {
  parseModelJson,
  type TfjsModelFormat,
  type TfjsModelJson,
  type WeightSpec,
  type WeightsGroup,
} from './model-json.js';
export { decodeWeights, readWeights, type WeightMap, type WeightTensor } from './weights.js';
