/** Assertion helper shared by the patch tests. */
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';

/** Runs `fn`, expecting a StatusError with this code and reason; returns it. */
export function assertStatus(fn: () => unknown, code: number, reason: string): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected StatusError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.reason, reason);
    return e;
  }
  assert.fail('expected an error');
}
