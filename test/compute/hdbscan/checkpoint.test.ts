import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Checkpoint } from '../../../src/compute/hdbscan/checkpoint.js';
import { CancelledError } from '../../../src/errors.js';

describe('Checkpoint.due', () => {
  it('is true as soon as the signal is aborted, so a loop that ticks only when due still stops', async () => {
    const controller = new AbortController();
    const checkpoint = new Checkpoint({ signal: controller.signal }, 'spanning tree', 100);
    controller.abort();
    assert.equal(checkpoint.due(), true);
    await assert.rejects(checkpoint.tick(1), CancelledError);
  });

  it('is true once a yield is due', async () => {
    const checkpoint = new Checkpoint(undefined, 'spanning tree', 100);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(checkpoint.due(), true);
  });
});
