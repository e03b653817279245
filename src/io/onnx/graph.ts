/**
 * Reading an ONNX model's graph: which node outputs are activations a user can study, and deriving
 * (in memory) a copy of the model that also returns chosen intermediate tensors as graph outputs.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  TensorProto_DataType,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { InputError, option } from '../../errors.js';
import { poolingNodes } from './pooling.js';

/** One tensor produced by a node that can be read out as a layer. */
export interface CandidateLayer {
  /** The tensor (node output) name: what users pass to pick the layer. */
  name: string;
  /** The producing node's name, or `<opType>_<index>` when the model leaves it empty. */
  nodeName: string;
  opType: string;
  /** Position of the producing node in the graph (topological order). */
  nodeIndex: number;
}

/** A declared graph input or output: its float element type flag and dims as written (symbolic allowed). */
export interface GraphValue {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

export interface DecodedModel {
  model: ModelProto;
  graph: GraphProto;
}

const FLOAT: number = TensorProto_DataType.FLOAT;
const INT64 = TensorProto_DataType.INT64;
const BOOL = TensorProto_DataType.BOOL;

/** Ops whose outputs have a fixed non-float type whatever their inputs are. */
const FIXED_OUTPUT_TYPE: Record<string, number> = {
  Shape: INT64,
  Size: INT64,
  NonZero: INT64,
  ArgMax: INT64,
  ArgMin: INT64,
  Equal: BOOL,
  Less: BOOL,
  LessOrEqual: BOOL,
  Greater: BOOL,
  GreaterOrEqual: BOOL,
  Not: BOOL,
  And: BOOL,
  Or: BOOL,
  Xor: BOOL,
  IsNaN: BOOL,
  IsInf: BOOL,
  QuantizeLinear: TensorProto_DataType.UINT8,
  DynamicQuantizeLinear: TensorProto_DataType.UINT8,
};

/** Ops with a float first output but an integer/bool second output (indices, masks). */
const SECOND_OUTPUT_TYPE: Record<string, number> = { MaxPool: INT64, TopK: INT64, Dropout: BOOL };

/** Decodes ONNX bytes; anything that is not a model with a graph becomes an InputError naming `source`. */
export function decodeModel(bytes: Uint8Array, source: string): DecodedModel {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (cause) {
    throw notOnnx(source, cause);
  }
  const graph = model.graph;
  // Protobuf decoding accepts many byte strings; a real model has a graph with nodes and an input.
  if (!graph || graph.node.length === 0 || graph.input.length === 0 || model.opsetImport.length === 0) {
    throw notOnnx(source);
  }
  return { model, graph };
}

function notOnnx(source: string, cause?: unknown): InputError {
  return new InputError(`${source} is not a readable ONNX model`, {
    hint: 'pass a .onnx file exported by a framework (e.g. torch.onnx.export, tf2onnx); the file may be corrupt or truncated',
    cause,
  });
}

/** Graph inputs that are fed at run time (older models also list initializers as inputs). */
export function runtimeInputs(graph: GraphProto): GraphValue[] {
  const constants = new Set(graph.initializer.map((t) => t.name));
  return graph.input.filter((v) => !constants.has(v.name)).map(toGraphValue);
}

/** The one float32 runtime input nap feeds; anything else is an InputError naming `source`. */
export function singleFloatInput(graph: GraphProto, source: string): GraphValue {
  const inputs = runtimeInputs(graph);
  const [input, ...others] = inputs;
  if (!input || others.length > 0) {
    throw new InputError(`${source} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')})`, {
      hint: 'nap feeds one float32 input tensor; export the model with a single input',
    });
  }
  if (input.elemType !== FLOAT) {
    throw new InputError(`input '${input.name}' of ${source} is not float32 (ONNX element type ${input.elemType})`, {
      hint: 'nap feeds float32 tensors; export the model with a float32 input',
    });
  }
  return input;
}

export function graphOutputs(graph: GraphProto): GraphValue[] {
  return graph.output.map(toGraphValue);
}

function toGraphValue(info: ValueInfoProto): GraphValue {
  const tensor = info.type?.value.case === 'tensorType' ? info.type.value.value : undefined;
  const dims = (tensor?.shape?.dim ?? []).map((d, i): number | string => {
    if (d.value.case === 'dimValue') return Number(d.value.value);
    if (d.value.case === 'dimParam' && d.value.value !== '') return d.value.value;
    return `unk_${i}`;
  });
  return { name: info.name, elemType: tensor?.elemType ?? 0, dims };
}

export interface GraphAnalysis {
  /** Candidate layers in graph (topological) order. */
  candidates: CandidateLayer[];
  /** Every tensor computed from the runtime inputs, whatever its type; the rest are constants. */
  dynamic: Set<string>;
}

/**
 * Every node output that is a float32 tensor computed from the runtime inputs. Skipped: outputs that
 * only depend on constants (Constant, reshaped or dequantized weights), and non-float outputs such as
 * Shape/Gather-on-shape chains, int64 Reshape targets, comparison masks and pooling indices. Element
 * types are propagated through the graph (declared value_info wins), so no shape inference is needed.
 */
export function candidateLayers(graph: GraphProto): CandidateLayer[] {
  return analyzeGraph(graph).candidates;
}

export function analyzeGraph(graph: GraphProto): GraphAnalysis {
  const types = new Map<string, number>();
  const dynamic = new Set<string>();
  for (const t of graph.initializer) types.set(t.name, t.dataType);
  for (const v of runtimeInputs(graph)) {
    types.set(v.name, v.elemType);
    dynamic.add(v.name);
  }
  const declared = new Map<string, number>();
  for (const v of [...graph.valueInfo, ...graph.output]) {
    const value = toGraphValue(v);
    if (value.elemType !== 0) declared.set(v.name, value.elemType);
  }

  const candidates: CandidateLayer[] = [];
  graph.node.forEach((node, nodeIndex) => {
    const isDynamic = node.input.some((name) => dynamic.has(name));
    node.output.forEach((output, outputIndex) => {
      if (output === '') return; // an optional output the model does not use
      const type = declared.get(output) ?? inferOutputType(node, outputIndex, types);
      types.set(output, type);
      if (!isDynamic) return;
      dynamic.add(output);
      if (type !== FLOAT) return;
      candidates.push({
        name: output,
        nodeName: node.name !== '' ? node.name : `${node.opType}_${nodeIndex}`,
        opType: node.opType,
        nodeIndex,
      });
    });
  });
  return { candidates, dynamic };
}

function inferOutputType(node: NodeProto, outputIndex: number, known: Map<string, number>): number {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return 0; // custom ops: type unknown, not offered
  const second = SECOND_OUTPUT_TYPE[node.opType];
  if (outputIndex === 1 && second !== undefined) return second;
  const fixed = FIXED_OUTPUT_TYPE[node.opType];
  if (fixed !== undefined) return fixed;
  switch (node.opType) {
    case 'Cast':
      return intAttribute(node, 'to') ?? 0;
    case 'CastLike':
      return known.get(node.input[1] ?? '') ?? 0;
    case 'Where':
      return known.get(node.input[1] ?? '') ?? 0;
    case 'Constant':
      return constantType(node);
    case 'ConstantOfShape':
      return attribute(node, 'value')?.t?.dataType ?? FLOAT;
    case 'DequantizeLinear':
      return FLOAT;
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'EyeLike':
      return intAttribute(node, 'dtype') ?? known.get(node.input[0] ?? '') ?? 0;
    default: {
      // Most ops (Conv, Relu, Add, Gather, Reshape, Concat, ...) output their first input's type.
      const first = node.input.find((name) => name !== '');
      return first === undefined ? 0 : (known.get(first) ?? 0);
    }
  }
}

/** A Constant's type comes from which value attribute it carries. */
function constantType(node: NodeProto): number {
  const [value] = node.attribute;
  if (!value) return 0;
  if (value.name === 'value') return value.t?.dataType ?? 0;
  if (value.name === 'value_float' || value.name === 'value_floats') return FLOAT;
  if (value.name === 'value_int' || value.name === 'value_ints') return INT64;
  return 0;
}

function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function intAttribute(node: NodeProto, name: string): number | undefined {
  const found = attribute(node, name);
  return found ? Number(found.i) : undefined;
}

/**
 * Checks that every name is a candidate layer and returns them in the order asked. Unknown names throw
 * an InputError listing close matches.
 */
export function resolveLayers(graph: GraphProto, names: string[]): CandidateLayer[] {
  const candidates = candidateLayers(graph);
  const byName = new Map(candidates.map((c) => [c.name, c]));
  return names.map((name) => {
    const found = byName.get(name);
    if (found) return found;
    throw unknownLayer(name, candidates, graph);
  });
}

function unknownLayer(name: string, candidates: CandidateLayer[], graph: GraphProto): InputError {
  const isNodeOutput = graph.node.some((n) => n.output.includes(name));
  const reason = isNodeOutput
    ? `layer '${name}' is not a float activation (it is a shape, index or constant tensor)`
    : `layer '${name}' is not in the model`;
  const near = closeMatches(
    name,
    candidates.map((c) => c.name),
  );
  const suggestion = near.length > 0 ? `close matches: ${near.join(', ')}. ` : '';
  return new InputError(reason, {
    hint: `${suggestion}List the model's ${candidates.length} layers with \`nap layers MODEL\` (listLayers() in the library).`,
  });
}

/** Up to `limit` names within a small edit distance of `query` or containing it (case-insensitive). */
export function closeMatches(query: string, names: string[], limit = 5): string[] {
  const q = query.toLowerCase();
  const maxDistance = Math.max(2, Math.floor(q.length / 3));
  return names
    .map((name) => {
      const lower = name.toLowerCase();
      const distance = editDistance(q, lower);
      const related = q.length > 0 && (lower.includes(q) || q.includes(lower));
      return { name, distance, related };
    })
    .filter((m) => m.distance <= maxDistance || m.related)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((m) => m.name);
}

/** Levenshtein distance with one rolling row. */
export function editDistance(a: string, b: string): number {
  const row = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const substitution = diagonal + (a[i - 1] === b[j - 1] ? 0 : 1);
      row[j] = Math.min(above + 1, row[j - 1]! + 1, substitution);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** `model` decoded: bytes are decoded here, a model decoded before is taken as it is. */
export function decoded(model: Uint8Array | DecodedModel, source: string): DecodedModel {
  return model instanceof Uint8Array ? decodeModel(model, source) : model;
}

/**
 * New model bytes where each named layer is also a graph output (names already outputs are kept once).
 * Each `pooled` layer (a channels-first tensor [N, C, ...positions] of rank 3 or more) is reduced inside the
 * model instead: its per-unit mean and max over positions are the [N, C] outputs named by pooledOutputNames,
 * so its full tensor never leaves the runtime (see pooling.ts, which also makes each layer's pools run right
 * after the layer). `source` (bytes, or a model decoded once for a whole run) is not modified; nothing is
 * written to disk.
 */
export function withExtraOutputs(
  source: Uint8Array | DecodedModel,
  names: string[],
  sourceName = 'model',
  pooled: string[] = [],
): Uint8Array {
  const { model, graph } = decoded(source, sourceName);
  resolveLayers(graph, names);
  const output = [...graph.output];
  const existing = new Set(output.map((o) => o.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    existing.add(name);
    output.push(floatOutputWithoutShape(name));
  }
  // Pools in graph order: their execution order follows it (pooling.ts).
  const pooledLayers = resolveLayers(graph, [...new Set(pooled)]).sort((a, b) => a.nodeIndex - b.nodeIndex);
  // Shape reads tensors only (not the sequences or maps some classic ML exports output).
  const tensorOutputs = output.filter((o) => (o.type?.value.case ?? 'tensorType') === 'tensorType').map((o) => o.name);
  const { nodes, outputs, shapeOutputs } = poolingNodes(
    pooledLayers.map((layer) => layer.name),
    tensorOutputs,
  );
  const tensors = new Set([
    ...graph.node.flatMap((node) => node.output),
    ...graph.input.map((v) => v.name),
    ...graph.initializer.map((t) => t.name),
  ]);
  const clash = nodes.flatMap((node) => node.output).find((name) => tensors.has(name));
  if (clash !== undefined) {
    const layer = pooledLayers.find((l) => clash.startsWith(`${l.name}::`))?.name;
    throw new InputError(`${sourceName} already has a tensor named '${clash}', a name nap gives its in-model pooling`, {
      hint:
        layer === undefined
          ? 'rename that tensor in the model'
          : `leave layer '${layer}' out of ${option('layers')}, or rename that tensor in the model`,
    });
  }
  output.push(...outputs.map(floatOutputWithoutShape), ...shapeOutputs.map((name) => outputWithoutShape(name, INT64)));
  // Shallow copies: the initializers (the bulk of a model) are shared with `source`, never copied.
  const extended: GraphProto = { ...graph, node: [...graph.node, ...nodes], output };
  return toBinary(ModelProtoSchema, { ...model, graph: extended });
}

function floatOutputWithoutShape(name: string): ValueInfoProto {
  return outputWithoutShape(name, FLOAT);
}

/** The shape is left out on purpose: onnxruntime infers it, and a wrong guess would fail validation. */
function outputWithoutShape(name: string, elemType: number): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType }) },
    }),
  });
}
