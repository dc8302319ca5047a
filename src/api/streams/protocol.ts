/**
 * The remote-command and port-forward wire vocabulary shared by kubectl, the API server and
 * node agents (k8s.io/apimachinery/pkg/util/remotecommand, .../portforward and core/v1's
 * stream constants): subprotocol names, channel numbers, SPDY stream types and headers, and the
 * `Status` objects written on the error channel.
 */

/** Remote command (exec/attach) subprotocols, newest first — the order a server prefers. */
export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';
export const STREAM_PROTOCOL_V3 = 'v3.channel.k8s.io';
export const STREAM_PROTOCOL_V2 = 'v2.channel.k8s.io';
/** The unversioned protocol: over WebSocket "channel.k8s.io", over SPDY protocol v1. */
export const STREAM_PROTOCOL_V1 = 'channel.k8s.io';
/** WebSocket-only variants that base64-encode each message after an ASCII channel digit. */
export const BASE64_CHANNEL_PROTOCOL = 'base64.channel.k8s.io';
export const V4_BASE64_CHANNEL_PROTOCOL = 'v4.base64.channel.k8s.io';

/** Exec/attach protocols served over SPDY, in the kubelet's order of preference. */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V3, STREAM_PROTOCOL_V2, STREAM_PROTOCOL_V1];

/** Port-forward protocol name (SPDY `X-Stream-Protocol-Version`). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl ≥ 1.30 tunnels SPDY inside a WebSocket and names the subprotocol with this prefix. */
export const SPDY_TUNNELING_PREFIX = 'SPDY/3.1+';
export const PORT_FORWARD_TUNNEL_PROTOCOL = SPDY_TUNNELING_PREFIX + PORT_FORWARD_PROTOCOL;

/** HTTP headers of the SPDY upgrade handshake. */
export const HEADER_STREAM_PROTOCOL_VERSION = 'x-stream-protocol-version';
export const HEADER_ACCEPTED_STREAM_PROTOCOLS = 'x-accepted-stream-protocol-versions';
export const SPDY_UPGRADE = 'SPDY/3.1';

/** WebSocket channel numbers (also the POSIX fds for 0–2). */
export const CHANNEL_STDIN = 0;
export const CHANNEL_STDOUT = 1;
export const CHANNEL_STDERR = 2;
export const CHANNEL_ERROR = 3;
export const CHANNEL_RESIZE = 4;
/** v5 only: a message `[255, n]` says the peer closed its writing side of channel n. */
export const CHANNEL_CLOSE = 255;

/** SPDY stream headers (names are lower case on the wire). */
export const HEADER_STREAM_TYPE = 'streamtype';
export const HEADER_PORT = 'port';
export const HEADER_REQUEST_ID = 'requestid';

export type RemoteCommandStreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
export type PortForwardStreamType = 'error' | 'data';

/** A terminal size as kubectl sends it on the resize channel. */
export interface TerminalSize {
  Width: number;
  Height: number;
}

/** Status reason and cause type kubectl turns into its own exit code. */
export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE_TYPE = 'ExitCode';

/** The error-channel `Status` (v4+): what the kubelet writes when a command ends. */
export interface StreamStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason?: string; message: string }> };
  code?: number;
}

export function successStreamStatus(): StreamStatus {
  return { metadata: {}, status: 'Success' };
}

/**
 * The kubelet's Status for a command that exited non-zero (cri/streaming/remotecommand ServeExec):
 * kubectl reads the `ExitCode` cause and prints `command terminated with exit code N`.
 */
export function exitCodeStreamStatus(code: number, command: string[]): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE_TYPE, message: String(code) }] },
  };
}

/** An InternalError Status (apierrors.NewInternalError) for failures that are not exit codes. */
export function internalErrorStreamStatus(message: string): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/** Whether a query flag is on: the API server sends `true`, the kubelet's own URLs use `1`. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === '1' || v === 'true';
}
