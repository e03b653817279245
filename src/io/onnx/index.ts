/** The ONNX model layer: building, inspecting and running models. */
export { OnnxGraphBuilder, type OnnxAttribute } from './builder.js';
export { candidateLayers, closeMatches, withExtraOutputs, type CandidateLayer } from './graph.js';
export { defaultLayerNames } from './defaults.js';
export { listLayers, listLayersOfBytes, type LayerInfo, type ListLayersOptions } from './inspect.js';
export { detectLayout, imageInputSize, type ChannelLayout, type ImageSize, type LayoutOption } from './layout.js';
export { openOnnxBytes, openOnnxModel, type LayerTensor, type ModelRunner, type OnnxRunnerOptions } from './runner.js';
export { readModelFile } from './session.js';
