/**
 * "Keep this clustering": asks nap serve (started --writable) to store the page's re-cut of the layer as a
 * new clustering, with the code of nap recluster, then reloads the app on it (every answer cached before
 * the write is dropped). A refusal (read-only server, file held elsewhere) is shown with its hint.
 */
import { useState } from 'preact/hooks';
import type { Granularity } from '../data/reselection.js';
import { isStatic } from '../data/source.js';
import { formatRoute, type Route } from '../route.js';

export function KeepClustering({
  route,
  clusteringId,
  granularity,
}: {
  route: Route;
  clusteringId: number;
  granularity: Granularity;
}) {
  const [state, setState] = useState<{ busy: boolean; problem?: string }>({ busy: false });
  if (isStatic()) return null;
  const keep = async () => {
    setState({ busy: true });
    try {
      const response = await fetch(`/api/clusterings/${clusteringId}/keep`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(granularity),
      });
      const answer = (await response.json()) as { error?: string; hint?: string };
      if (!response.ok) {
        setState({
          busy: false,
          problem: `${answer.error ?? response.statusText}${answer.hint ? ` (${answer.hint})` : ''}`,
        });
        return;
      }
      // The kept clustering is the layer's newest: the plain layer URL shows it.
      const plain = {
        ...route,
        clustering: null,
        minClusterSize: null,
        selectionMethod: null,
        epsilon: null,
        node: null,
      };
      location.assign(`${location.pathname}${formatRoute(plain)}`);
    } catch (error) {
      setState({ busy: false, problem: String(error) });
    }
  };
  return (
    <span class="keep-clustering">
      <button type="button" class="button keep-button" disabled={state.busy} onClick={() => void keep()}>
        {state.busy ? 'Keeping…' : 'Keep this clustering'}
      </button>
      {state.problem && <span class="keep-problem wrong"> {state.problem}</span>}
    </span>
  );
}
