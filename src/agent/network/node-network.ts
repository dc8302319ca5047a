/**
 * One node's pod network, as the bridge CNI plugin with host-local IPAM builds it: a Linux bridge
 * `skb<id><node>` holding the first address of the node's pod CIDR (the pods' gateway), and per
 * pod a network namespace `skiff-<id>-<pod uid>` with a veth pair — `eth0` inside with the pod's
 * address and a default route via the gateway, the host end on the bridge — and loopback up.
 *
 * Addresses come from `node.spec.podCIDR` (the node IPAM controller assigns it) and are recorded
 * as files `<node dir>/network/ips/<ip>` holding the pod UID, created exclusively (O_EXCL), as
 * host-local IPAM does: an agent restarted on the same data dir knows which pod holds which
 * address, and a pod's address is freed when its network is torn down.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cidrAddress, formatCidr, parseCidr, type Cidr } from '../../api/cidr.js';
import { ipJson, run, tryRun, writeSysctl } from './exec.js';
import { bridgePrefix, killNetnsProcesses, netnsPrefix, vethPrefix } from './host-network.js';

export interface PodNetworkAttachment {
  ip: string;
  /** `/run/netns/<name>`: what the container processes join. */
  netnsPath: string;
  netnsName: string;
}

export interface NodeNetworkOptions {
  instanceId: string;
  nodeName: string;
  /** `<node data dir>/network`. */
  dir: string;
}

export class NodeNetwork {
  readonly bridge: string;
  private cidr: Cidr | undefined;
  private readonly byPod = new Map<string, PodNetworkAttachment>();
  private bridgeReady: Promise<void> | undefined;
  /** Serialises address picks (two pods must not race for one file name). */
  private ipLock: Promise<unknown> = Promise.resolve();
  /** host-local's last reserved address: the next pick starts after it, so a freed address is not reused at once. */
  private lastOffset = 1;

  constructor(private readonly opts: NodeNetworkOptions) {
    this.bridge = `${bridgePrefix(opts.instanceId)}${createHash('sha256').update(opts.nodeName).digest('hex').slice(0, 4)}`;
  }

  private get ipsDir(): string {
    return join(this.opts.dir, 'ips');
  }

  get podCIDR(): string | undefined {
    return this.cidr ? formatCidr(this.cidr) : undefined;
  }

  /** The gateway (bridge) address: the pod CIDR's first address. */
  get gateway(): string | undefined {
    return this.cidr ? cidrAddress(this.cidr, 1) : undefined;
  }

  /** The node's pod CIDR arrived: create the bridge (idempotent). */
  async configure(podCIDR: string): Promise<void> {
    const c = parseCidr(podCIDR);
    if (this.cidr && this.cidr.base === c.base && this.cidr.prefix === c.prefix) return this.bridgeReady;
    this.cidr = c;
    this.bridgeReady = this.ensureBridge();
    return this.bridgeReady;
  }

