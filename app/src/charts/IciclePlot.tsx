/**
 * The icicle plot of a layer's condensed tree on a canvas (a tree of 70,000 inputs has thousands of
 * clusters): width = inputs, height = lambda (log scale: near-duplicate inputs reach very large lambdas),
 * selected patterns in their colours, the rest grey. Hover names a cluster's size, persistence and
 * majority label; a click picks its subtree.
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import { icicleScale, majorityOf, nodeAt, type IcicleLayout } from '../../../src/results/icicle-layout.js';
import { hideTooltip, showTooltip } from '../components/Tooltip.js';
import { formatCount, formatNumber, formatShare, patternName } from '../format.js';
import { prepareCanvas, useWidth } from './canvas.js';
import { ACCENT, categoryColor, LAYER_BAND } from './colors.js';

const HEIGHT = 240;
const UNSELECTED = LAYER_BAND;

export interface IciclePlotProps {
  layout: IcicleLayout;
  /** Label of a point (row position) for the majority label; null when it has none. */
  labelOf: (point: number) => string | null;
  /** Node index of the picked subtree, or -1. */
  active: number;
  onPick: (node: number) => void;
}

function describe(layout: IcicleLayout, node: number, labelOf: (point: number) => string | null) {
  const size = layout.x1[node]! - layout.x0[node]!;
  const pattern = layout.pattern[node]!;
  const majority = majorityOf(layout, node, labelOf);
  return (
    <dl class="tip-table">
      <dt>Cluster</dt>
      <dd>
        {layout.root + node}
        {pattern >= 0 ? ` = ${patternName(pattern)}` : node === 0 ? ' (root)' : ''}
      </dd>
      <dt>Inputs</dt>
      <dd>{formatCount(size)}</dd>
      <dt>{pattern >= 0 ? 'Persistence' : 'Stability'}</dt>
      <dd>{formatNumber(layout.stability[node]!)}</dd>
      <dt>Lambda</dt>
      <dd>
        {formatNumber(layout.birth[node]!)} – {formatNumber(layout.death[node]!)}
      </dd>
      {majority && majority.label !== null && (
        <>
          <dt>Majority label</dt>
          <dd>
            {majority.label} ({formatShare(majority.count / size)})
          </dd>
        </>
      )}
    </dl>
  );
}

export function IciclePlot({ layout, labelOf, active, onPick }: IciclePlotProps) {
  const [frame, width] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);

  // Drawn before the browser paints, so that a redraw shows the new picture in its first frame.
  useLayoutEffect(() => {
    if (!canvas.current || width <= 0) return;
    const context = prepareCanvas(canvas.current, width, HEIGHT);
    const { y } = icicleScale(layout, HEIGHT);
    const xScale = width / Math.max(1, layout.pointCount);
    for (let node = 0; node < layout.count; node++) {
      const pattern = layout.pattern[node]!;
      const left = layout.x0[node]! * xScale;
      const w = Math.max(0.5, (layout.x1[node]! - layout.x0[node]!) * xScale);
      const top = y(layout.birth[node]!);
      const h = Math.max(1, y(layout.death[node]!) - top);
      context.fillStyle = pattern >= 0 ? categoryColor(pattern) : UNSELECTED;
      context.fillRect(left, top, w, h);
      if (w > 3) {
        context.strokeStyle = '#ffffff';
        context.lineWidth = 0.5;
        context.strokeRect(left, top, w, h);
      }
    }
    if (active >= 0 && active < layout.count) {
      context.strokeStyle = ACCENT;
      context.lineWidth = 2;
      const left = layout.x0[active]! * xScale;
      const top = y(layout.birth[active]!);
      context.strokeRect(
        left,
        top,
        Math.max(2, (layout.x1[active]! - layout.x0[active]!) * xScale),
        Math.max(2, y(layout.death[active]!) - top),
      );
    }
  }, [layout, width, active]);

  const nodeUnder = (event: MouseEvent): number => {
    const rect = (event.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * layout.pointCount;
    return nodeAt(layout, x, icicleScale(layout, rect.height).lambda(event.clientY - rect.top));
  };

  return (
    <div class="icicle" ref={frame}>
      <canvas
        ref={canvas}
        class="icicle-canvas"
        role="img"
        aria-label={`Condensed tree: ${formatCount(layout.count)} clusters over ${formatCount(layout.pointCount)} inputs`}
        onMouseMove={(event) => {
          const node = nodeUnder(event);
          if (node < 0) hideTooltip();
          else showTooltip(new DOMRect(event.clientX + 8, event.clientY + 8, 0, 0), describe(layout, node, labelOf));
        }}
        onMouseLeave={hideTooltip}
        onClick={(event) => {
          const node = nodeUnder(event);
          if (node >= 0) onPick(node);
        }}
      />
      <div class="icicle-axis muted">
        width: inputs · height: lambda (density, log scale), root at the top · coloured: the selected patterns
      </div>
    </div>
  );
}
