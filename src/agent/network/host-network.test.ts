import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipJson, run, tryRun } from './exec.js';
import { podNetworkingAvailable, sweepOrphans, withRegistryLock } from './host-network.js';

const net = await podNetworkingAvailable();
if (!net.ok && process.env.CI === 'true') throw new Error(`pod networking unavailable: ${net.why} — CI runs as root with iproute2 and nftables`);

test('leftovers of an instance without a registry entry are swept; the caller’s own stay', { skip: net.ok ? false : net.why }, async () => {
  const orphan = 'e0f1';
  const self = 'e0f2';
  // All under the registry lock: an instance starting meanwhile would sweep the "own" bridge too.
  try {
    await withRegistryLock(async () => {
      await run('ip', ['link', 'add', `skb${orphan}00`, 'type', 'bridge']);
      await run('ip', ['link', 'add', `skb${self}00`, 'type', 'bridge']);
      await run('nft', ['add', 'table', 'ip', `skiff_${orphan}`]);
      await run('ip', ['netns', 'add', `skiff-${orphan}-sweep-test`]);
      await sweepOrphans(self, []);
      const links = (await ipJson<{ ifname: string }>(['link', 'show'])).map((l) => l.ifname);
      assert.ok(!links.includes(`skb${orphan}00`), 'orphan bridge removed');
      assert.ok(links.includes(`skb${self}00`), 'own bridge kept');
      assert.doesNotMatch((await tryRun('nft', ['list', 'tables', 'ip'])) ?? '', new RegExp(`skiff_${orphan}`));
      assert.doesNotMatch((await tryRun('ip', ['netns', 'list'])) ?? '', new RegExp(`skiff-${orphan}-`));
    });
  } finally {
    for (const id of [orphan, self]) await tryRun('ip', ['link', 'del', `skb${id}00`]);
    await tryRun('nft', ['delete', 'table', 'ip', `skiff_${orphan}`]);
    await tryRun('ip', ['netns', 'del', `skiff-${orphan}-sweep-test`]);
  }
});
