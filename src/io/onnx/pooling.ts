/**
 * In-graph pooling: nodes that reduce a channels-first layer [N, C, ...positions] to its per-unit mean and
 * max inside the model, so onnxruntime hands back 2 x C values per input instead of the whole map.
 *
 * Where the pools run matters as much as what they compute. onnxruntime orders nodes by a depth-first walk
 * back from the graph's leaves (nodes nothing reads), visiting the newest node first; pools whose results
 * are separate graph outputs are separate leaves, and the CPU layout optimizer (NCHWc) renumbers them in
 * no useful order, so most pools would run after the whole network: every tapped map stays alive until
 * the end (MobileNetV2 at batch 32: 1.1 GB resident instead of 0.6 GB) and is read back cold from memory.
 * Here one chain of Concat nodes reads every layer's results, nested from the last layer to the first, so
 * the chain's top is the newest leaf and the walk reaches each layer's pools right after the layer: each
 * map is reduced while it is still in cache (as far as it fits: see runner.ts itemsPerRun) and freed as
 * soon as the network is done with it. The other graph
 * outputs get a Shape node each (it reads no data): a graph output in the blocked layout is converted back
 * by a node the optimizer adds, newer than the chain, which would otherwise be a leaf walked first and
 * schedule the whole network before any pool. The chain's and the Shapes' outputs are graph outputs nobody
 * needs to fetch.
 */
import { create } from '@bufbuild/protobuf';
import { AttributeProtoSchema, AttributeProto_AttributeType, NodeProtoSchema, type NodeProto } from 'onnx-buf';

/** The graph outputs that carry a pooled layer's per-unit mean and max, each [N, C]. */
export function pooledOutputNames(layer: string): { mean: string; max: string } {
  return { mean: `${layer}::nap_mean`, max: `${layer}::nap_max` };
}

/** The graph output that ends the ordering chain (see the module comment); fetching it is not needed. */
export const POOL_ORDER_OUTPUT = 'nap::pool_order';

export interface PoolingNodes {
  /** Nodes to append to the graph, in a valid topological order. */
  nodes: NodeProto[];
  /** Float graph outputs to add: per layer its mean and max (pooledOutputNames), then POOL_ORDER_OUTPUT. */
  outputs: string[];
  /** The Shape nodes' int64 outputs, graph outputs too. */
  shapeOutputs: string[];
}

/**
 * The nodes that pool `layers` (tensor names in graph order, each channels-first of rank 3 or more):
 * GlobalAveragePool and GlobalMaxPool, each flattened to [N, C], and the Concat chain that orders them;
 * `otherOutputs` are the graph's other outputs, which get the Shape nodes that keep that order.
 */
export function poolingNodes(layers: string[], otherOutputs: string[] = []): PoolingNodes {
  if (layers.length === 0) return { nodes: [], outputs: [], shapeOutputs: [] };
  // Older than the chain, so the walk takes the chain first.
  const shapes = otherOutputs.map((output, i) => node('Shape', [output], `${POOL_ORDER_OUTPUT}::shape${i}`));
  const nodes: NodeProto[] = [...shapes];
  let chain: string | undefined;
  // Last layer first: each layer's nodes are then newer than the chain link they join, so the walk back
  // from the chain's top visits them before the links that lead to later layers.
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const { mean, max } = pooledOutputNames(layer);
    nodes.push(
      node('GlobalAveragePool', [layer], `${mean}::map`),
      node('Flatten', [`${mean}::map`], mean, { axis: 1 }),
      node('GlobalMaxPool', [layer], `${max}::map`),
      node('Flatten', [`${max}::map`], max, { axis: 1 }),
    );
    const link = i === 0 ? POOL_ORDER_OUTPUT : `${POOL_ORDER_OUTPUT}::${i}`;
    nodes.push(node('Concat', chain === undefined ? [mean, max] : [chain, mean, max], link, { axis: 1 }));
    chain = link;
  }
  const outputs = layers.flatMap((layer) => {
    const { mean, max } = pooledOutputNames(layer);
    return [mean, max];
  });
  return { nodes, outputs: [...outputs, POOL_ORDER_OUTPUT], shapeOutputs: shapes.map((shape) => shape.output[0]!) };
}

function node(opType: string, input: string[], output: string, ints: Record<string, number> = {}): NodeProto {
  const attribute = Object.entries(ints).map(([name, i]) =>
    create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(i) }),
  );
  return create(NodeProtoSchema, { opType, input, output: [output], name: output, attribute });
}
