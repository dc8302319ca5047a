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
/**
 * With a terminal, how long to wait for the client's first window size before starting the
 * command anyway. kubectl sends its size as the first message of the resize stream, right after
 * the upgrade; starting the command with it (instead of 80x24 and a resize a moment later, which
 * a quick `stty size` or a full-screen program may miss) gives a terminal of the right size from
 * its first byte. A client that sends none only waits this long.
 */
export const INITIAL_SIZE_WAIT_MS = 500;

/** A terminal size in columns and rows. */
export interface WindowSize {
  cols: number;
  rows: number;
}

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
  /** Starts the process; `size` is the client's terminal size when it sent one (tty sessions). */
  start: (size: WindowSize | undefined) => ExecProcess;
  log?: (msg: string) => void;
}

export async function serveRemoteCommand(streams: CommandStreams, opts: RemoteCommandOptions): Promise<void> {
  // Resizes before the process exists are remembered; the first one is its initial size.
  let started: ExecProcess | undefined;
  let latest: WindowSize | undefined;
  let gotFirst: (() => void) | undefined;
  if (streams.resize) {
    readResizes(streams.resize, (s) => {
      latest = { cols: s.Width, rows: s.Height };
      if (started) started.resize(s.Width, s.Height);
      else gotFirst?.();
    });
  }
  const initial = streams.resize ? await firstSize(streams, (cb) => (gotFirst = cb)).then(() => latest) : undefined;
  let proc: ExecProcess;
  try {
    proc = started = opts.start(initial);
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
  // A size that arrived between the start decision and now.
  if (latest && latest !== initial) proc.resize(latest.cols, latest.rows);

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

/** Resolves on the client's first window size, its leaving, the resize stream's end, or after INITIAL_SIZE_WAIT_MS. */
function firstSize(streams: CommandStreams, onFirst: (cb: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, INITIAL_SIZE_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    onFirst(done);
    streams.resize?.once('end', done).once('close', done);
    streams.onClientGone(done);
  });
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
