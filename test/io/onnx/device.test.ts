import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { missingFor, resolveDevice, starts } from '../../../src/io/onnx/device.js';

test('cpu always starts; auto takes a device that starts', async () => {
  assert.equal(await resolveDevice('cpu'), 'cpu');
  assert.equal(await starts('cpu'), true);
  assert.equal(await starts(await resolveDevice('auto')), true);
});

for (const device of ['cuda', 'webgpu'] as const) {
  test(`--device ${device}: a missing library is named in one line, with no fallback`, async () => {
    const missing = missingFor(device);
    if (missing === undefined) {
      // The libraries are there (a GPU machine): the device is taken as asked.
      assert.equal(await resolveDevice(device), device);
      return;
    }
    await assert.rejects(
      resolveDevice(device),
      (error: unknown) =>
        error instanceof InputError &&
        // One line says it all (the hint follows on the next).
        error.message.split('\n')[0] === `--device ${device}: ${missing}` &&
        /\.so/.test(missing),
    );
  });
}
