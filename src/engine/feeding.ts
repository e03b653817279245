/**
 * How a dataset feeds a model: images into the model's one image input, or a tensor dataset's named
 * arrays into the inputs of the same names (any number, float or integer: token ids, attention masks).
 * A model input the dataset does not provide is an InputError naming it.
 */
import { InputError } from '../errors.js';
import type { Dataset, Preprocessing, ResizeMode, TensorDataset } from '../io/datasets/types.js';
import { detectLayout, formatDims, imageInputSize, type ChannelLayout, type LayoutOption } from '../io/onnx/layout.js';
import { isMaskInput, type ModelInput } from '../io/onnx/model-inputs.js';
import { castTensor } from '../io/tensor.js';
import type { BatchLoader } from './extract.js';

export interface Feeding {
  /** Probe shape per model input (batch first), for listing the layers. */
  probeInputs: Record<string, number[]>;
  load: BatchLoader;
  /** Image preprocessing (image datasets only). */
  preprocessing?: Preprocessing;
  /** The image input's layout, or 'tensors': the run's model layout. */
  modelLayout: string;
  /**
   * The layout of the one 4-D float input where the data feed only that (images, or a tensor dataset's
   * arrays of images): what test-time shifts move. Absent for other inputs.
   */
  imageLayout?: ChannelLayout;
  /** What identifies how the data is fed, for the extraction config hash. */
  identity: unknown;
}

export interface ImageFeedingOptions {
  layout: LayoutOption;
  imageSize?: { width: number; height: number } | undefined;
  resize: ResizeMode;
  scale: number;
  mean?: number[] | undefined;
  std?: number[] | undefined;
}

/** Images into the one 4-D float input. */
export function imageFeeding(
  dataset: Dataset,
  inputs: ModelInput[],
  source: string,
  options: ImageFeedingOptions,
): Feeding {
  const images = inputs.filter((input) => input.type === 'float32' && input.dims.length === 4);
  const image = images[0];
  if (image === undefined || images.length > 1) {
    throw new InputError(
      `${dataset.name} holds images, but ${source} has ${images.length} image inputs [N, C, H, W] (inputs: ${describe(inputs)})`,
      {
        hint: 'feed a model with one image input, or give the data as arrays named like its inputs (.npz, Parquet, CSV columns)',
      },
    );
  }
  const other = inputs.find((input) => input !== image);
  if (other !== undefined) {
    throw new InputError(`model input '${other.name}' [${formatDims(other.dims)}] is not provided by ${dataset.name}`, {
      hint: `images feed only '${image.name}'; give the data as arrays named like every input (${inputs.map((i) => i.name).join(', ')}) in an .npz or a table`,
    });
  }
  const layout = detectLayout(image.dims, options.layout);
  const size = imageInputSize(image.dims, layout, options.imageSize);
  if (size.channels !== 1 && size.channels !== 3) {
    throw new InputError(`the model input [${image.dims.join(', ')}] has ${size.channels} channels as ${layout}`, {
      hint: 'nap feeds gray (1) or RGB (3) images; if the layout is wrong, set it with --layout NCHW or NHWC',
    });
  }
  // A model with a fixed batch size runs only on batches of that size, the probe included.
  const batch = fixedBatch(image) ?? 1;
  const preprocessing: Preprocessing = {
    width: size.width,
    height: size.height,
    channels: size.channels,
    layout,
    resize: options.resize,
    scale: options.scale,
    ...(options.mean ? { mean: options.mean } : {}),
    ...(options.std ? { std: options.std } : {}),
  };
  return {
    probeInputs: {
      [image.name]:
        layout === 'NCHW'
          ? [batch, size.channels, size.height, size.width]
          : [batch, size.height, size.width, size.channels],
    },
    load: async (indices, control) => {
      const loaded = await dataset.load(indices, preprocessing, control.signal ? { signal: control.signal } : {});
      return {
        feeds: [{ name: image.name, type: 'float32', dims: loaded.dims, data: loaded.data }],
        failed: loaded.failed,
      };
    },
    preprocessing,
    modelLayout: layout,
    imageLayout: layout,
    identity: preprocessing,
  };
}

/**
 * A tensor dataset's arrays into the inputs of the same names (the only array into the only input).
 * `layout` is the channel layout of a 4-D float input fed alone (`--layout`; 'auto' detects it).
 */
export function tensorFeeding(dataset: TensorDataset, inputs: ModelInput[], layout: LayoutOption = 'auto'): Feeding {
  const arrayOf = (input: ModelInput) =>
    dataset.arrays.find((array) => array.name === input.name) ??
    (inputs.length === 1 && dataset.arrays.length === 1 ? dataset.arrays[0] : undefined);
  const pairs = inputs.map((input) => {
    const array = arrayOf(input);
    if (array === undefined) {
      throw new InputError(
        `model input '${input.name}' [${formatDims(input.dims)}] is not provided by ${dataset.name}`,
        {
          hint: `the dataset holds ${dataset.arrays.map((a) => `'${a.name}' [${formatDims(a.itemDims)}]`).join(', ')}; name an array (npz key, column) '${input.name}'${isMaskInput(input) ? ', or tokenize a text column (--text-column with --tokenizer), which gives the mask' : ''}`,
        },
      );
    }
    const declared = input.dims.slice(1);
    const fits =
      declared.length === array.itemDims.length &&
      declared.every((dim, axis) => typeof dim !== 'number' || dim <= 0 || dim === array.itemDims[axis]);
    if (!fits) {
      throw new InputError(
        `array '${array.name}' of ${dataset.name} has items shaped [${formatDims(array.itemDims)}], but model input '${input.name}' takes [${formatDims(declared)}] per item`,
        { hint: `reshape the data to [N, ${formatDims(declared)}] (raw float32 data: --shape)` },
      );
    }
    return { input, array };
  });
  const batch = Math.max(1, ...inputs.map((input) => fixedBatch(input) ?? 1));
  const mask = pairs.find(({ input, array }) => isMaskInput(input) && array.itemDims.length === 1);
  const [only] = pairs;
  const imageShaped = pairs.length === 1 && only!.input.type === 'float32' && only!.array.itemDims.length === 3;
  return {
    probeInputs: Object.fromEntries(pairs.map(({ input, array }) => [input.name, [batch, ...array.itemDims]])),
    load: async (indices) => {
      const arrays = await dataset.loadArrays(indices);
      const feeds = pairs.map(({ input, array }) => {
        const tensor = arrays.find((candidate) => candidate.name === array.name)!;
        return { ...castTensor(tensor, input.type), name: input.name };
      });
      const maskFeed = mask && feeds.find((feed) => feed.name === mask.input.name);
      return {
        feeds,
        failed: [],
        ...(maskFeed
          ? {
              mask: {
                tokens: mask.array.itemDims[0]!,
                data: castTensor(maskFeed, 'bool').data as Uint8Array,
              },
            }
          : {}),
      };
    },
    modelLayout: 'tensors',
    ...(imageShaped ? { imageLayout: detectLayout([batch, ...only!.array.itemDims], layout) } : {}),
    identity: pairs.map(({ input, array }) => [input.name, array.name, array.type, array.itemDims]),
  };
}

function fixedBatch(input: ModelInput): number | undefined {
  const declared = input.dims[0];
  return typeof declared === 'number' && declared > 0 ? declared : undefined;
}

function describe(inputs: ModelInput[]): string {
  return inputs.map((input) => `${input.name} [${formatDims(input.dims)}] ${input.type}`).join(', ');
}
