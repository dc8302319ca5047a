/**
 * `GET pods/{name}/log` (Kubernetes' LogREST + LocationStreamer): options are validated as
 * ValidatePodLogOptions does, the container resolved, and the agent's
 * `/containerLogs/{ns}/{pod}/{container}` streamed back as text/plain, flushed chunk by chunk
 * while following, until the agent ends it or the client leaves. A pod not yet scheduled has no
 * log location: the answer is an empty body, as Kubernetes gives. Agent errors become Status
 * errors the way GenericHttpResponseChecker words them (400 → BadRequest with the agent's text).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Pod, Node } from 'kubernetes-types/core/v1.js';
import type { ApiRequest, ApiResponse } from '../../api/http.js';
import { StatusError, badRequest, invalid, type StatusCause } from '../../api/errors.js';
import { kubeletBearerToken } from '../../api/streams/kubelet-auth.js';
import { dialKubelet, endpointAddress, kubeletEndpoint } from './kubelet-dialer.js';
import { validateContainer } from './pod-target.js';

/** Most bytes of an agent's error body read into a message (Kubernetes' maxReadLength). */
export const MAX_ERROR_BODY_BYTES = 50_000;

export interface LogProxyDeps {
  joinSecret: string;
  node(name: string): Node | undefined;
  dialTimeoutMs?: number;
}

const INT_PARAMS = ['tailLines', 'limitBytes', 'sinceSeconds'] as const;

/** PodLogOptions from the query, validated; returns the agent's query string. */
export function podLogQuery(req: ApiRequest, podName: string): { container: string; query: URLSearchParams; insecure: boolean } {
  const q = req.query;
  const out = new URLSearchParams();
  const causes: StatusCause[] = [];
  const bool = (n: string): boolean => {
    const v = q.get(n);
    if (v === null || v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
  };
  for (const f of ['follow', 'previous', 'timestamps']) if (bool(f)) out.set(f, 'true');
  const ints: Partial<Record<(typeof INT_PARAMS)[number], number>> = {};
  for (const n of INT_PARAMS) {
    const v = q.get(n);
    if (v === null || v === '') continue;
    if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    ints[n] = Number(v);
  }
  if (ints.tailLines !== undefined && ints.tailLines < 0) causes.push({ reason: 'FieldValueInvalid', field: 'tailLines', message: `Invalid value: ${ints.tailLines}: must be greater than or equal to 0` });
  if (ints.limitBytes !== undefined && ints.limitBytes < 1) causes.push({ reason: 'FieldValueInvalid', field: 'limitBytes', message: `Invalid value: ${ints.limitBytes}: must be greater than 0` });
  const sinceTime = q.get('sinceTime');
  if (ints.sinceSeconds !== undefined && sinceTime) {
    causes.push({ reason: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  } else if (ints.sinceSeconds !== undefined && ints.sinceSeconds < 1) {
    causes.push({ reason: 'FieldValueInvalid', field: 'sinceSeconds', message: `Invalid value: ${ints.sinceSeconds}: must be greater than 0` });
  }
  if (causes.length) throw invalid('', 'PodLogOptions', podName, causes);
  for (const n of INT_PARAMS) if (ints[n] !== undefined) out.set(n, String(ints[n]));
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    // LogLocation forwards sinceTime in RFC3339 (whole seconds).
    out.set('sinceTime', new Date(Math.floor(t / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  }
  return { container: q.get('container') ?? '', query: out, insecure: bool('insecureSkipTLSVerifyBackend') };
}

/** Serves pods/log for `pod`. */
export async function proxyPodLog(deps: LogProxyDeps, req: ApiRequest, pod: Pod): Promise<ApiResponse> {
  if (req.method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const name = pod.metadata?.name ?? '';
  const { container: wanted, query, insecure } = podLogQuery(req, name);
  const container = validateContainer(wanted, pod);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return { status: 200, headers: { 'content-type': 'text/plain' }, body: '' };
  const ep = kubeletEndpoint(nodeName, deps.node(nodeName));
  const path = `/containerLogs/${encodeURIComponent(pod.metadata?.namespace ?? '')}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`;
  const qs = query.toString();
  const target = `https://${endpointAddress(ep)}${path}${qs ? `?${qs}` : ''}`;
  let res: IncomingMessage;
  let abortUpstream = () => undefined as void;
  try {
    const socket = await dialKubelet(ep, { ...(deps.dialTimeoutMs ? { timeoutMs: deps.dialTimeoutMs } : {}), skipVerify: insecure });
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = httpRequest({
        method: 'GET',
        path: `${path}${qs ? `?${qs}` : ''}`,
        headers: { host: endpointAddress(ep), authorization: `Bearer ${kubeletBearerToken(deps.joinSecret)}`, accept: 'text/plain' },
        createConnection: () => socket,
      });
      abortUpstream = () => {
        r.destroy();
      };
      r.once('response', resolve);
      r.once('error', reject);
      r.end();
    });
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw new StatusError(500, '', `Get ${JSON.stringify(target)}: ${(err as Error).message}`);
  }
  const status = res.statusCode ?? 500;
  if (status < 200 || status > 206) throw agentError(status, await readLimited(res, MAX_ERROR_BODY_BYTES), name);
  // The client leaving ends the agent's stream too.
  const onAbort = () => abortUpstream();
  req.signal.addEventListener('abort', onAbort, { once: true });
  return {
    status: 200,
    headers: { 'content-type': 'text/plain' },
    stream: (async function* () {
      try {
        for await (const chunk of res) yield chunk as Uint8Array;
      } catch {
        /* the agent went away mid-stream: end the response */
      } finally {
        req.signal.removeEventListener('abort', onAbort);
        abortUpstream();
      }
    })(),
  };
}

function readLimited(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < max) chunks.push(c.subarray(0, max - size));
      size += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The message of a Status body, or the text itself (the kubelet answers in plain text). */
function bodyMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string };
    if (s.kind === 'Status' && typeof s.message === 'string') return s.message;
  } catch {
    /* plain text */
  }
  return body.trim();
}

/** GenericHttpResponseChecker: what kubectl sees for an agent's non-2xx answer. */
function agentError(code: number, body: string, podName: string): StatusError {
  const message = bodyMessage(body);
  if (code === 400) return badRequest(message);
  if (code === 500) return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  const reason = code === 404 ? 'NotFound' : code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError';
  const text = code === 404 ? 'the server could not find the requested resource' : code === 401 ? 'Unauthorized' : code === 403 ? 'forbidden' : `an error on the server ("${message}") has prevented the request from succeeding`;
  return new StatusError(code, reason, `${text} ( pods/log ${podName})`, { name: podName, kind: 'pods/log', causes: [{ reason: 'UnexpectedServerResponse', message }] });
}
