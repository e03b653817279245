import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  configureDuckDbAllocator,
  DUCKDB_ALLOCATOR_SETTINGS,
  DUCKDB_ALLOCATOR_VARIABLE,
} from '../../../src/io/store/allocator.js';

describe("DuckDB's allocator settings", () => {
  it('are set where the environment has none', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.equal(configureDuckDbAllocator(env), true);
    assert.equal(env[DUCKDB_ALLOCATOR_VARIABLE], 'dirty_decay_ms:0,muzzy_decay_ms:0');
    assert.equal(DUCKDB_ALLOCATOR_SETTINGS, 'dirty_decay_ms:0,muzzy_decay_ms:0');
  });

  it("keep the user's value, an empty one included (DuckDB's defaults)", () => {
    for (const value of ['dirty_decay_ms:1000', '']) {
      const env: NodeJS.ProcessEnv = { [DUCKDB_ALLOCATOR_VARIABLE]: value };
      assert.equal(configureDuckDbAllocator(env), false);
      assert.equal(env[DUCKDB_ALLOCATOR_VARIABLE], value);
    }
  });
});
