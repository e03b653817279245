/** TensorFlow.js models (LayersModel and GraphModel model.json) converted to ONNX for the ONNX pipeline. */
export { convertTfjsModelFile, isTfjsModelPath, tfjsModelToOnnx } from './load.js';
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
