/**
 * Faster replacements for the tfjs 'cpu' backend kernels that dominate CNN training.
 *
 * The stock Conv2DBackpropFilter and MaxPoolGrad kernels index through TensorBuffer.get() per element,
 * which makes one training step of a small CNN take ~20 s at batch 64. These versions walk flat typed
 * arrays in NHWC order and compute the same sums; the conv loops also skip the zeros that ReLU leaves in
 * inputs and gradients. They cover the cases our models use (NHWC, dilation 1, 'valid' padding) and fall
 * back to the stock kernel for anything else, so registering them changes speed, not results (for finite
 * values, up to float32 summation order; checked against the stock kernels in test/models/fast-cpu-kernels.test.ts).
 */
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

interface CpuBackendData {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
}

function valuesOf(backend: CpuBackendData, tensor: tf.TensorInfo): Float32Array {
  return backend.data.get(tensor.dataId).values;
}

function asPair(value: unknown): [number, number] | undefined {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  return undefined;
}

/**
 * dW[r,c,i,o] = sum over b,y,x of input[b, y*s+r, x*s+c, i] * dy[b,y,x,o]: the patches are laid out as
 * one row per kernel position (r,c,i) over all output pixels, dy as one row per output channel, and each
 * weight gradient is a dot product of two rows (see conv2dNhwcValid for why dot products).
 */
function conv2dBackpropFilterNhwcValid(
  x: Float32Array,
  xShape: readonly number[],
  dy: Float32Array,
  dyShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number],
): Float32Array {
  const [, inH, inW, inC] = xShape as [number, number, number, number];
  const [batch, outH, outW, outC] = dyShape as [number, number, number, number];
  const [filterH, filterW] = filterShape as [number, number];
  const pixels = batch * outH * outW;
  const patchSize = filterH * filterW * inC;
  const patchRows = new Float32Array(patchSize * pixels);
  let pixel = 0;
  for (let b = 0; b < batch; b++) {
    for (let yo = 0; yo < outH; yo++) {
      for (let xo = 0; xo < outW; xo++, pixel++) {
        let k = 0;
        for (let r = 0; r < filterH; r++) {
          for (let c = 0; c < filterW; c++) {
            const xBase = ((b * inH + yo * strides[0] + r) * inW + xo * strides[1] + c) * inC;
            for (let i = 0; i < inC; i++, k++) patchRows[k * pixels + pixel] = x[xBase + i]!;
          }
        }
      }
    }
  }
  const dyRows = transposeToRows(dy, pixels, outC);
  const dW = new Float32Array(patchSize * outC);
  for (let k = 0; k < patchSize; k++)
    dotRows(patchRows.subarray(k * pixels, (k + 1) * pixels), dyRows, pixels, outC, dW, k * outC);
  return dW;
}

/** [rows, cols] row-major -> [cols, rows] row-major. */
function transposeToRows(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** out[at + j] = dot(vector, rows[j]) for each of the `count` rows of length `length`, four rows per pass. */
function dotRows(
  vector: Float32Array,
  rows: Float32Array,
  length: number,
  count: number,
  out: Float32Array,
  at: number,
): void {
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const r0 = j * length;
    const r1 = r0 + length;
    const r2 = r1 + length;
    const r3 = r2 + length;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let p = 0; p < length; p++) {
      const v = vector[p]!;
      s0 += v * rows[r0 + p]!;
      s1 += v * rows[r1 + p]!;
      s2 += v * rows[r2 + p]!;
      s3 += v * rows[r3 + p]!;
    }
    out[at + j] = s0;
    out[at + j + 1] = s1;
    out[at + j + 2] = s2;
    out[at + j + 3] = s3;
  }
  for (; j < count; j++) {
    const r0 = j * length;
    let s0 = 0;
    for (let p = 0; p < length; p++) s0 += vector[p]! * rows[r0 + p]!;
    out[at + j] = s0;
  }
}

/** Routes each dy value to the first maximum (row-major scan) of its pooling window, as tfjs does. */
function maxPoolGradNhwcValid(
  x: Float32Array,
  xShape: readonly number[],
  dy: Float32Array,
  dyShape: readonly number[],
  filter: [number, number],
  strides: [number, number],
): Float32Array {
  const [batch, inH, inW, channels] = xShape as [number, number, number, number];
  const [, outH, outW] = dyShape as [number, number, number, number];
  const dx = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      for (let xo = 0; xo < outW; xo++) {
        const dyBase = ((b * outH + y) * outW + xo) * channels;
        for (let ch = 0; ch < channels; ch++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let r = 0; r < filter[0]; r++) {
            for (let c = 0; c < filter[1]; c++) {
              const index = ((b * inH + y * strides[0] + r) * inW + xo * strides[1] + c) * channels + ch;
              if (x[index]! > best) {
                best = x[index]!;
                bestIndex = index;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex]! += dy[dyBase + ch]!;
        }
      }
    }
  }
  return dx;
}

