/**
 * The admin kubeconfig: one cluster (the server URL and its CA), one user (the admin bearer
 * token), one context. kubectl only sends the token over https, which is why Skiff is https-only.
 */
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
  name?: string;
}

export function buildKubeconfig(k: KubeconfigInput): string {
  const name = k.name ?? 'skiff';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster: { server: k.server, 'certificate-authority-data': Buffer.from(k.caPem).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token: k.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
  });
}
