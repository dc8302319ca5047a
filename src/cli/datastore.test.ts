import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDatastoreEndpoint } from './datastore.js';

describe('--datastore-endpoint', () => {
  const cases: Array<{ in: string; tls?: boolean; want: ReturnType<typeof parseDatastoreEndpoint> | RegExp }> = [
    { in: 'http://10.0.0.5:2379', want: { kind: 'etcd', endpoints: [{ host: '10.0.0.5', port: 2379, secure: false }] } },
    {
      in: 'https://a.example:2379,https://b.example:12379',
      want: { kind: 'etcd', endpoints: [{ host: 'a.example', port: 2379, secure: true }, { host: 'b.example', port: 12379, secure: true }] },
    },
    // Later items inherit the scheme of the first; the port defaults to etcd's.
    { in: 'http://h1:2379,h2', want: { kind: 'etcd', endpoints: [{ host: 'h1', port: 2379, secure: false }, { host: 'h2', port: 2379, secure: false }] } },
    { in: 'etcd://[::1]:2379', want: { kind: 'etcd', endpoints: [{ host: '::1', port: 2379, secure: false }] } },
    { in: 'etcd://h:2379', tls: true, want: { kind: 'etcd', endpoints: [{ host: 'h', port: 2379, secure: true }] } },
    { in: 'sqlite:/var/lib/skiff', want: { kind: 'sqlite', path: '/var/lib/skiff' } },
    { in: 'sqlite:///var/lib/skiff/db/state.db', want: { kind: 'sqlite', path: '/var/lib/skiff/db/state.db' } },
    { in: 'mysql://db:3306', want: /unsupported scheme mysql/ },
    { in: 'h:2379', want: /expected sqlite:PATH/ },
    { in: 'http://h:2379/prefix', want: /take no path/ },
    { in: 'sqlite:', want: /needs a path/ },
  ];
  for (const c of cases) {
    it(`${c.in}${c.tls ? ' (with TLS files)' : ''}`, () => {
      if (c.want instanceof RegExp) assert.throws(() => parseDatastoreEndpoint(c.in, c.tls), c.want);
      else assert.deepEqual(parseDatastoreEndpoint(c.in, c.tls), c.want);
    });
  }
});
