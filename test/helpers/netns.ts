/**
 * A small private network for multi-host tests: one network namespace per "machine", each with
 * its own eth0 and address, all plugged into a bridge that lives in a namespace of its own, so
 * nothing is added to the host's network. Traffic between machines crosses veth pairs and the
 * bridge as it would cross a LAN. Needs root and iproute2; `destroy()` kills whatever still runs
 * inside the namespaces and removes them (which removes their links).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export interface Lan {
  /** Namespace name of machine i (0-based). */
  hosts: string[];
  /** Address of machine i on the LAN. */
  addresses: string[];
  /** argv prefix that runs a command on machine i. */
  wrap(i: number): string[];
  /** Removes the namespaces (killing what runs in them). */
  destroy(): Promise<void>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `false` when namespaces can be made here, else why not (throws under CI: they must run there). */
export function netnsUnavailable(): string | false {
  let reason: string | undefined;
  if (process.platform !== 'linux') reason = 'network namespaces need Linux';
  else if (process.getuid?.() !== 0) reason = 'network namespaces need root';
  else if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p))) reason = 'iproute2 (ip) is not installed';
  if (!reason) {
    // Prove it: a container may be root without CAP_SYS_ADMIN.
    const probe = `skprobe${randomBytes(3).toString('hex')}`;
    try {
      ip('netns', 'add', probe);
      ip('netns', 'del', probe);
    } catch (err) {
      reason = `cannot create network namespaces: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  if (!reason) return false;
  const msg = `${reason}: multi-host tests SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${msg} — but CI=true requires them`);
  process.stderr.write(`\n!!! ${msg} !!!\n\n`);
  return msg;
}

/** Creates `count` machines on 10.251.<subnet>.0/24 (addresses .1, .2, …). */
export function createLan(count: number): Lan {
  const id = randomBytes(2).toString('hex');
  const subnet = 1 + (parseInt(id, 16) % 250);
  const lan = `sk${id}lan`;
  const hosts = Array.from({ length: count }, (_, i) => `sk${id}h${i}`);
  const addresses = hosts.map((_, i) => `10.251.${subnet}.${i + 1}`);
  const created: string[] = [];
  try {
    ip('netns', 'add', lan);
    created.push(lan);
    ip('-n', lan, 'link', 'set', 'lo', 'up');
    ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lan, 'link', 'set', 'br0', 'up');
    hosts.forEach((ns, i) => {
      ip('netns', 'add', ns);
      created.push(ns);
      // One veth pair per machine: eth0 inside it, its peer on the bridge.
      ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `port${i}`, 'netns', lan);
      ip('-n', lan, 'link', 'set', `port${i}`, 'master', 'br0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${addresses[i]}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    });
  } catch (err) {
    for (const ns of created.reverse()) execFile('ip', ['netns', 'del', ns], () => {});
    throw err;
  }
  return {
    hosts,
    addresses,
    wrap: (i) => ['ip', 'netns', 'exec', hosts[i] as string],
    async destroy() {
      for (const ns of [...hosts, lan]) {
        let pids: number[] = [];
        try {
          pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
        } catch {
          /* already gone */
        }
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* exited meanwhile */
          }
        }
        await new Promise<void>((resolve) => execFile('ip', ['netns', 'del', ns], () => resolve()));
      }
    },
  };
}
