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
 * - host ports (`containerPort.hostPort`, the CNI portmap plugin's DNAT): a `hostports` chain
 *   ahead of the services, matching the pod's `hostIP` or any local address;
 * - node-local DNS: a pod asking the cluster DNS address is answered by the DNS server on its own
 *   node's gateway (NodeLocal DNSCache's interception), so DNS never depends on another machine;
 * - an endpoint on a loopback address (the API server bound to 127.0.0.1 behind the `kubernetes`
 *   Service, a hostNetwork pod of a local node) is reached from pods too: the DNAT to 127.0.0.1 is
 *   routed locally because Skiff's bridges have `route_localnet` on, and nowhere else;
 * - filter rules that keep service and cluster traffic on the machine: anything still addressed to
 *   the service CIDR after NAT (a Service without ready endpoints, an unknown cluster IP) is
 *   rejected at once (TCP reset: connection refused), and pods' packets leave the bridges only
 *   for another pod (on another machine, through the routes to its node: host-gw), as a
 *   service's DNAT'ed traffic, or as the answer to a connection made to a node port or host port.
 *
 * With the userspace proxy (`serviceMode: 'userspace'`) the table keeps host ports, DNS and the
 * filter rules but no service maps, and host traffic to the service CIDR is left to the bound
 * cluster IPs and the CIDR's unreachable route.
 */
import { createHash } from 'node:crypto';
import type { ProxyServicePort } from './service-model.js';
import type { PodHostPorts } from '../agent/network/host-ports.js';

/** Packet mark asking for masquerade (kube-proxy's 0x4000). */
export const MASQUERADE_MARK = '0x4000';

export interface RulesetInput {
  table: string;
  /** Interface-name prefix of this instance's bridges (`skb<id>`). */
  bridgePrefix: string;
  serviceCIDR: string;
  clusterCIDR: string;
  ports: ProxyServicePort[];
  /** Who serves Services (default nftables: this table). */
  serviceMode?: 'nftables' | 'userspace';
  /** Host port mappings of pods with their own address. */
  hostPorts?: PodHostPorts[];
  /** The cluster DNS address, answered on each local node's gateway for its own pods. */
  localDNS?: { ip: string; nodes: Array<{ bridge: string; gateway: string }> };
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** nft script that creates (or atomically replaces) the table. */
export function buildRuleset(input: RulesetInput): string {
  const t = input.table;
  const svcIPs: string[] = [];
  const nodePorts: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  const userspace = input.serviceMode === 'userspace';
  for (const p of userspace ? [] : input.ports) {
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
  const hostPortRules: string[] = [];
  for (const hp of input.hostPorts ?? []) {
    if (!hp.podIP) continue;
    for (const m of hp.mappings) {
      const chain = `hp-${hash(`${hp.podUid}/${m.protocol}/${m.hostIP ?? ''}/${m.hostPort}`)}`;
      const match = m.hostIP ? `ip daddr ${m.hostIP}` : 'fib daddr type local';
      hostPortRules.push(`    ${match} meta l4proto ${m.protocol} th dport ${m.hostPort} goto ${chain}`);
      // The pod reaching itself through its host port is masqueraded (hairpin), as portmap's SNAT chain does.
      chains.push(`  chain ${chain} {\n    ip saddr ${hp.podIP} meta mark set meta mark | ${MASQUERADE_MARK}\n    meta l4proto ${m.protocol} dnat to ${hp.podIP}:${m.containerPort}\n  }`);
    }
  }
  const dnsRules: string[] = [];
  for (const n of input.localDNS?.nodes ?? []) {
    dnsRules.push(`    iifname "${n.bridge}" ip daddr ${input.localDNS!.ip} meta l4proto { tcp, udp } th dport 53 dnat to ${n.gateway}`);
  }
  const bridges = `"${input.bridgePrefix}*"`;
  const serviceRejects = (indent: string): string[] =>
    userspace ? [] : [`${indent}ip daddr ${input.serviceCIDR} meta l4proto tcp reject with tcp reset`, `${indent}ip daddr ${input.serviceCIDR} reject`];
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
    `  chain hostports {`,
    ...hostPortRules,
    `  }`,
    `  chain nat-prerouting {`,
    `    type nat hook prerouting priority -100; policy accept;`,
    ...dnsRules,
    `    jump hostports`,
    `    jump services`,
    `  }`,
    `  chain nat-output {\n    type nat hook output priority -100; policy accept;\n    jump hostports\n    jump services\n  }`,
    `  chain nat-postrouting {`,
    `    type nat hook postrouting priority 100; policy accept;`,
    `    meta mark & ${MASQUERADE_MARK} == ${MASQUERADE_MARK} oifname ${bridges} masquerade`,
    // 127.0.0.1:<nodePort> DNAT'ed to a pod: the reply must come back to an address the pod can reach.
    `    ip saddr 127.0.0.0/8 oifname ${bridges} masquerade`,
    `  }`,
    `  chain filter-output {`,
    `    type filter hook output priority 0; policy accept;`,
    ...serviceRejects('    '),
    `  }`,
    `  chain filter-forward {`,
    `    type filter hook forward priority 0; policy accept;`,
    `    ip daddr ${input.serviceCIDR} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${input.serviceCIDR} reject`,
    // Pods talk to each other (across machines through the node routes) and to the host, never
    // past it (no masquerade to the outside); DNAT'ed connections (services, node and host ports)
    // carry on both ways.
    `    iifname ${bridges} oifname != ${bridges} ip daddr ${input.clusterCIDR} accept`,
    `    iifname ${bridges} oifname != ${bridges} ct status dnat accept`,
    `    iifname ${bridges} oifname != ${bridges} reject with icmp type admin-prohibited`,
    `    oifname ${bridges} iifname != ${bridges} ip saddr ${input.clusterCIDR} accept`,
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
