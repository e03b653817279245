/**
 * Child process of recluster-atomic.test.ts: re-selects layer `logits` of the store given as its first
 * argument and kills itself with SIGKILL right after the part named by its second argument, inside the
 * transaction that stores the new clustering. Does nothing without arguments (the test runner loads every
 * file under test/).
 */
import { recluster } from '../../src/engine/recluster.js';
import { NapStore, type ClusteringPart } from '../../src/io/store/index.js';
import { failingAfter } from './store-failure.js';

const [file, part] = process.argv.slice(2);
if (file !== undefined && part !== undefined) {
  const store = await NapStore.open(file);
  const dying = failingAfter(store, part as ClusteringPart, () => {
    process.stderr.write(`killing myself after ${part}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
  await recluster(dying, { layer: 'logits', minClusterSize: 15, selection: 'eom' });
  process.stderr.write('stored without dying\n');
}
