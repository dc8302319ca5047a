/**
 * A stalled agent that comes back: `skiff agent` is frozen with SIGSTOP until the node lifecycle
 * controller (grace period 5 s) marks its node NotReady (Ready=Unknown), then resumed with
 * SIGCONT. Nothing changed on the agent's side, but the Node in the API says Unknown: the agent
 * must post Ready again at its next status update (kubelet compares with the API's Node), not
 * five minutes later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, SKIFF_BIN } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

test('an agent resumed after its node went NotReady posts Ready again', { skip: process.platform === 'win32' || kubectlUnavailable(), timeout: 180_000 }, async () => {
  const c = await startCluster({ args: ['--nodes', '0', '--node-monitor-grace-period', '5s'] });
  const dir = await mkdtemp(join(tmpdir(), 'skiff-agent-'));
  let agent: ChildProcess | undefined;
  try {
    const token = (await readFile(join(c.dataDir, 'node-token'), 'utf8')).trim();
    agent = spawn(process.execPath, [SKIFF_BIN, 'agent', '--server', c.url, '--token', token, '--name', 'sleepy', '--data-dir', dir, '--port', '0', '--node-ip', '127.0.0.1', '--runtime', 'simulated', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'ignore'] });
    const ready = async () => c.k(['get', 'node', 'sleepy', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).catch(() => '');
    await waitFor(async () => (await ready()) === 'True', 30_000, 'sleepy Ready');

    agent.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor(async () => (await ready()) === 'Unknown', 60_000, 'sleepy marked Unknown by the node lifecycle controller');
    assert.match(await c.k(['get', 'node', 'sleepy', '--no-headers']), /^sleepy\s+NotReady\s/);

    agent.kill('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(async () => (await ready()) === 'True', 40_000, 'sleepy Ready again after SIGCONT');
    const took = Date.now() - resumedAt;
    // The status loop runs every 10 s (kubelet's nodeStatusUpdateFrequency); the 5-minute report
    // interval must not be what brings it back.
    assert.ok(took < 30_000, `Ready again ${took} ms after resuming (stopped for ${resumedAt - stoppedAt} ms)`);
    assert.equal(await c.k(['get', 'node', 'sleepy', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}']), 'KubeletReady');
  } finally {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGCONT');
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await gone;
    }
    await c.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
