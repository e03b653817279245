/**
 * Channel layout of an image model's input, read from its declared dims.
 *
 * Rule (first that applies):
 *  1. an explicit override ('NCHW' or 'NHWC') wins;
 *  2. exactly one of dims[1] and dims[3] looks like a channel count (a fixed number from 1 to 4):
 *     that one is the channel axis;
 *  3. otherwise, images are taken to be square: if dims[2] equals dims[3] but not dims[1], NCHW;
 *     if dims[1] equals dims[2] but not dims[3], NHWC;
 *  4. otherwise NCHW, the ONNX convention (PyTorch and most exporters emit it).
 */
import { InputError, option } from '../../errors.js';

export type ChannelLayout = 'NCHW' | 'NHWC';
export type LayoutOption = ChannelLayout | 'auto';

export interface ImageSize {
  channels: number;
  height: number;
  width: number;
}

const MAX_CHANNELS = 4; // gray, gray+alpha, RGB, RGBA

export function detectLayout(dims: (number | string)[], override: LayoutOption = 'auto'): ChannelLayout {
  if (override !== 'auto') return override;
  requireImageRank(dims);
  const firstIsChannels = isChannelCount(dims[1]);
  const lastIsChannels = isChannelCount(dims[3]);
  if (firstIsChannels !== lastIsChannels) return firstIsChannels ? 'NCHW' : 'NHWC';
  const [, d1, d2, d3] = dims;
  if (d2 === d3 && d1 !== d2) return 'NCHW';
  if (d1 === d2 && d2 !== d3) return 'NHWC';
  return 'NCHW';
}

/**
 * Channels, height and width of one input image. Symbolic height/width (models that take any size)
 * are replaced by `anySize`; without it they are an error, since the caller must pick a size.
 */
export function imageInputSize(
  dims: (number | string)[],
  layout: ChannelLayout,
  anySize?: { height: number; width: number },
): ImageSize {
  requireImageRank(dims);
  const [c, h, w] = layout === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  if (typeof c !== 'number') {
    throw new InputError(`the model input [${formatDims(dims)}] has a symbolic channel count '${c}'`, {
      hint: `check the channel layout (${layout} was used); if it is wrong, set ${option('layout', layout === 'NCHW' ? 'NHWC' : 'NCHW')}`,
    });
  }
  const height = typeof h === 'number' ? h : anySize?.height;
  const width = typeof w === 'number' ? w : anySize?.width;
  if (height === undefined || width === undefined) {
    throw new InputError(`the model input [${formatDims(dims)}] accepts any image size`, {
      hint: `choose one with ${option('imageSize')}`,
    });
  }
  return { channels: c, height, width };
}

function isChannelCount(dim: number | string | undefined): boolean {
  return typeof dim === 'number' && dim >= 1 && dim <= MAX_CHANNELS;
}

function requireImageRank(dims: (number | string)[]): void {
  if (dims.length !== 4) {
    throw new InputError(`the model input [${formatDims(dims)}] is not an image batch (rank ${dims.length}, need 4)`, {
      hint: 'image preprocessing needs an input shaped [N,C,H,W] or [N,H,W,C]; feed this model with tabular data instead',
    });
  }
}

export function formatDims(dims: (number | string)[]): string {
  return dims.join(', ');
}
