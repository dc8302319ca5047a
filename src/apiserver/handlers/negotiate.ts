/**
 * Content negotiation: which representation a client accepts (plain JSON, a meta.k8s.io Table,
 * or only protobuf, which Skiff does not produce) and how a request body is encoded.
 */
import { notAcceptable } from '../../api/errors.js';

export type OutputFormat = { kind: 'json' } | { kind: 'table'; version: 'v1' | 'v1beta1' };

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [];
  const out: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
    }
    out.push({ type: type.toLowerCase(), params });
  }
  return out;
}

/**
 * The first acceptable representation in the client's order. kubectl's `get` asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io, ...;v=v1beta1..., application/json`.
 * Typed clients send `application/vnd.kubernetes.protobuf,application/json`: JSON it is.
 * A client that accepts only protobuf gets 406.
 */
export function negotiateOutput(accept: string | undefined, tableAllowed: boolean): OutputFormat {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { kind: 'json' };
  for (const r of ranges) {
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') {
      const as = r.params.get('as');
      if (!as) return { kind: 'json' };
      if (as === 'Table' && r.params.get('g') === 'meta.k8s.io' && tableAllowed) {
        const v = r.params.get('v');
        if (v === 'v1' || v === 'v1beta1') return { kind: 'table', version: v };
      }
      continue;
    }
    if (r.type === 'application/yaml') return { kind: 'json' };
  }
  throw notAcceptable('only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io');
}

/** The media type of a request body, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
