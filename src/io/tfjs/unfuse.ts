/**
 * A GraphModel's fused ops (tensorflowjs_converter's _FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul)
 * rewritten as their unfused ops: the main op, BiasAdd, then the activation, the last node keeping the fused
 * node's name so that layer names do not change. tf.js differentiates a fused op as one custom gradient that
 * also computes the weights' gradient, whose kernels the wasm backend lacks (Conv2DBackpropFilter,
 * DepthwiseConv2dNative's backprops); unfused, only the input gradient is computed (input-gradients.ts).
 */
import { InputError } from '../../errors.js';
import { isRecord } from './model-json.js';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
  [key: string]: unknown;
}

const MAIN_OP: Record<string, string> = {
  _FusedConv2D: 'Conv2D',
  FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative',
  _FusedMatMul: 'MatMul',
};

/** Attributes of the fused node that only the fusion reads. */
const FUSION_ATTRS = new Set(['fused_ops', 'num_args', 'epsilon', 'leakyrelu_alpha', 'num_host_args']);

const ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Prelu']);

/** The topology with every fused node replaced by its unfused nodes; `source` names the model in errors. */
export function unfuseGraph(topology: Record<string, unknown>, source: string): Record<string, unknown> {
  const nodes = Array.isArray(topology.node) ? (topology.node as GraphNode[]) : [];
  return { ...topology, node: nodes.flatMap((node) => (MAIN_OP[node.op] ? unfuseNode(node, source) : [node])) };
}

function unfuseNode(node: GraphNode, source: string): GraphNode[] {
  const attr = node.attr ?? {};
  const fused = fusedOps(attr);
  const data = (node.input ?? []).filter((ref) => !ref.startsWith('^'));
  const control = (node.input ?? []).filter((ref) => ref.startsWith('^'));
  const mainAttr = Object.fromEntries(Object.entries(attr).filter(([key]) => !FUSION_ATTRS.has(key)));
  const dtype = { T: attr.T ?? { type: 'DT_FLOAT' } };
  const nodes: GraphNode[] = [];
  let current: GraphNode = {
    name: `${node.name}/unfused/${MAIN_OP[node.op]}`,
    op: MAIN_OP[node.op]!,
    input: [...data.slice(0, 2), ...control],
    attr: mainAttr,
  };
  let extra = 2;
  for (const op of fused) {
    nodes.push(current);
    if (op === 'BiasAdd') {
      current = { name: `${node.name}/unfused/BiasAdd`, op, input: [current.name, data[extra++]!], attr: dtype };
    } else if (ACTIVATIONS.has(op)) {
      const alpha = op === 'LeakyRelu' && isRecord(attr.leakyrelu_alpha) ? { alpha: attr.leakyrelu_alpha } : {};
      const input = op === 'Prelu' ? [current.name, data[extra++]!] : [current.name];
      current = { name: `${node.name}/unfused/${op}`, op, input, attr: { ...dtype, ...alpha } };
    } else {
      throw new InputError(`node '${node.name}' (${node.op}) of ${source} fuses ${op}, which nap cannot unfuse`, {
        hint: 'feature visualization of TF.js graph models unfuses BiasAdd and activations; convert the model without other fusions',
      });
    }
  }
  nodes.push({ ...current, name: node.name });
  return nodes;
}

function fusedOps(attr: Record<string, unknown>): string[] {
  const list = isRecord(attr.fused_ops) && isRecord(attr.fused_ops.list) ? attr.fused_ops.list.s : undefined;
  return Array.isArray(list) ? list.map((s) => Buffer.from(String(s), 'base64').toString('utf8')) : [];
}
