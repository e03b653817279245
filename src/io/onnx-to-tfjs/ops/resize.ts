/** Resize (and the older Upsample) of images, channels-last in tf.js: the modes tf.js has exact equivalents of. */
import * as tf from '@tensorflow/tfjs-core';
import { readInts, required, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, channelsLastPerm, logical, type Value } from '../value.js';

const NHWC: readonly number[] = channelsLastPerm(4);

function resize(ctx: NodeContext): ReturnType<OpTranslator> {
  const mode = ctx.string('mode', 'nearest');
  const transform = ctx.string('coordinate_transformation_mode', ctx.opset < 11 ? 'asymmetric' : 'half_pixel');
  const nearestMode = ctx.string('nearest_mode', 'round_prefer_floor');
  let flags: { alignCorners: boolean; halfPixelCenters: boolean } | undefined;
  if (mode === 'linear') {
    if (transform === 'half_pixel' || transform === 'pytorch_half_pixel')
      flags = { alignCorners: false, halfPixelCenters: true };
    else if (transform === 'align_corners') flags = { alignCorners: true, halfPixelCenters: false };
    else if (transform === 'asymmetric') flags = { alignCorners: false, halfPixelCenters: false };
  } else if (mode === 'nearest') {
    if (transform === 'asymmetric' && nearestMode === 'floor') flags = { alignCorners: false, halfPixelCenters: false };
    else if (transform === 'half_pixel' && nearestMode === 'round_prefer_ceil')
      flags = { alignCorners: false, halfPixelCenters: true };
  }
  if (flags === undefined) {
    throw ctx.error(
      `mode '${mode}' with coordinate_transformation_mode '${transform}'${mode === 'nearest' ? ` and nearest_mode '${nearestMode}'` : ''} is not supported`,
      'feature visualization translates bilinear resizing (half_pixel, align_corners, asymmetric) and nearest resizing (asymmetric floor, half_pixel round_prefer_ceil)',
    );
  }
  const { alignCorners, halfPixelCenters } = flags;
  return (inputs) => {
    const input = required(ctx, inputs, 0);
    if (input.perm.length !== 4)
      throw ctx.error(`a rank-${input.perm.length} input is not supported`, 'resize images [N, C, H, W]');
    const x = arranged(input, NHWC) as tf.Tensor4D;
    const [, height, width] = x.shape;
    let size: [number, number];
    const sizes = ctx.opset >= 11 && inputs[3] !== undefined ? readInts(inputs[3]) : [];
    if (sizes.length === 4) size = [sizes[2]!, sizes[3]!];
    else {
      const scalesInput = ctx.opset < 11 ? inputs[1] : inputs[2];
      const scales =
        ctx.opset < 9 ? (ctx.floats('scales') ?? []) : Array.from(logical(scalesInput as Value).dataSync());
      if (scales[0] !== 1 || scales[1] !== 1)
        throw ctx.error('scaling the batch or channel axis is not supported', 'resize only H and W');
      size = [Math.floor(height * scales[2]!), Math.floor(width * scales[3]!)];
    }
    const tensor =
      mode === 'linear'
        ? tf.image.resizeBilinear(x, size, alignCorners, halfPixelCenters)
        : tf.image.resizeNearestNeighbor(x, size, alignCorners, halfPixelCenters);
    return [{ tensor, perm: NHWC }];
  };
}

export const RESIZE_OPS: Record<string, OpTranslator> = { Resize: resize, Upsample: resize };
