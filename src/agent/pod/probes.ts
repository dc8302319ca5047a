/**
 * Running one probe or lifecycle handler (kubelet's prober and handler runner): `exec` in the
 * container's context (success = exit 0), `httpGet` (success = 200–399; HTTPS without
 * certificate checks; named ports resolved from the container's ports), `tcpSocket`
 * (success = connected), and for hooks `sleep`. Failure messages follow kubelet's wording, since
 * they end up in `Unhealthy` events.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed (event text after "Liveness probe failed: "). */
  message: string;
}

export interface HandlerSpec {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: { seconds: number };
  grpc?: { port: number; service?: string };
}

/** Resolves a port given as number or as the name of one of the container's ports. */
export function resolvePort(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Runs a probe/handler against a running container instance. */
export async function runHandler(h: HandlerSpec, ctx: { runtime: ContainerRuntime; containerId: string; container: Container; podIP: string; timeoutMs: number }): Promise<ProbeOutcome> {
  if (h.exec) {
    const r = await ctx.runtime.exec(ctx.containerId, h.exec.command ?? [], ctx.timeoutMs);
    if (r.timedOut) return { ok: false, message: `command ${JSON.stringify((h.exec.command ?? []).join(' '))} timed out` };
    return { ok: r.exitCode === 0, message: r.output.trim() };
  }
  if (h.httpGet) {
    const port = resolvePort(h.httpGet.port as number | string, ctx.container);
    if (port === undefined) return { ok: false, message: `port "${String(h.httpGet.port)}" not found in container ports` };
    return httpProbe(h.httpGet, h.httpGet.host || ctx.podIP, port, ctx.timeoutMs);
  }
  if (h.tcpSocket || h.grpc) {
    const port = h.tcpSocket ? resolvePort(h.tcpSocket.port as number | string, ctx.container) : h.grpc!.port;
    if (port === undefined) return { ok: false, message: `port "${String(h.tcpSocket?.port)}" not found in container ports` };
    return tcpProbe(h.tcpSocket?.host || ctx.podIP, port, ctx.timeoutMs);
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds * 1000, ctx.timeoutMs)));
    return { ok: true, message: '' };
  }
  return { ok: false, message: 'no probe handler given' };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function httpProbe(g: HTTPGetAction, host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const scheme = (g.scheme ?? 'HTTP').toLowerCase();
  const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
  const url = `${scheme}://${hostPort(host, port)}${path}`;
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.33', accept: '*/*' };
  for (const h of g.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  return new Promise((resolve) => {
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, message: `Get "${url}": ${dialError(err, host, port)}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, message: '' });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, message: dialError(err, host, port) });
    });
  });
}

function dialError(err: NodeJS.ErrnoException, host: string, port: number): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${hostPort(host, port)}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${hostPort(host, port)}: connect: no route to host`;
  return `dial tcp ${hostPort(host, port)}: ${err.message}`;
}
