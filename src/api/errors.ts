/**
 * One error type end to end: a `StatusError` carries a Kubernetes `Status` from storage through
 * the API server to the client and on to kubectl, which derives its printed text from it.
 */

/** A `details.causes[]` entry, as in `metav1.StatusCause`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The wire shape of `meta/v1 Status`. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Reasons Kubernetes uses in `Status.reason` (metav1.StatusReason). */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** Identifies a resource in messages: `replicasets.apps`, or `pods` for the core group. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** Renders `resource.group`, as apimachinery's GroupResource.String() does. */
export function formatGroupResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason | string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason | string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The `Status` object served to clients. */
  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }

  /** Rebuilds an error from a Status received over the wire. */
  static fromStatus(status: Partial<Status>, httpCode?: number): StatusError {
    const code = status.code ?? httpCode ?? 500;
    return new StatusError(code, status.reason ?? '', status.message ?? `request failed with code ${code}`, status.details);
  }
}

/** True if `err` is a StatusError with the given reason (or HTTP code). */
export function isStatus(err: unknown, reasonOrCode: string | number): err is StatusError {
  if (!(err instanceof StatusError)) return false;
  return typeof reasonOrCode === 'number' ? err.code === reasonOrCode : err.reason === reasonOrCode;
}

export const isNotFound = (err: unknown): err is StatusError => isStatus(err, 'NotFound');
export const isAlreadyExists = (err: unknown): err is StatusError => isStatus(err, 'AlreadyExists');
export const isConflict = (err: unknown): err is StatusError => isStatus(err, 'Conflict');
export const isGone = (err: unknown): err is StatusError => isStatus(err, 410);
export const isInvalid = (err: unknown): err is StatusError => isStatus(err, 'Invalid');

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${formatGroupResource(gr)} "${name}" not found`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** 404 for a path that does not exist at all (unknown resource or subresource). */
export function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${formatGroupResource(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** 409 Conflict, as for a stale resourceVersion or a failed precondition. */
export function conflict(gr: GroupResource, name: string, why: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${formatGroupResource(gr)} "${name}": ${why}`,
    { name, group: gr.group, kind: gr.resource },
  );
}

/** The message apimachinery uses for a resourceVersion mismatch. */
export const STALE_OBJECT_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** A validation failure: 422 with one cause per field error. `kind` is the Kind (ReplicaSet). */
export function invalid(group: string, kind: string, name: string, causes: StatusCause[]): StatusError {
  const qualified = group ? `${kind}.${group}` : kind;
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : c.message ?? '')).join(', ');
  const message = causes.length === 1 ? `${qualified} "${name}" is invalid: ${summary}` : `${qualified} "${name}" is invalid: [${summary}]`;
  return new StatusError(422, 'Invalid', message, { name, group, kind, causes });
}

export function badRequest(message: string, causes?: StatusCause[]): StatusError {
  return new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined);
}

export function unauthorized(message = 'Unauthorized'): StatusError {
  return new StatusError(401, 'Unauthorized', message);
}

export function forbidden(message: string, gr?: GroupResource, name?: string): StatusError {
  const details: StatusDetails | undefined = gr ? { group: gr.group, kind: gr.resource, ...(name ? { name } : {}) } : undefined;
  return new StatusError(403, 'Forbidden', message, details);
}

export function methodNotAllowed(method: string, what: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${what})`);
}

export function notAcceptable(message: string): StatusError {
  return new StatusError(406, 'NotAcceptable', message);
}

/** 410 for a watch or list from a compacted resourceVersion. */
export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

export function tooLarge(limitBytes: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `the request body is larger than the limit of ${limitBytes} bytes`);
}

export function unsupportedMediaType(contentType: string, supported: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}; got ${contentType || '(none)'}`,
  );
}

export function tooManyRequests(message: string, retryAfterSeconds = 1): StatusError {
  return new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds });
}

export function internalError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  return new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

export function serviceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

/** A field-level error collected during validation; becomes one StatusCause. */
export interface FieldError {
  type: 'FieldValueRequired' | 'FieldValueNotFound' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueDuplicate' | 'FieldValueTooLong' | 'FieldValueTooMany';
  field: string;
  message: string;
}

/** Builds the cause text the way apimachinery's field.Error does: `Invalid value: -1: must be ...`. */
export function fieldErrorToCause(e: FieldError): StatusCause {
  return { reason: e.type, message: e.message, field: e.field };
}
