/** Runs an exported classifier through onnxruntime-node on flat [count, side*side] pixels. */
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export-onnx.js';

/** Softmax outputs [count, classes] of `session` for images given as pixels in [0, 1], batch by batch. */
export async function onnxProbabilities(
  session: ort.InferenceSession,
  pixels: Float32Array,
  count: number,
  side: number,
  batchSize = 500,
): Promise<Float32Array> {
  const size = side * side;
  const chunks: Float32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    // One channel: NCHW and NHWC have the same memory order, so the flat pixels feed ONNX directly.
    const input = new ort.Tensor('float32', pixels.slice(start * size, (start + n) * size), [n, 1, side, side]);
    const result = await session.run({ [ONNX_INPUT_NAME]: input });
    const output = result[ONNX_OUTPUT_NAME];
    if (!output) throw new Error(`the model has no output '${ONNX_OUTPUT_NAME}'; export it with exportCnnToOnnx`);
    chunks.push(output.data as Float32Array);
  }
  const classes = count === 0 ? 0 : chunks.reduce((sum, c) => sum + c.length, 0) / count;
  const out = new Float32Array(count * classes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
