/**
 * Transformer blocks, found from the graph's structure: a block starts at an attention (a Softmax, or a
 * fused attention op) over token tensors and ends at the last residual merge (an Add of two token tensors
 * of one shape) before the next attention. A post-norm block (BERT) ends at the LayerNormalization that
 * alone reads that merge. Each block is named by the module path its nodes carry (torch.onnx's dynamo
 * exporter records it in node metadata, the TorchScript exporter and tf2onnx in node names); `block k`
 * when there is none.
 */
import type { GraphProto, NodeProto } from 'onnx-buf';

export interface TransformerBlock {
  index: number;
  /** Module path of the block (`blocks.3`, `encoder.layer.3`), or `block <index>`. */
  name: string;
  /** The tensor the block hands to the next one. */
  output: string;
  /** Position of the block's first and last node in the graph. */
  firstNode: number;
  lastNode: number;
}

const ATTENTION_OPS = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);
const POST_NORMS = new Set(['LayerNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization']);

export function transformerBlocks(
  graph: GraphProto,
  shapes: ReadonlyMap<string, readonly number[]>,
  axes: ReadonlyMap<string, number>,
  dynamic: ReadonlySet<string>,
): TransformerBlock[] {
  const isToken = (name: string): boolean => {
    const shape = shapes.get(name);
    return shape !== undefined && shape.length === 3 && axes.get(name) === 2;
  };
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    for (const input of new Set(node.input)) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const attentions: number[] = [];
  const merges: number[] = [];
  graph.node.forEach((node, index) => {
    if (ATTENTION_OPS.has(node.opType)) attentions.push(index);
    else if (node.opType === 'Softmax' && (consumers.get(node.output[0] ?? '') ?? []).some(isAttentionProduct)) {
      attentions.push(index);
    } else if (isResidualMerge(node)) merges.push(index);
  });
  function isAttentionProduct(node: NodeProto): boolean {
    return node.opType === 'MatMul' && node.input.every((name) => dynamic.has(name));
  }
  function isResidualMerge(node: NodeProto): boolean {
    if (node.opType !== 'Add' || node.input.length !== 2) return false;
    const [a, b] = node.input as [string, string];
    const out = node.output[0] ?? '';
    const same = (x: string) => String(shapes.get(x)) === String(shapes.get(out));
    return dynamic.has(a) && dynamic.has(b) && isToken(out) && isToken(a) && isToken(b) && same(a) && same(b);
  }

  const ends = attentions.flatMap((start, k) => {
    const end = attentions[k + 1] ?? Infinity;
    const inside = merges.filter((m) => m > start && m < end);
    return inside.length > 0 ? [inside] : [];
  });
  const firstEnd = ends[0]?.[ends[0].length - 1];
  if (firstEnd === undefined) return [];
  /** The LayerNormalization that alone reads a merge: where a post-norm block ends. */
  const postNorm = (merge: NodeProto): NodeProto | undefined => {
    const output = merge.output[0] ?? '';
    const readers = consumers.get(output) ?? [];
    const sole = readers.length === 1 && !graphOutputs.has(output) ? readers[0] : undefined;
    return sole && POST_NORMS.has(sole.opType) && isToken(sole.output[0] ?? '') ? sole : undefined;
  };
  // Decided once from the first block: in a pre-norm model the last block's merge may also be read by
  // the final LayerNormalization alone, which is the head's, not the block's.
  const isPostNorm = postNorm(graph.node[firstEnd]!) !== undefined;
  const position = new Map(graph.node.map((node, index) => [node, index]));
  const producer = new Map(graph.node.flatMap((node, index) => node.output.map((name) => [name, index] as const)));
  // The first block starts after the tensor its first merge carries past it (the skip connection).
  const firstMerge = graph.node[ends[0]![0]!]!;
  let start = Math.min(...firstMerge.input.map((name) => producer.get(name) ?? -1)) + 1;
  return ends.map((inside, index): TransformerBlock => {
    const merge = graph.node[inside[inside.length - 1]!]!;
    const outputNode = (isPostNorm ? postNorm(merge) : undefined) ?? merge;
    const name = blockName(inside.map((m) => moduleScopes(graph.node[m]!))) ?? `block ${index}`;
    const lastNode = position.get(outputNode)!;
    const block = { index, name, output: outputNode.output[0]!, firstNode: start, lastNode };
    start = lastNode + 1;
    return block;
  });
}

/**
 * The module scopes a node comes from, outermost first: those torch.onnx's dynamo exporter writes in node
 * metadata (`['', 'blocks.0', 'add']` -> `['blocks.0']`), else the folders of a node name written like a
 * path (`/bert/encoder/layer.0/output/Add` -> `['bert', 'encoder', 'layer.0', 'output']`).
 */
export function moduleScopes(node: NodeProto): string[] {
  const scopes = node.metadataProps.find((entry) => entry.key === 'pkg.torch.onnx.name_scopes')?.value;
  const names =
    scopes !== undefined ? [...scopes.matchAll(/'([^']*)'/g)].map((match) => match[1]!) : node.name.split('/');
  return names.slice(0, -1).filter((name) => name !== '');
}

/**
 * A block's name: the innermost module all its residual merges share (`blocks.0`), with its parent when it
 * is one item of a list (`layer.0` in `encoder` -> `encoder.layer.0`); undefined when they share none.
 */
function blockName(scopes: string[][]): string | undefined {
  const shared: string[] = [];
  for (let depth = 0; scopes.every((s) => depth < s.length && s[depth] === scopes[0]![depth]); depth++) {
    shared.push(scopes[0]![depth]!);
  }
  const last = shared[shared.length - 1];
  if (last === undefined) return undefined;
  const parent = shared[shared.length - 2];
  return /^[A-Za-z_]\w*\.\d+$/.test(last) && parent !== undefined && !parent.includes('.') ? `${parent}.${last}` : last;
}
