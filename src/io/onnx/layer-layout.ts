/**
 * How each layer's tensor is laid out for aggregation: a token sequence [N, tokens, features], a spatial
 * map (channels-first [N, C, ...positions] or channels-last [N, ...positions, C]) or a flat vector, from
 * the traced feature axis (feature-axes.ts). Token layers also get their patch grid and prefix tokens:
 * when the tokens were made by flattening a spatial map of H x W patches (a ViT's patch embedding), a
 * layer of T >= H*W tokens holds T - H*W prefix tokens (CLS, a distillation token, registers) in front.
 */
import type { GraphProto, NodeProto } from 'onnx-buf';
import type { ChannelOrder } from '../../compute/aggregate.js';
import { InputError } from '../../errors.js';

export type LayerLayout = 'tokens' | 'spatial' | 'flat';

/** What a user may force per layer (`--layout LAYER=...`). */
export type LayoutOverride = 'tokens' | 'channels-first' | 'channels-last' | 'flat';

export const LAYOUT_OVERRIDES: readonly LayoutOverride[] = ['tokens', 'channels-first', 'channels-last', 'flat'];

/** Most prefix tokens a patch grid explains: CLS + distillation + registers stay far below. */
export const MAX_PREFIX_TOKENS = 16;

export interface LayerShape {
  layout: LayerLayout;
  /** Memory order of units and positions; token layers are channels-last. */
  order: ChannelOrder;
  /** Values per position (features of a token, channels of a map); a flat layer's whole length. */
  units: number;
  /** Positions per input: tokens (prefix included) of a token layer, H*W of a map, 1 when flat. */
  positions: number;
  /** Leading positions left out of patch aggregations: a token layer's prefix tokens, else 0. */
  prefixTokens: number;
  /** A token layer's patch grid, or a spatial layer's grid; null when there is none. */
  grid: { height: number; width: number } | null;
  /** 'graph': traced from the graph; 'override': forced by the user; 'guess': the graph did not tell. */
  source: 'graph' | 'override' | 'guess';
}

export interface LayoutRequest {
  /** Per layer dims, batch first (a probe's). */
  dims: readonly number[];
  /** The traced feature axis, if any. */
  axis: number | undefined;
  /** The patch grid the layer's tokens descend from, if any. */
  patchGrid: { height: number; width: number } | undefined;
  /** Layout when the graph does not tell (the legacy channel-order guess). */
  guess: ChannelOrder;
  override?: LayoutOverride | undefined;
  prefixOverride?: number | undefined;
}

/** The layout of one layer (see the module comment); `name` is for error messages. */
export function layerShape(name: string, request: LayoutRequest): LayerShape {
  const item = request.dims.slice(1);
  const size = item.reduce((a, b) => a * b, 1);
  const flat = (source: LayerShape['source']): LayerShape => ({
    layout: 'flat',
    order: 'channels-last',
    units: size,
    positions: 1,
    prefixTokens: 0,
    grid: null,
    source,
  });
  const override = request.override;
  if (override === 'flat') return flat('override');
  if (item.length <= 1) {
    if (override !== undefined) throw cannotForce(name, override, request.dims);
    return flat('graph');
  }
  let kind: 'tokens' | ChannelOrder | 'flat';
  let source: LayerShape['source'] = 'graph';
  if (override !== undefined) {
    kind = override;
    source = 'override';
  } else if (request.axis === undefined) {
    kind = request.guess;
    source = 'guess';
  } else if (request.axis === 1) {
    kind = 'channels-first';
  } else if (request.axis === request.dims.length - 1) {
    kind = item.length === 2 ? 'tokens' : 'channels-last';
  } else {
    kind = 'flat';
  }
  if (kind === 'flat') return flat(source);
  if (kind === 'tokens') {
    if (item.length !== 2) throw cannotForce(name, 'tokens', request.dims);
    const tokens = item[0]!;
    const grid = request.patchGrid;
    const patches = grid ? grid.height * grid.width : undefined;
    const detected =
      patches !== undefined && tokens >= patches && tokens - patches <= MAX_PREFIX_TOKENS ? tokens - patches : 0;
    const prefixTokens = request.prefixOverride ?? detected;
    if (!Number.isInteger(prefixTokens) || prefixTokens < 0 || prefixTokens >= tokens) {
      throw new InputError(
        `layer '${name}' has ${tokens} tokens, so ${prefixTokens} prefix tokens leave no patch token`,
        {
          hint: `set --prefix-tokens from 0 to ${tokens - 1}`,
        },
      );
    }
    return {
      layout: 'tokens',
      order: 'channels-last',
      units: item[1]!,
      positions: tokens,
      prefixTokens,
      grid: grid && tokens - prefixTokens === patches ? grid : null,
      source,
    };
  }
  const units = kind === 'channels-first' ? item[0]! : item[item.length - 1]!;
  const spatial = kind === 'channels-first' ? item.slice(1) : item.slice(0, -1);
  return {
    layout: 'spatial',
    order: kind,
    units,
    positions: size / units,
    prefixTokens: 0,
    grid:
      spatial.length === 2
        ? { height: spatial[0]!, width: spatial[1]! }
        : spatial.length === 1
          ? { height: 1, width: spatial[0]! }
          : null,
    source,
  };
}

function cannotForce(name: string, layout: string, dims: readonly number[]): InputError {
  return new InputError(`layer '${name}' has dims [${dims.join(', ')}], which cannot be laid out as ${layout}`, {
    hint: 'tokens need [batch, tokens, features]; spatial layouts need a batch and at least two more axes',
  });
}

const RESHAPES = new Set(['Reshape', 'Flatten']);

/**
 * The patch grid each token tensor descends from: a Reshape/Flatten of a spatial map [N, C, H, W]
 * (or [N, H, W, C]) into H*W positions starts one; every op whose output is a token tensor carries its
 * inputs' grid on (Transpose, Concat with prefix tokens, Add of position embeddings, the blocks). A token
 * layer uses it only when its token count is the grid's patches plus a few prefix tokens.
 */
export function tracePatchGrids(
  graph: GraphProto,
  shapes: ReadonlyMap<string, readonly number[]>,
  axes: ReadonlyMap<string, number>,
): Map<string, { height: number; width: number }> {
  const grids = new Map<string, { height: number; width: number }>();
  for (const node of graph.node) {
    const output = node.output[0];
    if (output === undefined || output === '') continue;
    const grid = RESHAPES.has(node.opType) ? gridOfFlattenedMap(node, shapes, axes) : undefined;
    // Carried through every op, attention heads [N, heads, tokens, d] included; only token layers use it.
    const inherited = grid ?? node.input.map((name) => grids.get(name)).find((g) => g !== undefined);
    if (inherited) grids.set(output, inherited);
  }
  return grids;
}

function gridOfFlattenedMap(
  node: NodeProto,
  shapes: ReadonlyMap<string, readonly number[]>,
  axes: ReadonlyMap<string, number>,
): { height: number; width: number } | undefined {
  const input = node.input[0] ?? '';
  const from = shapes.get(input);
  const to = shapes.get(node.output[0] ?? '');
  const axis = axes.get(input);
  if (!from || !to || from.length !== 4 || to.length !== 3 || (axis !== 1 && axis !== 3)) return undefined;
  const [height, width] = axis === 1 ? [from[2]!, from[3]!] : [from[1]!, from[2]!];
  return to.includes(height * width) && height * width > 1 ? { height, width } : undefined;
}
