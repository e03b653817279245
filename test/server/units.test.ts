/** The server's pure parts: path safety, hashed assets, routing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { ROUTES } from '../../src/results/routes.js';
import { matchRoute } from '../../src/server/router.js';
import { isHashedAsset, safeUrlPath } from '../../src/server/static-files.js';

test('URL paths that could leave the app folder are refused before touching files', () => {
  assert.equal(safeUrlPath('/assets/index-4f3a9c1b.js'), '/assets/index-4f3a9c1b.js');
  assert.equal(safeUrlPath('/a%20b/'), '/a b/');
  assert.equal(safeUrlPath('/..foo/bar..'), '/..foo/bar..', 'dots inside names are fine');
  const refused: [string, RegExp][] = [
    ['/../x', /dot segment/],
    ['/a/%2e%2E/x', /dot segment/],
    ['/a/./x', /dot segment/],
    ['/a%2Fb', /encoded slash/],
    ['/a%2fb', /encoded slash/],
    ['/a%5Cb', /backslash/],
    ['/a\\b', /backslash/],
    ['/a%00', /NUL/],
    ['/a\0', /NUL/],
    ['/%E0%A4%A', /percent-encoding/],
    ['http://host/x', /origin path/],
    ['*', /origin path/],
  ];
  for (const [raw, why] of refused)
    assert.throws(
      () => safeUrlPath(raw),
      (error: Error) => error instanceof InputError && why.test(error.message),
      raw,
    );
});

test('hashed asset names are recognised', () => {
  assert.ok(isHashedAsset('/app/assets/index-4f3a9c1b.js'));
  assert.ok(isHashedAsset('chunk.BX7k2_qz.css'));
  assert.ok(!isHashedAsset('index.js'));
  assert.ok(!isHashedAsset('favicon.ico'));
  assert.ok(!isHashedAsset('index.html'));
});

test('routes match on raw segments, so a parameter may hold an encoded slash', () => {
  const route = ROUTES.layerStats;
  const match = matchRoute([route], '/api/runs/1/layers/%2Fconv1%2FRelu_output_0/stats');
  assert.deepEqual(match?.params, { runId: '1', layer: '/conv1/Relu_output_0' });
  assert.equal(matchRoute([route], '/api/runs/1/layers//stats'), null, 'empty parameter');
  assert.equal(matchRoute([route], '/api/runs/1/layers/x/stats/'), null, 'trailing slash');
});
