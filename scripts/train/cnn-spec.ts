/**
 * The two built-in architectures, described once and used by training (tfjs-cnn.ts) and by the ONNX
 * export (export-onnx.ts). Layer names become the ONNX tensor names of the layer outputs.
 */
export type LayerSpec =
  | { kind: 'conv'; name: string; filters: number; kernelSize: number }
  | { kind: 'maxPool'; name: string; size: number }
  | { kind: 'flatten'; name: string }
  | { kind: 'dropout'; rate: number }
  | { kind: 'dense'; name: string; units: number; relu: boolean };

export interface CnnSpec {
  /** File stem under models/ and the ONNX graph name. */
  name: string;
  /** Input height = width (square, one channel). */
  side: number;
  classes: number;
  /** Convs are 'valid' padding, stride 1, followed by ReLU; the last dense layer gives the logits. */
  layers: LayerSpec[];
}

export const MNIST_CNN: CnnSpec = {
  name: 'mnist-cnn',
  side: 28,
  classes: 10,
  layers: [
    { kind: 'conv', name: 'conv1', filters: 32, kernelSize: 3 },
    { kind: 'maxPool', name: 'pool1', size: 2 },
    { kind: 'conv', name: 'conv2', filters: 64, kernelSize: 3 },
    { kind: 'maxPool', name: 'pool2', size: 2 },
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dropout', rate: 0.5 },
    { kind: 'dense', name: 'logits', units: 10, relu: false },
  ],
};

export const FASHION_MNIST_CNN: CnnSpec = {
  name: 'fashion-mnist-cnn',
  side: 28,
  classes: 10,
  layers: [
    { kind: 'conv', name: 'conv1', filters: 32, kernelSize: 3 },
    { kind: 'maxPool', name: 'pool1', size: 2 },
    { kind: 'conv', name: 'conv2', filters: 64, kernelSize: 3 },
    { kind: 'maxPool', name: 'pool2', size: 2 },
    { kind: 'conv', name: 'conv3', filters: 64, kernelSize: 3 },
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'dense', units: 64, relu: true },
    { kind: 'dense', name: 'logits', units: 10, relu: false },
  ],
};

/** Shape [height, width, channels] after each layer, in order, starting from the input. */
export function layerShapes(spec: CnnSpec): Array<[number, number, number]> {
  const shapes: Array<[number, number, number]> = [[spec.side, spec.side, 1]];
  let [h, w, c] = shapes[0]!;
  for (const layer of spec.layers) {
    if (layer.kind === 'conv') [h, w, c] = [h - layer.kernelSize + 1, w - layer.kernelSize + 1, layer.filters];
    else if (layer.kind === 'maxPool') [h, w] = [Math.floor(h / layer.size), Math.floor(w / layer.size)];
    else if (layer.kind === 'flatten') [h, w, c] = [1, 1, h * w * c];
    else if (layer.kind === 'dense') [h, w, c] = [1, 1, layer.units];
    shapes.push([h, w, c]);
  }
  return shapes;
}

/** A human-readable one-line description for the metadata file. */
export function describeArchitecture(spec: CnnSpec): string {
  const parts = [`${spec.side}x${spec.side}x1`];
  for (const layer of spec.layers) {
    if (layer.kind === 'conv')
      parts.push(`Conv ${layer.filters} ${layer.kernelSize}x${layer.kernelSize} valid ReLU (${layer.name})`);
    else if (layer.kind === 'maxPool') parts.push(`MaxPool ${layer.size} (${layer.name})`);
    else if (layer.kind === 'flatten') parts.push(`Flatten (${layer.name})`);
    else if (layer.kind === 'dropout') parts.push(`Dropout ${layer.rate} (training only)`);
    else parts.push(`Dense ${layer.units}${layer.relu ? ' ReLU' : ''} (${layer.name})`);
  }
  parts.push('Softmax (probabilities)');
  return parts.join(' -> ');
}
