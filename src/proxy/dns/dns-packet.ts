/**
 * DNS messages (RFC 1035, SRV from RFC 2782): reading queries — names with compression pointers —
 * and writing answers with A, AAAA, CNAME, SRV, SOA and PTR records. Enough for an authoritative
 * cluster zone; other traffic is relayed to the upstream resolver byte for byte, never re-encoded.
 */

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const CLASS_IN = 1;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Query {
  id: number;
  opcode: number;
  rd: boolean;
  questions: Question[];
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type Record =
  | { name: string; type: typeof TYPE.A | typeof TYPE.AAAA; ttl: number; data: string }
  | { name: string; type: typeof TYPE.CNAME | typeof TYPE.PTR | typeof TYPE.NS; ttl: number; data: string }
  | { name: string; type: typeof TYPE.SRV; ttl: number; data: SrvData }
  | { name: string; type: typeof TYPE.SOA; ttl: number; data: SoaData };

export class DnsFormatError extends Error {}

function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  for (let jumps = 0; jumps < 64; ) {
    if (off >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[off]!;
    if (len === 0) {
      if (next < 0) next = off + 1;
      return { name: labels.join('.'), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new DnsFormatError('truncated pointer');
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1]!;
      jumps++;
      continue;
    }
    if (len > 63 || off + 1 + len > buf.length) throw new DnsFormatError('bad label');
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  throw new DnsFormatError('too many compression pointers');
}

/** Parses a query message (header and question section). */
export function parseQuery(buf: Buffer): Query {
  if (buf.length < 12) throw new DnsFormatError('message shorter than a header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const questions: Question[] = [];
  let off = 12;
  for (let i = 0; i < qd; i++) {
    const { name, next } = readName(buf, off);
    if (next + 4 > buf.length) throw new DnsFormatError('truncated question');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    off = next + 4;
  }
  return { id, opcode: (flags >> 11) & 0xf, rd: (flags & 0x0100) !== 0, questions };
}

function writeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (!label) continue;
    const b = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([Math.min(b.length, 63)]), b.subarray(0, 63));
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function ipv4(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function ipv6(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

function rdata(r: Record): Buffer {
  switch (r.type) {
    case TYPE.A:
      return ipv4(r.data);
    case TYPE.AAAA:
      return ipv6(r.data);
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.NS:
      return writeName(r.data);
    case TYPE.SRV: {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(r.data.priority, 0);
      head.writeUInt16BE(r.data.weight, 2);
      head.writeUInt16BE(r.data.port, 4);
      return Buffer.concat([head, writeName(r.data.target)]);
    }
    case TYPE.SOA: {
      const nums = Buffer.alloc(20);
      [r.data.serial, r.data.refresh, r.data.retry, r.data.expire, r.data.minimum].forEach((n, i) => nums.writeUInt32BE(n >>> 0, i * 4));
      return Buffer.concat([writeName(r.data.mname), writeName(r.data.rname), nums]);
    }
  }
}

function writeRecord(r: Record): Buffer {
  const data = rdata(r);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([writeName(r.name), fixed, data]);
}

export interface ResponseInit {
  id: number;
  rd: boolean;
  rcode: number;
  authoritative: boolean;
  questions: Question[];
  answers?: Record[];
  authority?: Record[];
  additional?: Record[];
  /** Recursion available (we forward). */
  ra?: boolean;
}

/** Encodes a response; with `maxBytes` (UDP: 512) sets TC and drops records that do not fit. */
export function encodeResponse(r: ResponseInit, maxBytes = Infinity): Buffer {
  const sections = [r.answers ?? [], r.authority ?? [], r.additional ?? []].map((list) => list.map(writeRecord));
  const question = Buffer.concat(r.questions.map((q) => {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.type, 0);
    tail.writeUInt16BE(q.class, 2);
    return Buffer.concat([writeName(q.name), tail]);
  }));
  let truncated = false;
  let size = 12 + question.length;
  const kept = sections.map((list) =>
    list.filter((b) => {
      if (truncated || size + b.length > maxBytes) {
        truncated = true;
        return false;
      }
      size += b.length;
      return true;
    }),
  );
  const header = Buffer.alloc(12);
  header.writeUInt16BE(r.id, 0);
  const flags = 0x8000 | (r.authoritative ? 0x0400 : 0) | (truncated ? 0x0200 : 0) | (r.rd ? 0x0100 : 0) | (r.ra ? 0x0080 : 0) | (r.rcode & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(r.questions.length, 4);
  header.writeUInt16BE(kept[0]!.length, 6);
  header.writeUInt16BE(kept[1]!.length, 8);
  header.writeUInt16BE(kept[2]!.length, 10);
  return Buffer.concat([header, question, ...kept.flat()]);
}

/** Reads the records of a response (answer section only): used to chase CNAMEs through the upstream. */
export function parseAnswers(buf: Buffer): { rcode: number; answers: Array<{ name: string; type: number; ttl: number; data: Buffer; offset: number }> } {
  const q = parseQuery(buf);
  const rcode = buf.readUInt16BE(2) & 0xf;
  const an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < q.questions.length; i++) off = readName(buf, off).next + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    const { name, next } = readName(buf, off);
    const type = buf.readUInt16BE(next);
    const ttl = buf.readUInt32BE(next + 4);
    const len = buf.readUInt16BE(next + 8);
    answers.push({ name, type, ttl, data: buf.subarray(next + 10, next + 10 + len), offset: next + 10 });
    off = next + 10 + len;
  }
  return { rcode, answers };
}

/** Encodes a query (for forwarding a chased name). */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, writeName(name), tail]);
}
