/**
 * The default layers offered to a NAP user: the ends of layers and blocks, not every intermediate op.
 *
 * Rule, applied to the float candidate layers of a graph:
 *  1. seeds: outputs of activations (Relu, Clip, Sigmoid, HardSwish, ...), pooling (MaxPool,
 *     GlobalAveragePool, ...), residual merges (Add/Sum of two or more computed tensors), Concat of two
 *     or more computed tensors, dense layers (Gemm, MatMul with a constant weight), gated products
 *     (Mul of a tensor by a Sigmoid/HardSigmoid/Clip gate: Swish, HardSwish, squeeze-excitation), and the
 *     input of every Softmax/LogSoftmax (the logits, i.e. the last layer before Softmax);
 *  2. gate branches are internal: a gate's output and the single-use chain feeding it (the "+3" of
 *     HardSwish, the squeeze of squeeze-excitation) are never defaults;
 *  3. a default whose only consumer is an affine op with constant operands (bias Add, Div by 6,
 *     BatchNormalization) moves to that op's output, so a dense layer reads out after its bias;
 *  4. de-duplication: a default whose only consumer is an activation that is itself a default is
 *     dropped (Gemm -> Relu keeps Relu; residual Add -> Relu keeps Relu);
 *  5. block level: in a graph built of blocks (two or more merges: residual Add/Sum or Concat of computed
 *     tensors), the ops from the start of the first block (where the first merge's skip input is produced)
 *     to the last merge are block internals, so there only
 *     the merges and what directly follows a merge stay defaults (ResNet block outputs, Inception mixed
 *     layers, MobileNetV2 residual sums), as NAP studies them; the stem before the first merge and the head
 *     after the last one keep all their defaults. Any layer can still be asked for by name.
 */
import type { GraphProto, NodeProto } from 'onnx-buf';
import { analyzeGraph } from './graph.js';

const ACTIVATIONS = new Set([
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Elu',
  'Selu',
  'Celu',
  'Sigmoid',
  'HardSigmoid',
  'Tanh',
  'Clip',
  'Gelu',
  'HardSwish',
  'Mish',
  'Softplus',
  'Softsign',
  'ThresholdedRelu',
]);
const POOLS = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool']);
const GATES = new Set(['Sigmoid', 'HardSigmoid', 'Clip']);
const AFFINE = new Set(['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization']);
const SOFTMAX = new Set(['Softmax', 'LogSoftmax']);

/** Names of the default layers of `graph`, in graph order. */
export function defaultLayerNames(graph: GraphProto): string[] {
  const { candidates, dynamic } = analyzeGraph(graph);
  const isCandidate = new Set(candidates.map((c) => c.name));
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    for (const output of node.output) producer.set(output, node);
    for (const input of new Set(node.input)) {
      if (input !== '') consumers.set(input, [...(consumers.get(input) ?? []), node]);
    }
  }
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const dynamicInputs = (node: NodeProto): string[] => node.input.filter((name) => dynamic.has(name));
  /** The single node reading `tensor`, when nothing else (graph output included) reads it. */
  const soleConsumer = (tensor: string): NodeProto | undefined => {
    const readers = consumers.get(tensor) ?? [];
    return readers.length === 1 && !graphOutputs.has(tensor) ? readers[0] : undefined;
  };

  const gateOf = (mul: NodeProto): string | undefined => {
    if (mul.opType !== 'Mul' || dynamicInputs(mul).length !== 2) return undefined;
    return mul.input.find((name) => GATES.has(producer.get(name)?.opType ?? ''));
  };

  const internal = new Set<string>();
  for (const node of graph.node) {
    const gate = gateOf(node);
    if (gate !== undefined) markGateBranch(gate, node);
  }
  function markGateBranch(gate: string, mul: NodeProto): void {
    const gated = new Set(mul.input.filter((name) => name !== gate));
    const pending = [gate];
    while (pending.length > 0) {
      const tensor = pending.pop() as string;
      internal.add(tensor);
      for (const input of dynamicInputs(producer.get(tensor) as NodeProto)) {
        if (!gated.has(input) && !internal.has(input) && soleConsumer(input) && producer.has(input))
          pending.push(input);
      }
    }
  }

  const isSeed = (node: NodeProto): boolean => {
    const op = node.opType;
    if (ACTIVATIONS.has(op) || POOLS.has(op)) return true;
    const computedInputs = dynamicInputs(node).length;
    if (op === 'Add' || op === 'Sum' || op === 'Concat') return computedInputs >= 2;
    if (op === 'Gemm') return true;
    if (op === 'MatMul') return computedInputs === 1;
    return gateOf(node) !== undefined;
  };
  const seeds = new Set<string>();
  for (const candidate of candidates) {
    const node = producer.get(candidate.name) as NodeProto;
    if (node.output[0] === candidate.name && isSeed(node)) seeds.add(candidate.name);
    for (const reader of consumers.get(candidate.name) ?? []) {
      if (SOFTMAX.has(reader.opType)) seeds.add(candidate.name);
    }
  }

  const defaults = new Set<string>();
  for (const seed of seeds) {
    if (internal.has(seed)) continue;
    let tensor = seed;
    for (let next = soleConsumer(tensor); next && isConstantAffine(next, tensor); next = soleConsumer(tensor)) {
      const [output] = next.output;
      if (output === undefined || !isCandidate.has(output)) break;
      tensor = output;
    }
    defaults.add(tensor);
  }
  for (const tensor of [...defaults]) {
    const next = soleConsumer(tensor);
    if (next && ACTIVATIONS.has(next.opType) && defaults.has(next.output[0] ?? '')) defaults.delete(tensor);
  }
  dropBlockInternals();
  return candidates.map((c) => c.name).filter((name) => defaults.has(name));

  function dropBlockInternals(): void {
    const position = new Map(graph.node.map((node, i) => [node, i]));
    const isMerge = (node: NodeProto | undefined): boolean =>
      node !== undefined &&
      (node.opType === 'Add' || node.opType === 'Sum' || node.opType === 'Concat') &&
      dynamicInputs(node).length >= 2;
    const merges = graph.node.filter(isMerge).map((node) => position.get(node)!);
    if (merges.length < 2) return;
    // The first block starts where the first merge's earliest input (its skip connection) is produced.
    const first = Math.min(
      ...dynamicInputs(graph.node[merges[0]!]!).map((input) => position.get(producer.get(input)!) ?? -1),
    );
    const last = merges[merges.length - 1]!;
    for (const tensor of [...defaults]) {
      const node = producer.get(tensor)!;
      const at = position.get(node)!;
      if (at <= first || at >= last || isMerge(node)) continue;
      const afterMerge = dynamicInputs(node).some((input) => isMerge(producer.get(input)));
      if (!afterMerge) defaults.delete(tensor);
    }
  }

  function isConstantAffine(node: NodeProto, tensor: string): boolean {
    const computed = dynamicInputs(node);
    const commutative = node.opType === 'Add' || node.opType === 'Mul';
    return (
      AFFINE.has(node.opType) &&
      computed.length === 1 &&
      computed[0] === tensor &&
      (commutative || node.input[0] === tensor)
    );
  }
}
