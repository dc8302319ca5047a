/**
 * IPv4 addresses and CIDR blocks as numbers: the arithmetic the service IP allocator, the node
 * IPAM controller, the pod network and the service proxy share (`--service-cidr`,
 * `--cluster-cidr`, `node.spec.podCIDR`). Skiff's cluster networking is single-stack IPv4, as
 * Kubernetes' is by default.
 */

/** A parsed IPv4 CIDR block; `base` is the network address (host bits cleared). */
export interface Cidr {
  base: number;
  prefix: number;
  /** Number of addresses in the block (2^(32-prefix)). */
  size: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 32-bit value of a dotted-quad IPv4 address, or undefined when it is not one. */
export function parseIPv4(s: string): number | undefined {
  const m = IPV4.exec(s.trim());
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Leading zeros are ambiguous (octal in some parsers); Kubernetes rejects them since 1.30.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/len`; throws with a message naming the value when it is not a valid block. */
export function parseCidr(s: string): Cidr {
  const [ip, len, extra] = s.trim().split('/');
  const addr = ip === undefined ? undefined : parseIPv4(ip);
  const prefix = len !== undefined && /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (addr === undefined || extra !== undefined || !(prefix >= 0 && prefix <= 32)) throw new Error(`invalid CIDR address: ${s}`);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix, size };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** The block's address at `offset` (0 = network address). */
export function cidrAddress(c: Cidr, offset: number): string {
  if (offset < 0 || offset >= c.size) throw new RangeError(`offset ${offset} is outside ${formatCidr(c)}`);
  return formatIPv4(c.base + offset);
}

/** The `index`-th sub-block of length `prefix` inside `c` (node pod CIDRs carved from the cluster CIDR). */
export function subnet(c: Cidr, prefix: number, index: number): Cidr {
  if (prefix < c.prefix || prefix > 32) throw new RangeError(`cannot carve /${prefix} blocks out of ${formatCidr(c)}`);
  const size = 2 ** (32 - prefix);
  const count = c.size / size;
  if (index < 0 || index >= count) throw new RangeError(`sub-block ${index} is outside ${formatCidr(c)}`);
  return { base: c.base + index * size, prefix, size };
}

/** How many /`prefix` blocks `c` holds. */
export function subnetCount(c: Cidr, prefix: number): number {
  return prefix < c.prefix ? 0 : c.size / 2 ** (32 - prefix);
}

/** A dotted netmask (`255.255.255.0`) for a prefix length. */
export function netmask(prefix: number): string {
  return formatIPv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}
