/**
 * The root CA publisher against a real in-process API server: every namespace (existing and new)
 * gets kube-root-ca.crt; a deleted or edited copy comes back; terminating namespaces are skipped.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startInProcessApi, waitFor, type InProcessApi } from '../../../test/helpers/in-process.js';
import type { Client } from '../../client/client.js';
import { isNotFound } from '../../api/errors.js';
import { ControllerManager } from '../manager.js';
import { DESCRIPTION, DESCRIPTION_ANNOTATION, ROOT_CA_CONFIGMAP, RootCACertPublisher } from './root-ca-cert-publisher.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

async function published(client: Client, ns: string): Promise<ConfigMap | undefined> {
  try {
    return await client.configMaps(ns).get(ROOT_CA_CONFIGMAP);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

describe('root CA cert publisher', () => {
  let api: InProcessApi;
  let client: Client;
  const stop = new AbortController();
  let run: Promise<void>;

  before(async () => {
    api = await startInProcessApi();
    client = api.client('test');
    run = new ControllerManager({ client: api.client('kube-controller-manager'), controllers: [new RootCACertPublisher(CA)], leaderElection: false }).run(stop.signal);
  });
  after(async () => {
    stop.abort();
    await run;
    await api?.stop();
  });

  test('every namespace gets the CA bundle with the description annotation', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await waitFor(() => published(client, ns), 10_000, `${ROOT_CA_CONFIGMAP} in ${ns}`);
      assert.deepEqual(cm.data, { 'ca.crt': CA });
      assert.equal(cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION], DESCRIPTION);
    }
    await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } });
    await waitFor(() => published(client, 'fresh'), 10_000, 'published in a new namespace');
  });

  test('a deleted or edited copy is restored; other changes are kept', async () => {
    const cm = await waitFor(() => published(client, 'default'), 10_000, 'published');
    await client.configMaps('default').delete(ROOT_CA_CONFIGMAP);
    const again = await waitFor(async () => {
      const c = await published(client, 'default');
      return c && c.metadata?.uid !== cm.metadata?.uid ? c : undefined;
    }, 10_000, 'recreated');
    assert.deepEqual(again.data, { 'ca.crt': CA });

    await client.configMaps('default').patch(ROOT_CA_CONFIGMAP, 'merge', { data: { 'ca.crt': 'tampered', extra: 'x' }, metadata: { labels: { mine: 'yes' } } });
    const restored = await waitFor(async () => {
      const c = await published(client, 'default');
      return c?.data?.['ca.crt'] === CA ? c : undefined;
    }, 10_000, 'restored');
    assert.deepEqual(restored.data, { 'ca.crt': CA });
    assert.equal(restored.metadata?.labels?.mine, 'yes');
  });
});
