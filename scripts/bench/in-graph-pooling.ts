/**
 * Prototype of the proposed engine change (see /tmp/engine-speed-proposal.md): aggregate inside the
 * model instead of in JavaScript. Each channels-first layer of rank >= 3 gets a GlobalAveragePool (the
 * 'mean' aggregation) and a GlobalMaxPool (the per-unit maxima) whose [N, C, 1, ...] results are the graph
 * outputs; rank-2 layers ([N, C]) are their own mean and max and are output as they are. The big spatial
 * tensors then never leave onnxruntime, which keeps its NCHWc layout and memory plan intact.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, NodeProtoSchema, TensorProto_DataType, TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { decodeModel, singleFloatInput } from '../../src/io/onnx/graph.js';
import type { LayerTensor, ModelRunner } from '../../src/io/onnx/runner.js';

/** Where a layer's mean and max come out; both are `layer` itself for rank-2 layers. */
export interface PooledOutput {
  layer: string;
  mean: string;
  max: string;
  /** Units (channels) of the layer. */
  units: number;
}

function floatOutput(name: string) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) } }),
  });
}

/** Model bytes whose extra outputs are the pooled layers; `layers` carry their probe dims (batch first, channels-first). */
export function withPooledOutputs(modelBytes: Uint8Array, layers: { name: string; dims: number[] }[]): { bytes: Uint8Array; outputs: PooledOutput[] } {
  const { model, graph } = decodeModel(modelBytes, 'model');
  const existing = new Set(graph.output.map((o) => o.name));
  const outputs: PooledOutput[] = [];
  const addOutput = (name: string) => {
    if (existing.has(name)) return;
    existing.add(name);
    graph.output.push(floatOutput(name));
  };
  for (const { name, dims } of layers) {
    if (dims.length < 3) {
      addOutput(name);
      outputs.push({ layer: name, mean: name, max: name, units: dims[1] ?? 1 });
      continue;
    }
    const mean = `${name}::nap_mean`;
    const max = `${name}::nap_max`;
    // Right after the producer, so the pools read the tensor while it is still in cache.
    const producer = graph.node.findIndex((node) => node.output.includes(name));
    graph.node.splice(
      producer + 1,
      0,
      create(NodeProtoSchema, { opType: 'GlobalAveragePool', input: [name], output: [mean], name: mean }),
      create(NodeProtoSchema, { opType: 'GlobalMaxPool', input: [name], output: [max], name: max }),
    );
    addOutput(mean);
    addOutput(max);
    outputs.push({ layer: name, mean, max, units: dims[1]! });
  }
  return { bytes: toBinary(ModelProtoSchema, model), outputs };
}

/**
 * A ModelRunner over the pooled model for throughput prototypes: each layer comes back as its [N, C]
 * means, so the engine's aggregation and checks have C values per input to go through instead of C x H x W.
 * The maxima are computed and fetched as well (their cost is in), but not handed on: the engine derives its
 * unit maxima from the same tensor, so in this prototype they equal the means. Not for real results.
 */
export async function openPooledRunner(modelBytes: Uint8Array, layers: { name: string; dims: number[] }[], threads: number): Promise<ModelRunner> {
  const { bytes, outputs } = withPooledOutputs(modelBytes, layers);
  const input = singleFloatInput(decodeModel(modelBytes, 'model').graph, 'model');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const inputName = input.name;
  const outputName = session.outputNames[0]!;
  const fetches = [...new Set([outputName, ...outputs.flatMap((o) => [o.mean, o.max])])];
  const meanOf = (pooled: PooledOutput, result: ort.InferenceSession.ReturnType, count: number): LayerTensor => ({
    name: pooled.layer,
    dims: [count, pooled.units],
    data: result[pooled.mean]!.data as Float32Array,
  });
  // `pooledNames` and `pooled` (none) let the engine's extraction take this runner whether or not its
  // ModelRunner has the proposed pooled layers.
  const runner = {
    inputName,
    inputDims: input.dims,
    outputName,
    layerNames: outputs.map((o) => o.layer),
    pooledNames: [] as string[],
    run: async (batch: Float32Array, dims: number[]) => {
      const result = await session.run({ [inputName]: new ort.Tensor('float32', batch, dims) }, fetches);
      const count = dims[0]!;
      const output = result[outputName]!;
      const extracted = {
        layers: outputs.map((o) => meanOf(o, result, count)),
        pooled: [] as never[],
        output: { name: outputName, dims: output.dims.map(Number), data: output.data as Float32Array },
      };
      return extracted;
    },
    close: () => session.release(),
  };
  return runner;
}
