/** A store whose saveClustering runs `action` inside its transaction right after one part (a failure injected there). */
import type { ClusteringPart, NapStore } from '../../src/io/store/index.js';

export function failingAfter(store: NapStore, part: ClusteringPart, action: () => void): NapStore {
  const failing = Object.create(store) as NapStore;
  failing.saveClustering = (runId, layer, clustering) =>
    store.saveClustering(runId, layer, clustering, {
      afterStep: (done) => {
        if (done === part) action();
      },
    });
  return failing;
}
