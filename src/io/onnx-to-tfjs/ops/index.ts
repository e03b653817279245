/** Every ONNX op the tf.js translation knows, by op type (default ONNX domain). */
import type { OpTranslator } from '../node-context.js';
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LINEAR_OPS } from './linear.js';
import { POOL_OPS } from './pool.js';
import { REDUCE_OPS } from './reduce.js';
import { RESIZE_OPS } from './resize.js';
import { SHAPE_OPS } from './shape.js';

export const OP_TRANSLATORS: Readonly<Record<string, OpTranslator>> = {
  ...ELEMENTWISE_OPS,
  ...CONV_OPS,
  ...POOL_OPS,
  ...LINEAR_OPS,
  ...REDUCE_OPS,
  ...SHAPE_OPS,
  ...RESIZE_OPS,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(OP_TRANSLATORS).sort();
