/**
 * Datastores from the command line: `--datastore-endpoint` values (as k3s spells them) and
 * `skiff datastore migrate`, which copies a cluster's state between SQLite and etcd.
 *
 *   sqlite:PATH                      a data dir (its db/state.db) or a .db file
 *   http://HOST:2379[,http://…]      etcd, plain TCP (`etcd://HOST:2379` too)
 *   https://HOST:2379[,https://…]    etcd over TLS (--datastore-cafile/certfile/keyfile)
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Store } from '../storage/store.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import { openEtcdStore } from '../storage/etcd/etcd-store.js';
import type { EtcdEndpoint, EtcdTlsFiles } from '../storage/etcd/etcd-client.js';
import { migrateStore, TargetNotEmptyError } from '../storage/migrate/migrate.js';
import { EVENT_TTL_SECONDS } from '../apiserver/registry/registry.js';
import { BOOTSTRAP_KEY, openBootstrap } from '../apiserver/auth/cluster-bootstrap.js';
import { installCredentials } from '../apiserver/auth/credentials.js';
import { defaultServingNames } from '../apiserver/tls/certs.js';

export type DatastoreSpec = { kind: 'sqlite'; path: string } | { kind: 'etcd'; endpoints: EtcdEndpoint[] };

/** TLS files for etcd, as flags give them. */
export interface DatastoreTlsFlags {
  cafile?: string;
  certfile?: string;
  keyfile?: string;
}

/** Default etcd client port. */
export const ETCD_DEFAULT_PORT = 2379;

/**
 * Parses a datastore endpoint. etcd endpoints are comma-separated; `etcd://` means plain TCP,
 * or TLS when `tls` is set (TLS files were given).
 */
export function parseDatastoreEndpoint(value: string, tls = false): DatastoreSpec {
  const v = value.trim();
  if (v.startsWith('sqlite:')) {
    const path = v.replace(/^sqlite:(\/\/)?/, '');
    if (!path) throw new Error(`datastore endpoint "${value}": sqlite: needs a path (sqlite:/var/lib/skiff)`);
    return { kind: 'sqlite', path: resolve(path) };
  }
  const endpoints: EtcdEndpoint[] = [];
  let scheme = '';
  for (const raw of v.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const m = /^([a-z]+):\/\//.exec(item);
    if (m) scheme = m[1] as string;
    if (!scheme) throw new Error(`datastore endpoint "${item}": expected sqlite:PATH, http://HOST:PORT, https://HOST:PORT or etcd://HOST:PORT`);
    if (!['http', 'https', 'etcd'].includes(scheme)) throw new Error(`datastore endpoint "${item}": unsupported scheme ${scheme}:// (sqlite:, http://, https://, etcd://)`);
    let url: URL;
    try {
      url = new URL(m ? item.replace(/^etcd:/, 'http:') : `http://${item}`);
    } catch {
      throw new Error(`datastore endpoint "${item}" is not a valid URL`);
    }
    if (url.pathname !== '/' && url.pathname !== '') throw new Error(`datastore endpoint "${item}": etcd endpoints take no path`);
    const port = url.port ? Number(url.port) : ETCD_DEFAULT_PORT;
    endpoints.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port, secure: scheme === 'https' || (scheme === 'etcd' && tls) });
  }
  if (endpoints.length === 0) throw new Error(`datastore endpoint "${value}" names no etcd endpoint`);
  return { kind: 'etcd', endpoints };
}

