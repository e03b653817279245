/**
 * Sliding-window geometry shared by the Keras and GraphModel converters, and the kernel layout change.
 * TensorFlow's 'same' padding puts the odd pixel after (bottom/right); it is written out explicitly
 * whenever the input size is known, else left to ONNX's SAME_UPPER, which follows the same rule.
 */
import { InputError } from '../../errors.js';
import type { OnnxAttribute } from '../onnx/builder.js';
import type { KerasShape } from './keras-topology.js';

export interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
}

export interface WindowGeometry {
  /** `pads` ([top, left, bottom, right]) or `auto_pad`. */
  attributes: Record<string, OnnxAttribute>;
  /** Output height and width; null where the input size is unknown. */
  size: [number | null, number | null];
}

/** `shape` is the channels-last input [N,H,W,C]; `padding` is 'valid' or 'same' (any case); `owner` names the op in errors. */
export function slidingWindow(shape: KerasShape, window: Window, padding: string, owner: string): WindowGeometry {
  const mode = padding.toLowerCase();
  if (mode !== 'valid' && mode !== 'same')
    throw new InputError(`${owner} uses padding '${padding}'`, { hint: "nap converts 'valid' and 'same' padding" });
  const before: number[] = [];
  const after: number[] = [];
  let needsAuto = false;
  const size = [0, 1].map((axis) => {
    const input = shape[axis + 1] ?? null;
    const span = (window.kernel[axis]! - 1) * window.dilations[axis]! + 1;
    const stride = window.strides[axis]!;
    if (mode === 'valid') {
      before.push(0);
      after.push(0);
      return input === null ? null : Math.floor((input - span) / stride) + 1;
    }
    const output = input === null ? null : Math.ceil(input / stride);
    // With stride 1 the total padding does not depend on the input size.
    const total =
      input !== null && output !== null
        ? Math.max((output - 1) * stride + span - input, 0)
        : stride === 1
          ? span - 1
          : undefined;
    if (total === undefined) needsAuto = true;
    before.push(Math.floor((total ?? 0) / 2));
    after.push((total ?? 0) - Math.floor((total ?? 0) / 2));
    return output;
  }) as [number | null, number | null];
  if (size.some((s) => s !== null && s < 1)) {
    throw new InputError(
      `${owner} gets a ${shape[1]}x${shape[2]} input, smaller than its ${window.kernel.join('x')} window`,
      {
        hint: 'feed larger images or convert a model made for this size',
      },
    );
  }
  return { attributes: needsAuto ? { auto_pad: 'SAME_UPPER' } : { pads: [...before, ...after] }, size };
}

/** TF's HWIO kernel [kh, kw, in, out] to ONNX's OIHW [out, in, kh, kw]. */
export function hwioToOihw(
  data: Float32Array,
  kh: number,
  kw: number,
  inChannels: number,
  outChannels: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < inChannels; i++) {
        const from = ((y * kw + x) * inChannels + i) * outChannels;
        for (let o = 0; o < outChannels; o++) out[((o * inChannels + i) * kh + y) * kw + x] = data[from + o]!;
      }
    }
  }
  return out;
}
