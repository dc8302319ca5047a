/**
 * The nftables ruleset of the kernel service proxy (after kube-proxy's nftables mode), one table
 * `ip skiff_<id>` replaced atomically on every change:
 *
 * - `services`, jumped to from the nat prerouting (pods) and output (the host) hooks: a verdict map
 *   from cluster IP . protocol . port, and — for destinations that are local addresses, 127.0.0.1
 *   included — from protocol . node port, to a per-service-port chain;
 * - a service-port chain picks an endpoint: first the endpoint a client's address is pinned to
 *   (sessionAffinity ClientIP: one dynamic set with timeouts per endpoint), else `numgen random`;
 * - an endpoint chain DNATs to the pod, marking the packet for masquerade when a pod reaches
 *   itself through its Service (hairpin) — masquerading happens only onto Skiff's own bridges,
 *   never onto an interface that leaves the machine;
 * - filter rules that keep service and cluster traffic on the machine: anything still addressed to
 *   the service CIDR after NAT (a Service without ready endpoints, an unknown cluster IP) is
 *   rejected at once (TCP reset: connection refused), and pods' packets are never forwarded out
 *   of the bridges.
 */
import { createHash } from 'node:crypto';
import type { ProxyServicePort } from './service-model.js';

/** Packet mark asking for masquerade (kube-proxy's 0x4000). */
export const MASQUERADE_MARK = '0x4000';

export interface RulesetInput {
  table: string;
  /** Interface-name prefix of this instance's bridges (`skb<id>`). */
  bridgePrefix: string;
  serviceCIDR: string;
  clusterCIDR: string;
  ports: ProxyServicePort[];
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** nft script that creates (or atomically replaces) the table. */
export function buildRuleset(input: RulesetInput): string {
  const t = input.table;
  const svcIPs: string[] = [];
  const nodePorts: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  for (const p of input.ports) {
    if (p.endpoints.length === 0) continue; // falls through to the reject rules: refused at once
    const h = hash(p.key);
    const svcChain = `svc-${h}`;
    if (p.clusterIP) svcIPs.push(`${p.clusterIP} . ${p.protocol} . ${p.port} : goto ${svcChain}`);
    if (p.nodePort) nodePorts.push(`${p.protocol} . ${p.nodePort} : goto ${svcChain}`);
    const body: string[] = [];
    p.endpoints.forEach((ep, i) => {
      const epChain = `ep-${h}-${i}`;
      const aff = `aff-${h}-${i}`;
      if (p.affinitySeconds !== undefined) {
        sets.push(`  set ${aff} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${p.affinitySeconds}s\n  }`);
        body.push(`    ip saddr @${aff} goto ${epChain}`);
      }
      const epBody = [`    ip saddr ${ep.ip} meta mark set meta mark | ${MASQUERADE_MARK}`];
      if (p.affinitySeconds !== undefined) epBody.push(`    update @${aff} { ip saddr }`);
      epBody.push(`    meta l4proto ${p.protocol} dnat to ${ep.ip}:${ep.port}`);
      chains.push(`  chain ${epChain} {\n${epBody.join('\n')}\n  }`);
    });
    if (p.endpoints.length === 1) body.push(`    goto ep-${h}-0`);
    else body.push(`    numgen random mod ${p.endpoints.length} vmap { ${p.endpoints.map((_, i) => `${i} : goto ep-${h}-${i}`).join(', ')} }`);
    chains.push(`  chain ${svcChain} {\n${body.join('\n')}\n  }`);
  }
  const bridges = `"${input.bridgePrefix}*"`;
  const lines = [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    `  map service-ips {\n    type ipv4_addr . inet_proto . inet_service : verdict\n${svcIPs.length ? `    elements = { ${svcIPs.join(',\n      ')} }\n` : ''}  }`,
    `  map service-nodeports {\n    type inet_proto . inet_service : verdict\n${nodePorts.length ? `    elements = { ${nodePorts.join(',\n      ')} }\n` : ''}  }`,
    ...sets,
    `  chain services {`,
    `    ip daddr . meta l4proto . th dport vmap @service-ips`,
    `    fib daddr type local meta l4proto . th dport vmap @service-nodeports`,
    `  }`,
    `  chain nat-prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    jump services\n  }`,
    `  chain nat-output {\n    type nat hook output priority -100; policy accept;\n    jump services\n  }`,
    `  chain nat-postrouting {`,
    `    type nat hook postrouting priority 100; policy accept;`,
    `    meta mark & ${MASQUERADE_MARK} == ${MASQUERADE_MARK} oifname ${bridges} masquerade`,
    // 127.0.0.1:<nodePort> DNAT'ed to a pod: the reply must come back to an address the pod can reach.
    `    ip saddr 127.0.0.0/8 oifname ${bridges} masquerade`,
    `  }`,
    `  chain filter-output {`,
    `    type filter hook output priority 0; policy accept;`,
    `    ip daddr ${input.serviceCIDR} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${input.serviceCIDR} reject`,
    `  }`,
    `  chain filter-forward {`,
    `    type filter hook forward priority 0; policy accept;`,
    `    ip daddr ${input.serviceCIDR} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${input.serviceCIDR} reject`,
    // Pods talk to each other and to the host, never past it (no masquerade to the outside).
    `    iifname ${bridges} oifname != ${bridges} reject with icmp type admin-prohibited`,
    `    oifname ${bridges} iifname != ${bridges} ip daddr ${input.clusterCIDR} ct status dnat accept`,
    `    oifname ${bridges} iifname != ${bridges} ct state established,related accept`,
    `    oifname ${bridges} iifname != ${bridges} drop`,
    `  }`,
    ...chains,
    `}`,
  ];
  return lines.join('\n') + '\n';
}

/** The script that removes the table (stop). */
export function deleteRuleset(table: string): string {
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}