/**
 * y[b,y,x,o] = sum over r,c,i of input[b, y*s+r, x*s+c, i] * w[r,c,i,o]. Each output pixel's patch is
 * gathered once into a contiguous row, the kernel is transposed to one contiguous row per output channel,
 * and four dot products run side by side: register accumulation is several times faster in V8 than the
 * stock kernel's read-modify-write of every output element.
 */
function conv2dNhwcValid(
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  filterShape: readonly number[],
  outShape: readonly number[],
  strides: [number, number],
): Float32Array {
  const [, inH, inW, inC] = xShape as [number, number, number, number];
  const [filterH, filterW, , outC] = filterShape as [number, number, number, number];
  const [batch, outH, outW] = outShape as [number, number, number, number];
  const patchSize = filterH * filterW * inC;
  const rowSize = filterW * inC;
  const wT = transposeToRows(w, patchSize, outC);
  const patch = new Float32Array(patchSize);
  const y = new Float32Array(batch * outH * outW * outC);
  for (let b = 0; b < batch; b++) {
    for (let yo = 0; yo < outH; yo++) {
      for (let xo = 0; xo < outW; xo++) {
        for (let r = 0; r < filterH; r++) {
          const start = ((b * inH + yo * strides[0] + r) * inW + xo * strides[1]) * inC;
          patch.set(x.subarray(start, start + rowSize), r * rowSize);
        }
        dotRows(patch, wT, patchSize, outC, y, ((b * outH + yo) * outW + xo) * outC);
      }
    }
  }
  return y;
}

/** dx[b, y*s+r, x*s+c, i] += sum over o of dy[b,y,x,o] * w[r,c,i,o], over the non-zero dy only (ReLU zeroes many). */
function conv2dBackpropInputNhwcValid(
  dy: Float32Array,
  dyShape: readonly number[],
  w: Float32Array,
  filterShape: readonly number[],
  inShape: readonly number[],
  strides: [number, number],
): Float32Array {
  const [batch, outH, outW, outC] = dyShape as [number, number, number, number];
  const [filterH, filterW, inC] = filterShape as [number, number, number, number];
  const [, inH, inW] = inShape as [number, number, number, number];
  const dx = new Float32Array(batch * inH * inW * inC);
  const nonZero = new Int32Array(outC);
  for (let b = 0; b < batch; b++) {
    for (let yo = 0; yo < outH; yo++) {
      for (let xo = 0; xo < outW; xo++) {
        const dyBase = ((b * outH + yo) * outW + xo) * outC;
        let count = 0;
        for (let o = 0; o < outC; o++) if (dy[dyBase + o] !== 0) nonZero[count++] = o;
        if (count === 0) continue;
        for (let r = 0; r < filterH; r++) {
          for (let c = 0; c < filterW; c++) {
            const dxBase = ((b * inH + yo * strides[0] + r) * inW + xo * strides[1] + c) * inC;
            const wBase = (r * filterW + c) * inC * outC;
            for (let i = 0; i < inC; i++) {
              const wRow = wBase + i * outC;
              let sum = 0;
              for (let k = 0; k < count; k++) {
                const o = nonZero[k]!;
                sum += dy[dyBase + o]! * w[wRow + o]!;
              }
              dx[dxBase + i]! += sum;
            }
          }
        }
      }
    }
  }
  return dx;
}

/** Sums a [rows, cols] matrix over its rows (the bias gradient: dy summed over batch and pixels). */
function sumLeadingAxes(x: Float32Array, cols: number): Float32Array {
  const out = new Float32Array(cols);
  const rows = x.length / cols;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c]! += x[base + c]!;
  }
  return out;
}

function isChannelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** True when a conv kernel call is one our loops handle: NHWC, 'valid', dilation 1, float32. */
function plainValidConv(
  attrs: Record<string, unknown>,
  ...tensors: Array<tf.TensorInfo | undefined>
): [number, number] | undefined {
  const strides = asPair(attrs['strides']);
  const dilations = asPair(attrs['dilations'] ?? 1);
  const ok =
    strides &&
    dilations &&
    dilations[0] === 1 &&
    dilations[1] === 1 &&
    attrs['pad'] === 'valid' &&
    isChannelsLast(attrs['dataFormat']) &&
    tensors.every((t) => t !== undefined && t.dtype === 'float32');
  return ok ? strides : undefined;
}

function fastConv2d(stock: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, filter } = args.inputs;
    const strides = plainValidConv(args.attrs ?? {}, x, filter);
    if (!strides || !x || !filter) return stock(args);
    const [batch, inH, inW] = x.shape as [number, number, number, number];
    const [filterH, filterW, , outC] = filter.shape as [number, number, number, number];
    const outShape = [
      batch,
      Math.floor((inH - filterH) / strides[0]) + 1,
      Math.floor((inW - filterW) / strides[1]) + 1,
      outC,
    ];
    const backend = args.backend as CpuBackendData;
    const y = conv2dNhwcValid(
      valuesOf(backend, x),
      x.shape,
      valuesOf(backend, filter),
      filter.shape,
      outShape,
      strides,
    );
    return backend.makeTensorInfo(outShape, 'float32', y);
  };
}