/** Reads the TLS files named by flags (undefined when none is given). */
export async function readDatastoreTls(flags: DatastoreTlsFlags): Promise<EtcdTlsFiles | undefined> {
  if (!flags.cafile && !flags.certfile && !flags.keyfile) return undefined;
  if (!!flags.certfile !== !!flags.keyfile) throw new Error('--datastore-certfile and --datastore-keyfile go together');
  const read = async (path: string | undefined, what: string) => {
    if (!path) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`cannot read the datastore ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const ca = await read(flags.cafile, 'CA file');
  const cert = await read(flags.certfile, 'certificate');
  const key = await read(flags.keyfile, 'key');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** The SQLite file of a `sqlite:` path: a data dir's db/state.db, or the path itself for a .db file. */
export async function sqliteDbPath(path: string): Promise<{ db: string; dataDir?: string }> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => !/\.(db|sqlite3?)$/.test(path),
  );
  return isDir ? { db: join(path, 'db', 'state.db'), dataDir: path } : { db: path };
}

/** Opens the store an endpoint names. */
export async function openDatastore(spec: DatastoreSpec, tls: EtcdTlsFiles | undefined, log: (msg: string) => void): Promise<Store> {
  if (spec.kind === 'sqlite') {
    const { db } = await sqliteDbPath(spec.path);
    await mkdir(dirname(db), { recursive: true, mode: 0o700 });
    return openSqliteStore({ path: db });
  }
  return openEtcdStore({ endpoints: spec.endpoints, ...(tls ? { tls } : {}), log });
}

/** Events keep Kubernetes' TTL in the target (TTLs cannot be read back through the Store). */
function migratedTtl(key: string): number | undefined {
  return key.startsWith('/registry/events/') ? EVENT_TTL_SECONDS : undefined;
}

export const DATASTORE_USAGE = `Usage: skiff datastore migrate --from ENDPOINT --to ENDPOINT [flags]

Copies a cluster's state from one datastore to another: every object, with its latest value.
Stop the servers using either datastore first. Objects keep their names, UIDs and content;
their resourceVersions change (the target numbers writes itself), so clients relist.

Endpoints:
  sqlite:PATH                 a server data dir (its db/state.db) or a .db file
  http://HOST:2379[,...]      etcd (etcd://HOST:2379 too); https:// for TLS

Flags:
  --from ENDPOINT             where to copy from
  --to ENDPOINT               where to copy to; must be empty unless --force
  --force                     replace the target's content
  --token TOKEN               with an etcd source and a sqlite: data dir target, also install the
                              cluster credentials (CA, admin and node tokens) into that data dir,
                              so kubeconfigs and agents keep working after moving back
  --datastore-cafile FILE     CA of etcd's serving certificate
  --datastore-certfile FILE   client certificate for etcd
  --datastore-keyfile FILE    client key for etcd

Examples:
  skiff datastore migrate --from sqlite:$HOME/.skiff --to http://10.0.0.5:2379
  skiff server --data-dir $HOME/.skiff --datastore-endpoint http://10.0.0.5:2379 --token SECRET
  skiff datastore migrate --from http://10.0.0.5:2379 --to sqlite:$HOME/.skiff-local --token SECRET
`;

/** `skiff datastore …`. */
export async function datastoreCommand(args: string[]): Promise<void> {
  const fail = (msg: string): never => {
    process.stderr.write(`error: ${msg}\nRun 'skiff datastore --help' for usage.\n`);
    process.exit(2);
  };
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(DATASTORE_USAGE);
    return;
  }
  if (sub !== 'migrate') return fail(`unknown datastore command "${sub}"`);
  let values;
  try {
    values = parseArgs({
      args: rest,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        force: { type: 'boolean' },
        token: { type: 'string' },
        'datastore-cafile': { type: 'string' },
        'datastore-certfile': { type: 'string' },
        'datastore-keyfile': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(DATASTORE_USAGE);
    return;
  }
  if (!values.from || !values.to) return fail('--from and --to are required');
  let from: DatastoreSpec;
  let to: DatastoreSpec;
  let tls: EtcdTlsFiles | undefined;
  try {
    tls = await readDatastoreTls({ cafile: values['datastore-cafile'], certfile: values['datastore-certfile'], keyfile: values['datastore-keyfile'] });
    from = parseDatastoreEndpoint(values.from, !!tls);
    to = parseDatastoreEndpoint(values.to, !!tls);
  } catch (err) {
    return fail((err as Error).message);
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const source = await openDatastore(from, tls, log);
  let target: Store | undefined;
  try {
    target = await openDatastore(to, tls, log);
    const started = performance.now();
    const result = await migrateStore(source, target, {
      force: values.force ?? false,
      ttlFor: migratedTtl,
      onProgress: (n) => process.stderr.write(`\rcopied ${n} keys`),
    });
    process.stderr.write('\n');
    process.stdout.write(
      `Copied ${result.copied} keys from ${values.from} (revision ${result.sourceRevision}) to ${values.to}` +
        `${result.deleted ? `, removed ${result.deleted} keys the source does not have` : ''} in ${Math.round(performance.now() - started)} ms.\n` +
        'Objects have new resourceVersions: clients relist when they reconnect.\n',
    );
    if (values.token && to.kind === 'sqlite') await installFromBootstrap(source, to.path, values.token);
  } catch (err) {
    if (err instanceof TargetNotEmptyError) return fail(err.message);
    throw err;
  } finally {
    await target?.close();
    await source.close();
  }
}

/** Installs the sealed cluster credentials of `source` into a SQLite data dir. */
async function installFromBootstrap(source: Store, path: string, token: string): Promise<void> {
  const { dataDir } = await sqliteDbPath(path);
  const sealed = await source.get(BOOTSTRAP_KEY);
  if (!dataDir || !sealed) {
    process.stdout.write(`No cluster credentials to install (${!dataDir ? 'the target is a .db file, not a data dir' : `the source has no ${BOOTSTRAP_KEY}`}).\n`);
    return;
  }
  const secrets = await openBootstrap(sealed.value, token);
  await installCredentials(dataDir, secrets, defaultServingNames('127.0.0.1'));
  process.stdout.write(`Installed the cluster credentials in ${dataDir}: start it with 'skiff server --data-dir ${dataDir}'.\n`);
}
