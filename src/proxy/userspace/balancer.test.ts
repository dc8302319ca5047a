import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AFFINITY_SWEEP_MS, EndpointBalancer } from './balancer.js';

const eps = (...ips: string[]) => ips.map((ip) => ({ ip, port: 80 }));
const first = (b: EndpointBalancer, client: string) => b.candidates(client)[0]?.ip;

test('round robin over the endpoints, every candidate listed once', () => {
  const b = new EndpointBalancer();
  b.update(eps('a', 'b', 'c'), undefined);
  assert.deepEqual([first(b, 'x'), first(b, 'x'), first(b, 'x'), first(b, 'x')], ['a', 'b', 'c', 'a']);
  assert.deepEqual(b.candidates('x').map((e) => e.ip), ['b', 'c', 'a']);
  b.update([], undefined);
  assert.deepEqual(b.candidates('x'), []);
});

test('ClientIP affinity pins a client until it has been idle for the timeout', () => {
  let now = 1_000_000;
  const b = new EndpointBalancer(() => now);
  b.update(eps('a', 'b', 'c'), 60);
  const pick = first(b, '10.0.0.1')!;
  b.connected('10.0.0.1', { ip: pick, port: 80 });
  for (let i = 0; i < 5; i++) {
    now += 30_000;
    const again = b.candidates('10.0.0.1')[0]!;
    assert.equal(again.ip, pick, 'still pinned while used within the timeout');
    b.connected('10.0.0.1', again);
  }
  // Other clients keep being balanced meanwhile.
  const others = new Set([first(b, '10.0.0.2'), first(b, '10.0.0.3'), first(b, '10.0.0.4')]);
  assert.equal(others.size, 3);
  now += 61_000;
  const seen = new Set<string>();
  for (let i = 0; i < 3; i++) seen.add(first(b, '10.0.0.1')!);
  assert.equal(seen.size, 3, 'an expired pin no longer applies');
});

test('a reset attempt skips the pin, and a pin to a removed endpoint is dropped', () => {
  const b = new EndpointBalancer();
  b.update(eps('a', 'b'), 100);
  b.connected('c1', { ip: 'b', port: 80 });
  assert.equal(first(b, 'c1'), 'b');
  assert.equal(b.candidates('c1', true).length, 2);
  b.update(eps('a', 'c'), 100);
  assert.notEqual(first(b, 'c1'), 'b');
});

test('affinity entries are swept after their timeout', () => {
  let now = 0;
  const b = new EndpointBalancer(() => now);
  b.update(eps('a', 'b'), 1);
  for (let i = 0; i < 100; i++) b.connected(`c${i}`, { ip: 'a', port: 80 });
  now += AFFINITY_SWEEP_MS + 2000;
  b.candidates('someone');
  assert.equal((b as unknown as { pins: Map<string, unknown> }).pins.size, 0);
});
