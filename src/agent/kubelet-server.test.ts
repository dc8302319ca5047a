/**
 * The agent's kubelet endpoint: closing it ends the stream sessions still open (a `logs -f`
 * follow and an exec session), so an agent that is told to stop does not linger on them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { KubeletServer, apiServerBearer } from './kubelet-server.js';
import { loadOrCreateServingCert } from './serving-cert.js';
import { createStreamsHandler } from './streams/streams-handler.js';
import { FakeStreamsBackend, runningPod } from './streams/testing/fake-backend.js';

const SECRET = 'fedcba9876543210fedcba9876543210';
const AUTH = `Bearer ${apiServerBearer(SECRET)}`;

test('close() ends open log follows and exec sessions', { timeout: 20_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-kubelet-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cert = await loadOrCreateServingCert(dir, 'node-1', ['127.0.0.1']);
  const server = new KubeletServer({ certPem: cert.certPem, keyPem: cert.keyPem, joinSecret: SECRET });
  const backend = new FakeStreamsBackend();
  server.setStreams(createStreamsHandler(backend));
  const port = await server.listen(0, '127.0.0.1');
  backend.addPod(runningPod('p'));
  backend.setState('uid-1', 'c', 'running');
  const log = join(dir, '0.log');
  await writeFile(log, '2024-01-01T00:00:00Z stdout F first\n');
  backend.setFiles('uid-1', 'c', false, [log]);

  // A follow of a running container: stays open until the container stops or the server closes.
  let firstData!: () => void;
  const streaming = new Promise<void>((r) => (firstData = r));
  const follow = new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/containerLogs/default/p/c?follow=true', rejectUnauthorized: false, headers: { authorization: AUTH } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        firstData();
      });
      res.on('end', () => resolve(body));
      res.on('close', () => resolve(body));
      res.on('error', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  // An exec session whose command would run for a minute.
  const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/default/p/c?command=sleep&command=60&stdout=1`, ['v5.channel.k8s.io'], { rejectUnauthorized: false, headers: { authorization: AUTH } });
  const wsClosed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  assert.equal(backend.execs.length, 1, 'the exec session started');
  await streaming;

  const started = Date.now();
  await server.close();
  assert.equal(await follow, 'first\n');
  await wsClosed;
  assert.ok(Date.now() - started < 5_000, `sessions ended at once (${Date.now() - started} ms)`);
});