  private async ensureBridge(): Promise<void> {
    const links = await ipJson<{ ifname: string }>(['link', 'show', 'type', 'bridge']).catch(() => []);
    if (!links.some((l) => l.ifname === this.bridge)) await run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'replace', `${this.gateway}/${this.cidr!.prefix}`, 'dev', this.bridge]);
    await run('ip', ['link', 'set', this.bridge, 'up']);
    // 127.0.0.1:<nodePort> is DNAT'ed to pods behind this bridge: loopback-sourced packets may
    // leave through it (they are masqueraded to the gateway address by the proxy's rules).
    await writeSysctl(`net/ipv4/conf/${this.bridge}/route_localnet`, '1');
  }

  /** Loads the address records kept on disk (agent restart); drops those whose namespace is gone. */
  async recover(): Promise<void> {
    await mkdir(this.ipsDir, { recursive: true, mode: 0o700 });
    const namespaces = new Set(((await tryRun('ip', ['netns', 'list'])) ?? '').split('\n').map((l) => l.trim().split(/\s+/)[0]));
    for (const ip of await readdir(this.ipsDir)) {
      const uid = (await readFile(join(this.ipsDir, ip), 'utf8').catch(() => '')).trim();
      const name = this.netnsName(uid);
      if (!uid || !namespaces.has(name)) {
        await rm(join(this.ipsDir, ip), { force: true });
        continue;
      }
      this.byPod.set(uid, { ip, netnsName: name, netnsPath: `/run/netns/${name}` });
    }
  }

  netnsName(podUid: string): string {
    return `${netnsPrefix(this.opts.instanceId)}${podUid}`;
  }

  private vethName(podUid: string): string {
    return `${vethPrefix(this.opts.instanceId)}${createHash('sha256').update(podUid).digest('hex').slice(0, 8)}`;
  }

  attachment(podUid: string): PodNetworkAttachment | undefined {
    return this.byPod.get(podUid);
  }

  /** Pod UIDs holding an address here. */
  pods(): string[] {
    return [...this.byPod.keys()];
  }

  /** Gives the pod its namespace, address and link (idempotent: a set-up pod is returned as is). */
  async setUp(podUid: string): Promise<PodNetworkAttachment> {
    const have = this.byPod.get(podUid);
    if (have) return have;
    if (!this.cidr) throw new Error('the node has no pod CIDR yet');
    await this.bridgeReady;
    const ip = await this.allocate(podUid);
    const name = this.netnsName(podUid);
    const veth = this.vethName(podUid);
    try {
      // Leftovers of an earlier attempt (a crash between the steps) go first.
      if ((await exists(`/run/netns/${name}`)) || (await exists(`/sys/class/net/${veth}`))) {
        await tryRun('ip', ['netns', 'del', name]);
        await tryRun('ip', ['link', 'del', veth]);
      }
      // Two `ip` batches, host side then the pod's side: every command is a process to start.
      // Hairpin on the bridge port (the bridge plugin's hairpinMode, kubelet's hairpin-veth): a
      // pod reaching itself through a Service or host port gets its packet back out of the port
      // it came in on, which a bridge refuses otherwise when br_netfilter bridges the DNAT'ed frame.
      await run(
        'ip',
        ['-b', '-'],
        [`netns add ${name}`, `link add ${veth} type veth peer name eth0 netns ${name}`, `link set ${veth} master ${this.bridge}`, `link set ${veth} type bridge_slave hairpin on`, `link set ${veth} up`].join('\n') + '\n',
      );
      await run('ip', ['-n', name, '-b', '-'], [`link set lo up`, `addr add ${ip}/${this.cidr.prefix} dev eth0`, `link set eth0 up`, `route add default via ${this.gateway}`].join('\n') + '\n');
    } catch (err) {
      await tryRun('ip', ['netns', 'del', name]);
      await tryRun('ip', ['link', 'del', veth]);
      await rm(join(this.ipsDir, ip), { force: true });
      throw err;
    }
    const att = { ip, netnsName: name, netnsPath: `/run/netns/${name}` };
    this.byPod.set(podUid, att);
    return att;
  }

  /** Removes the pod's namespace (ending what still runs in it), link and address. */
  async tearDown(podUid: string): Promise<void> {
    const name = this.netnsName(podUid);
    if (await exists(`/run/netns/${name}`)) {
      await killNetnsProcesses(name);
      await tryRun('ip', ['netns', 'del', name]);
    }
    // Deleting the namespace deletes the pair with its eth0; a host end left alone is removed.
    const veth = this.vethName(podUid);
    if (await exists(`/sys/class/net/${veth}`)) await tryRun('ip', ['link', 'del', veth]);
    const att = this.byPod.get(podUid);
    this.byPod.delete(podUid);
    if (att) await rm(join(this.ipsDir, att.ip), { force: true });
    else {
      // Not known in memory (a failed set-up): look for the record by content.
      for (const ip of await readdir(this.ipsDir).catch(() => [])) {
        if ((await readFile(join(this.ipsDir, ip), 'utf8').catch(() => '')).trim() === podUid) await rm(join(this.ipsDir, ip), { force: true });
      }
    }
  }

  /** Tears down every pod network and the bridge (node shutdown without leaving pods running). */
  async destroy(): Promise<void> {
    for (const uid of [...this.byPod.keys()]) await this.tearDown(uid);
    await tryRun('ip', ['link', 'del', this.bridge]);
  }

  private allocate(podUid: string): Promise<string> {
    const next = this.ipLock.then(async () => {
      const c = this.cidr!;
      await mkdir(this.ipsDir, { recursive: true, mode: 0o700 });
      const used = new Set(await readdir(this.ipsDir));
      // .0 is the network, .1 the gateway, the last the broadcast address.
      const usable = c.size - 3;
      for (let i = 0; i < usable; i++) {
        const off = 2 + ((this.lastOffset - 1 + i) % usable);
        const ip = cidrAddress(c, off);
        if (used.has(ip)) continue;
        try {
          await writeFile(join(this.ipsDir, ip), podUid, { flag: 'wx' });
          this.lastOffset = off;
          return ip;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      throw new Error(`no free address left in the node's pod CIDR ${formatCidr(c)}`);
    });
    this.ipLock = next.catch(() => undefined);
    return next;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
