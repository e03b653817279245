import assert from 'node:assert/strict';
import test from 'node:test';
import { SeededRandom } from '../../../src/compute/projection/random.js';
import { shuffleWithinBlocks } from '../../../src/compute/projection/vertex-order.js';

test('shuffleWithinBlocks reorders each block among its own vertices, the same way for the same seed', () => {
  const blocks = [0, 40, 100, 100, 170];
  const order = Int32Array.from({ length: 170 }, (_, i) => 169 - i);
  const shuffled = order.slice();
  shuffleWithinBlocks(shuffled, blocks, new SeededRandom(7));
  for (let block = 0; block + 1 < blocks.length; block++) {
    const range = (values: Int32Array): number[] => [...values.subarray(blocks[block], blocks[block + 1])];
    assert.deepEqual(
      range(shuffled).sort((x, y) => x - y),
      range(order).sort((x, y) => x - y),
    );
    if (blocks[block + 1]! > blocks[block]!) assert.notDeepEqual(range(shuffled), range(order));
  }
  const again = order.slice();
  shuffleWithinBlocks(again, blocks, new SeededRandom(7));
  assert.deepEqual(again, shuffled);
  const other = order.slice();
  shuffleWithinBlocks(other, blocks, new SeededRandom(8));
  assert.notDeepEqual(other, shuffled);
});