function fastConv2dBackpropInput(stock: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const inputShape = attrs['inputShape'] as number[] | undefined;
    const strides = plainValidConv(attrs, dy, filter);
    if (!strides || !dy || !filter || !inputShape) return stock(args);
    const backend = args.backend as CpuBackendData;
    const dx = conv2dBackpropInputNhwcValid(
      valuesOf(backend, dy),
      dy.shape,
      valuesOf(backend, filter),
      filter.shape,
      inputShape,
      strides,
    );
    return backend.makeTensorInfo([...inputShape], 'float32', dx);
  };
}

function fastConv2dBackpropFilter(stock: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    const filterShape = attrs['filterShape'] as number[] | undefined;
    const strides = plainValidConv(attrs, x, dy);
    if (!strides || !x || !dy || !filterShape) return stock(args);
    const backend = args.backend as CpuBackendData;
    const dW = conv2dBackpropFilterNhwcValid(
      valuesOf(backend, x),
      x.shape,
      valuesOf(backend, dy),
      dy.shape,
      filterShape,
      strides,
    );
    return backend.makeTensorInfo([...filterShape], 'float32', dW);
  };
}

function fastMaxPoolGrad(stock: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, input } = args.inputs;
    const attrs = args.attrs ?? {};
    const filter = asPair(attrs['filterSize']);
    const strides = asPair(attrs['strides']);
    if (!dy || !input || !filter || !strides || attrs['pad'] !== 'valid' || input.dtype !== 'float32') {
      return stock(args);
    }
    const backend = args.backend as CpuBackendData;
    const dx = maxPoolGradNhwcValid(
      valuesOf(backend, input),
      input.shape,
      valuesOf(backend, dy),
      dy.shape,
      filter,
      strides,
    );
    return backend.makeTensorInfo([...input.shape], 'float32', dx);
  };
}

/** The stock Sum transposes the reduced axes last first; reducing all axes but the last needs no transpose. */
function fastSum(stock: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || x.dtype !== 'float32' || x.shape.length < 2) return stock(args);
    const rank = x.shape.length;
    const axes = (Array.isArray(attrs['axis']) ? attrs['axis'] : [attrs['axis']]).map((a) =>
      typeof a === 'number' && a < 0 ? a + rank : a,
    );
    const leading =
      axes.length === rank - 1 && [...axes].sort((a, b) => Number(a) - Number(b)).every((a, i) => a === i);
    if (!leading) return stock(args);
    const cols = x.shape[rank - 1]!;
    const backend = args.backend as CpuBackendData;
    const shape = attrs['keepDims'] ? [...new Array<number>(rank - 1).fill(1), cols] : [cols];
    return backend.makeTensorInfo(shape, 'float32', sumLeadingAxes(valuesOf(backend, x), cols));
  };
}

const replacements: Record<string, (stock: KernelFunc) => KernelFunc> = {
  Conv2D: fastConv2d,
  Conv2DBackpropInput: fastConv2dBackpropInput,
  Conv2DBackpropFilter: fastConv2dBackpropFilter,
  MaxPoolGrad: fastMaxPoolGrad,
  Sum: fastSum,
};

/** ReLU's gradient in one pass (the stock gradient runs Step, Cast and Multiply over the whole tensor). */
const RELU_GRAD_KERNEL = 'NapFastReluGrad';

function reluGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, x } = args.inputs;
  if (!dy || !x) throw new Error(`${RELU_GRAD_KERNEL} needs inputs dy and x`);
  const backend = args.backend as CpuBackendData;
  const dyValues = valuesOf(backend, dy);
  const xValues = valuesOf(backend, x);
  const dx = new Float32Array(dyValues.length);
  for (let i = 0; i < dx.length; i++) dx[i] = xValues[i]! > 0 ? dyValues[i]! : 0;
  return backend.makeTensorInfo([...x.shape], 'float32', dx);
}

let stockKernels: Record<string, KernelFunc> | undefined;

/**
 * Swaps the fast kernels into the 'cpu' backend registry and ReLU's gradient for the one-pass kernel.
 * Idempotent; returns the stock kernels for comparison.
 */
export function installFastCpuKernels(): Record<string, KernelFunc> {
  if (stockKernels) return stockKernels;
  const stock: Record<string, KernelFunc> = {};
  for (const [kernelName, makeFast] of Object.entries(replacements)) {
    const current = tf.getKernel(kernelName, 'cpu');
    if (!current) throw new Error(`tfjs cpu backend has no kernel ${kernelName}; is @tensorflow/tfjs 4.x installed?`);
    stock[kernelName] = current.kernelFunc;
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ ...current, kernelFunc: makeFast(current.kernelFunc) });
  }
  tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: 'cpu', kernelFunc: reluGrad });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => tf.engine().runKernel<tf.Tensor>(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0]! }),
    }),
  });
  stockKernels = stock;
  return stock;
}
