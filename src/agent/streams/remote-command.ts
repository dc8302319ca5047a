/**
 * Serving one exec or attach session once its streams exist, whatever carries them (WebSocket
 * channels or SPDY streams): the kubelet's ServeExec/ServeAttach. Client stdin goes to the
 * process (EOF included), process output goes back, resize events reach the terminal, and when
 * the process has exited and its output is drained the error channel gets the Status kubectl
 * turns into its exit code. A client that goes away kills an exec (and only detaches an attach).
 */
import type { Readable, Writable } from 'node:stream';
import type { ExecProcess } from '../streams-backend.js';
import { exitCodeStreamStatus, internalErrorStreamStatus, successStreamStatus, type StreamStatus, type TerminalSize } from '../../api/streams/protocol.js';
import { exitCodeOf } from './exec-process.js';

/** After the process exits, how long its output may stay open (a background child holding the pipe). */
export const OUTPUT_DRAIN_GRACE_MS = 5_000;

export interface CommandStreams {
  stdin: Readable | null;
  stdout: Writable | null;
  stderr: Writable | null;
  resize: Readable | null;
  /** Writes the final Status in the negotiated protocol's format. */
  writeStatus(status: StreamStatus): Promise<void>;
  /** Ends the session after the status. */
  close(): void;
  /** Registers a callback for a client that leaves before the end. */
  onClientGone(cb: () => void): void;
}

export interface RemoteCommandOptions {
  kind: 'exec' | 'attach';
  /** The command (exec), for the NonZeroExitCode message. */
  command: string[];
  start: () => ExecProcess;
  log?: (msg: string) => void;
}

export async function serveRemoteCommand(streams: CommandStreams, opts: RemoteCommandOptions): Promise<void> {
  let proc: ExecProcess;
  try {
    proc = opts.start();
  } catch (err) {
    const what = opts.kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
    await streams.writeStatus(internalErrorStreamStatus(`${what}: ${(err as Error).message}`)).catch(() => undefined);
    streams.close();
    return;
  }
  // A command that exits without reading its input makes writes fail with EPIPE: not an error
  // of the session (and never a crash of the agent).
  proc.stdin?.on('error', () => streams.stdin?.unpipe());
  proc.stdout.on('error', () => undefined);
  proc.stderr?.on('error', () => undefined);
  let finished = false;
  let clientGone = false;
  streams.onClientGone(() => {
    clientGone = true;
    if (!finished) proc.kill();
  });

  if (streams.stdin && proc.stdin) {
    streams.stdin.pipe(proc.stdin);
  } else {
    streams.stdin?.resume();
    proc.stdin?.end();
  }
  if (streams.resize) readResizes(streams.resize, (s) => proc.resize(s.Width, s.Height));

  const drained = Promise.all([copyOutput(proc.stdout, streams.stdout), copyOutput(proc.stderr, streams.stderr)]);
  const exit = await proc.exited;
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([
    drained,
    new Promise<void>((resolve) => {
      grace = setTimeout(() => {
        proc.stdout.destroy();
        proc.stderr?.destroy();
        resolve();
      }, OUTPUT_DRAIN_GRACE_MS);
    }),
  ]);
  clearTimeout(grace);
  finished = true;
  streams.stdin?.unpipe();
  const code = exitCodeOf(exit);
  // The kubelet reports an attach that ends as Success whatever the container's exit code.
  const status = opts.kind === 'exec' && code !== 0 ? exitCodeStreamStatus(code, opts.command) : successStreamStatus();
  try {
    await streams.writeStatus(status);
  } catch (err) {
    if (!clientGone) opts.log?.(`writing the ${opts.kind} status failed: ${(err as Error).message}`);
  }
  streams.close();
}

/** Copies process output to the client (or drains it when the client did not ask for it). */
function copyOutput(from: Readable | null, to: Writable | null): Promise<void> {
  if (!from) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    from.once('end', done);
    from.once('close', done);
    from.once('error', done);
    if (!to) {
      from.resume();
      return;
    }
    to.once('error', () => from.resume());
    from.pipe(to, { end: false });
  });
}

/**
 * Decodes the resize channel: a stream of JSON `TerminalSize` objects (client-go's json.Encoder
 * writes one per message, newline-terminated; objects are split at their closing brace).
 */
export function readResizes(stream: Readable, apply: (size: TerminalSize) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    for (;;) {
      const end = buf.indexOf('}');
      if (end < 0) break;
      const text = buf.slice(0, end + 1).trim();
      buf = buf.slice(end + 1);
      try {
        const size = JSON.parse(text) as Partial<TerminalSize>;
        if (typeof size.Width === 'number' && typeof size.Height === 'number') apply({ Width: size.Width, Height: size.Height });
      } catch {
        /* a malformed size is ignored, as the kubelet's decoder stops on it */
      }
    }
    if (buf.length > 4096) buf = '';
  });
}
