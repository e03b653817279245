/** ONNX models as differentiable tf.js computations (feature visualization needs input gradients). */
export { useTfjsBackend, TFJS_BACKENDS, type TfjsBackend } from './backend.js';
export { TranslatedModel } from './translate.js';
export { SUPPORTED_OPS } from './ops/index.js';
export type { TranslationOptions } from './node-context.js';
export { arranged, channelsLastPerm, logical, shapeOf, type Value } from './value.js';
