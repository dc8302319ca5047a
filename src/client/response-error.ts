/**
 * Turns a non-2xx response into the one error type used end to end, `StatusError`. A `Status`
 * body is rebuilt as sent; any other body (a proxy's plain-text 502, a crashed handler) gets the
 * reason and message apimachinery's NewGenericServerResponse gives that code, so callers can
 * always test `isNotFound(err)`, `isConflict(err)` and so on.
 */
import type { Status } from '../api/errors.js';
import { StatusError } from '../api/errors.js';
import { bodyText } from './transport.js';

/** What was being attempted, to finish generic messages the way client-go does: `(get pods nginx)`. */
export interface RequestDescription {
  verb: string;
  /** `pods`, `replicasets.apps` */
  resource?: string;
  name?: string;
}

const GENERIC: Record<number, [reason: string, message: string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Gone', 'the server has asked for the client to restart the request'],
  413: ['RequestEntityTooLarge', 'the server rejected the request because it is too large'],
  415: ['UnsupportedMediaType', 'the server was unable to process the body of the request'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/** Builds the StatusError for a failed response. */
export function responseError(status: number, body: Uint8Array | string, what?: RequestDescription): StatusError {
  const text = bodyText(body);
  const parsed = parseStatus(text);
  if (parsed) return StatusError.fromStatus(parsed, status);
  const generic = GENERIC[status];
  const serverMessage = text.trim();
  let reason: string;
  let message: string;
  if (generic) {
    [reason, message] = generic;
    if (status === 403 && serverMessage) message = serverMessage;
  } else {
    reason = status >= 500 ? 'InternalError' : 'Unknown';
    message = `an error on the server (${JSON.stringify(serverMessage || 'unknown')}) has prevented the request from succeeding`;
  }
  if (what) message += ` (${[what.verb, what.resource, what.name].filter(Boolean).join(' ')})`;
  return new StatusError(status, reason, message, {
    ...(what?.name ? { name: what.name } : {}),
    ...(what?.resource ? { kind: what.resource } : {}),
    ...(serverMessage ? { causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }] } : {}),
  });
}

/** A `Status` object if `text` is one (kind Status with a code), else undefined. */
export function parseStatus(text: string): Partial<Status> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Status>;
    return v && v.kind === 'Status' ? v : undefined;
  } catch {
    return undefined;
  }
}
