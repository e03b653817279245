/**
 * Every view of the app and how it is reached: its tab, what it needs, and how the layer strip treats it.
 * A new view is a ViewName in route.ts plus one entry here.
 */
import type { JSX } from 'preact';
import type { ViewContext } from '../context.js';
import type { Route, ViewName } from '../route.js';
import { CompareView } from './CompareView.js';
import { GlossaryView } from './GlossaryView.js';
import { FlowView } from './flow/FlowView.js';
import { JaccardView } from './flow/JaccardView.js';
import { LineageView } from './flow/LineageView.js';
import { ImagesView } from './ImagesView.js';
import { LayerStatsView } from './LayerStatsView.js';
import { LayerView } from './LayerView.js';
import { MapView } from './map/MapView.js';
import { MaxActivationsView } from './MaxActivationsView.js';
import { NotesView } from './NotesView.js';
import { PatternView } from './PatternView.js';
import { RunComparisonView } from './RunComparisonView.js';
import { RunsView } from './RunsView.js';
import { LabelErrorsView } from './triage/LabelErrorsView.js';
import { ModelErrorsView } from './triage/ModelErrorsView.js';
import { DuplicatesView, OutliersView } from './triage/OutliersView.js';

export interface ViewDefinition {
  view: ViewName;
  /** Its tab in the header, in registry order; views without one are reached from other views. */
  tab?: string;
  /** The tab marked current while this view shows (a pattern page belongs to Patterns). */
  tabOf?: ViewName;
  /** Its tab is disabled until a run is chosen. */
  needsRun: boolean;
  /**
   * How the view relates to the layer strip: 'keep' = it shows one layer, and choosing another layer keeps
   * the view; 'leave' = it shows one layer, and choosing another opens that layer's patterns; absent =
   * not about one layer. Views with either show a message when the route names a layer the run lacks.
   */
  layer?: 'keep' | 'leave';
  /** No layer strip above the view. */
  hideLayerStrip?: boolean;
  /** It needs nap serve (it computes): its tab is hidden in a static export. */
  needsServer?: boolean;
  /** A count shown on the tab. */
  badge?: (route: Route) => number;
  render: (context: ViewContext) => JSX.Element;
}

export const VIEWS: readonly ViewDefinition[] = [
  {
    view: 'runs',
    tab: 'Runs',
    needsRun: false,
    hideLayerStrip: true,
    render: (context) => <RunsView context={context} />,
  },
  {
    view: 'layer',
    tab: 'Patterns',
    needsRun: true,
    layer: 'keep',
    render: (context) => <LayerView context={context} />,
  },
  {
    view: 'pattern',
    tabOf: 'layer',
    needsRun: true,
    layer: 'leave',
    render: (context) => <PatternView context={context} />,
  },
  { view: 'map', tab: 'Map', needsRun: true, layer: 'keep', render: (context) => <MapView context={context} /> },
  {
    view: 'maxact',
    tab: 'Max activations',
    needsRun: true,
    layer: 'keep',
    render: (context) => <MaxActivationsView context={context} />,
  },
  {
    view: 'stats',
    tab: 'Layer statistics',
    needsRun: true,
    layer: 'keep',
    render: (context) => <LayerStatsView context={context} />,
  },
  { view: 'flow', tab: 'Flow', needsRun: true, render: (context) => <FlowView context={context} /> },
  {
    view: 'jaccard',
    tabOf: 'flow',
    needsRun: true,
    layer: 'keep',
    render: (context) => <JaccardView context={context} />,
  },
  {
    view: 'lineage',
    tabOf: 'flow',
    needsRun: true,
    layer: 'keep',
    render: (context) => <LineageView context={context} />,
  },
  {
    view: 'label-errors',
    tab: 'Triage',
    needsRun: true,
    hideLayerStrip: true,
    render: (context) => <LabelErrorsView context={context} />,
  },
  {
    view: 'outliers',
    tabOf: 'label-errors',
    needsRun: true,
    hideLayerStrip: true,
    render: (context) => <OutliersView context={context} />,
  },
  {
    view: 'duplicates',
    tabOf: 'label-errors',
    needsRun: true,
    hideLayerStrip: true,
    render: (context) => <DuplicatesView context={context} />,
  },
  {
    view: 'model-errors',
    tab: 'Model errors',
    needsRun: true,
    hideLayerStrip: true,
    render: (context) => <ModelErrorsView context={context} />,
  },
  {
    view: 'compare',
    tab: 'Compare',
    needsRun: false,
    badge: (route) => route.pins.length,
    render: (context) => <CompareView context={context} />,
  },
  {
    view: 'compare-runs',
    tab: 'Compare runs',
    needsRun: false,
    hideLayerStrip: true,
    needsServer: true,
    render: (context) => <RunComparisonView context={context} />,
  },
  {
    view: 'images',
    tab: 'Images',
    needsRun: true,
    badge: (route) => route.selection.length,
    render: (context) => <ImagesView context={context} />,
  },
  { view: 'glossary', needsRun: false, hideLayerStrip: true, render: () => <GlossaryView /> },
  // Reached from the header's sharing controls (no tab: the header keeps to one line).
  { view: 'notes', needsRun: false, hideLayerStrip: true, render: (context) => <NotesView context={context} /> },
];

const BY_NAME = new Map(VIEWS.map((definition) => [definition.view, definition]));

export function viewDefinition(view: ViewName): ViewDefinition {
  return BY_NAME.get(view)!;
}
