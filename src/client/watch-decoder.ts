/**
 * Decodes a watch response body into events. The wire is a sequence of JSON objects
 * `{"type":..,"object":..}`, normally one per line; like client-go's framer we also accept
 * objects written back to back without a newline. An `ERROR` event ends the watch and surfaces as
 * the StatusError it carries (410 Expired tells an informer to relist). Anything that is not a
 * well-formed event raises a WatchDecodeError: a consumer must never skip what it cannot read,
 * because a skipped event is a silently diverged cache.
 */
import type { KubeObject } from '../api/object.js';
import type { ObjectLike, WatchEvent } from './types.js';
import type { Status } from '../api/errors.js';
import { StatusError } from '../api/errors.js';

/** A watch body contained something that is not a valid watch event. */
export class WatchDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchDecodeError';
  }
}

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);
const MAX_SNIPPET = 200;

/** Splits a byte/text stream into parsed JSON values. */
export async function* decodeJsonStream(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let buf = '';
  for await (const chunk of chunks) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      const line = buf.slice(start, nl);
      start = nl + 1;
      yield* parseSegment(line);
    }
    buf = start > 0 ? buf.slice(start) : buf;
    // Objects written without a newline: only worth scanning when the tail could end an object.
    if (buf.length > 0 && buf.trimEnd().endsWith('}')) {
      const { objects, rest } = splitObjects(buf);
      for (const o of objects) yield parseOne(o);
      buf = rest;
    }
  }
  buf += decoder.decode();
  yield* parseSegment(buf);
}

function* parseSegment(segment: string): Generator<unknown> {
  const text = segment.trim();
  if (!text) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Possibly several objects on one line; anything left over is garbage.
    let split: { objects: string[]; rest: string } | undefined;
    try {
      split = splitObjects(text);
    } catch {
      split = undefined;
    }
    if (!split || split.rest.trim() || split.objects.length === 0) throw new WatchDecodeError(`malformed JSON in watch stream: ${snippet(text)}`);
    const { objects } = split;
    for (const o of objects) yield parseOne(o);
    return;
  }
  yield value;
}

function parseOne(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new WatchDecodeError(`malformed JSON in watch stream: ${snippet(text)}`);
  }
}

/**
 * Finds complete top-level JSON objects at the start of `s`; returns them and the unconsumed
 * remainder (an incomplete object still arriving).
 */
export function splitObjects(s: string): { objects: string[]; rest: string } {
  const objects: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let objStart = -1;
  let consumed = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 0) throw new WatchDecodeError(`unexpected data between watch events: ${snippet(s.slice(i))}`);
      inString = true;
    } else if (c === 0x7b /* { */) {
      if (depth === 0) objStart = i;
      depth++;
    } else if (c === 0x7d /* } */) {
      depth--;
      if (depth < 0) throw new WatchDecodeError(`unbalanced '}' in watch stream: ${snippet(s)}`);
      if (depth === 0) {
        objects.push(s.slice(objStart, i + 1));
        consumed = i + 1;
      }
    } else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      throw new WatchDecodeError(`unexpected data between watch events: ${snippet(s.slice(i))}`);
    }
  }
  return { objects, rest: s.slice(consumed) };
}

/** Checks the shape of one decoded watch event; ERROR events are thrown as StatusError. */
export function toWatchEvent<T extends ObjectLike>(value: unknown): WatchEvent<T> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new WatchDecodeError(`watch event is not an object: ${snippet(JSON.stringify(value) ?? String(value))}`);
  }
  const ev = value as { type?: unknown; object?: unknown };
  if (typeof ev.type !== 'string' || !EVENT_TYPES.has(ev.type)) {
    throw new WatchDecodeError(`watch event has unknown type ${JSON.stringify(ev.type)}`);
  }
  const obj = ev.object;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new WatchDecodeError(`${ev.type} watch event has no object`);
  }
  if (ev.type === 'ERROR') {
    const st = obj as Partial<Status>;
    throw st.kind === 'Status' ? StatusError.fromStatus(st) : new WatchDecodeError(`ERROR watch event without a Status: ${snippet(JSON.stringify(obj))}`);
  }
  const meta = (obj as KubeObject).metadata;
  if (!meta || typeof meta !== 'object' || typeof meta.resourceVersion !== 'string') {
    throw new WatchDecodeError(`${ev.type} watch event object has no metadata.resourceVersion`);
  }
  if (ev.type !== 'BOOKMARK' && (typeof meta.name !== 'string' || meta.name === '')) {
    throw new WatchDecodeError(`${ev.type} watch event object has no metadata.name`);
  }
  return ev as WatchEvent<T>;
}

/** Decodes a watch body into events (see the module comment for errors). */
export async function* decodeWatchStream<T extends ObjectLike>(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<WatchEvent<T>> {
  for await (const value of decodeJsonStream(chunks)) yield toWatchEvent<T>(value);
}

function snippet(s: string): string {
  return s.length > MAX_SNIPPET ? `${s.slice(0, MAX_SNIPPET)}…` : s;
}
