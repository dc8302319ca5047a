/**
 * Writes a container's output as CRI log lines, as containerd does for kubelet's
 * `/var/log/pods/<ns>_<pod>_<uid>/<container>/<restartCount>.log`:
 *
 *   2024-01-01T00:00:00.123456789Z stdout F hello
 *
 * `F` ends a line; `P` marks a partial line (a line longer than MAX_LINE_BYTES is cut into `P`
 * pieces, the last piece `F`). Files rotate by size (kubelet's containerLogMaxSize /
 * containerLogMaxFiles): `N.log` is renamed to `N.log.<seq>` with an increasing seq, so a rotated
 * file keeps its name for as long as it exists and readers can follow by name; the oldest
 * rotated files beyond the limit are deleted.
 *
 * This module is loaded by the per-container shim: node builtins only, synchronous writes
 * (the shim does nothing else, and order between stdout and stderr must be kept).
 */
import { closeSync, fstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A longer line is split into partial (`P`) records, as containerd's 16 KiB buffer does. */
export const MAX_LINE_BYTES = 16 * 1024;
/** kubelet's containerLogMaxSize default. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** kubelet's containerLogMaxFiles default (the live file plus rotated ones). */
export const DEFAULT_LOG_MAX_FILES = 5;

export type LogStream = 'stdout' | 'stderr';

/** RFC 3339 with nanoseconds (Go's RFC3339Nano keeps trailing digits; CRI readers accept both). */
export function criTimestamp(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const frac = Math.round((epochMs - whole) * 1e6); // nanoseconds below the millisecond
  const iso = new Date(whole).toISOString(); // ...T..:..:..SSSZ
  return `${iso.slice(0, 23)}${String(frac).padStart(6, '0')}Z`;
}

/** Rotated files of a log (`N.log.<seq>`), oldest first. */
export function rotatedFiles(logPath: string): string[] {
  const dir = dirname(logPath);
  const base = basename(logPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base + '.') && /^\d+$/.test(n.slice(base.length + 1)))
    .map((n) => ({ n, seq: Number(n.slice(base.length + 1)) }))
    .sort((a, b) => a.seq - b.seq)
    .map((x) => join(dir, x.n));
}

export interface CriLogWriterOptions {
  maxBytes?: number;
  maxFiles?: number;
  /** Time source in ms with sub-ms precision (tests). */
  now?: () => number;
  /**
   * Write a line's start as a `P` record as soon as it arrives instead of holding it until its
   * newline: a terminal's prompt ("/ # ") has none, and `kubectl attach` follows the log.
   */
  flushPartial?: boolean;
}

/** Appends CRI records to one log file, rotating by size. */
export class CriLogWriter {
  private fd: number;
  private size: number;
  private readonly partial: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly partialLen: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly now: () => number;
  private readonly flushPartial: boolean;
  /** The last lines written (both streams), for termination messages. */
  private readonly tail: string[] = [];

  constructor(
    readonly path: string,
    opts: CriLogWriterOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.maxFiles = Math.max(1, opts.maxFiles ?? DEFAULT_LOG_MAX_FILES);
    this.now = opts.now ?? (() => performance.timeOrigin + performance.now());
    this.flushPartial = opts.flushPartial ?? false;
    this.fd = openSync(path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Takes a chunk of a stream's output; complete lines are written at once. */
  write(stream: LogStream, chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      this.pushPart(stream, chunk.subarray(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.pushPart(stream, chunk.subarray(start), false);
    if (this.flushPartial && this.partialLen[stream] > 0) {
      const pending = this.takePartial(stream);
      // Cut at a character boundary: a reader decodes each record on its own.
      const cut = utf8Boundary(pending);
      if (cut > 0) this.emit(stream, 'P', pending.subarray(0, cut));
      if (cut < pending.length) this.pushPart(stream, pending.subarray(cut), false);
    }
  }

  /** Writes out buffered partial lines (at exit) as complete records. */
  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partialLen[s] > 0) this.emit(s, 'F', this.takePartial(s));
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private pushPart(stream: LogStream, part: Buffer, endsLine: boolean): void {
    let rest = part;
    // Cut over-long lines into P records, as the runtime's bounded line buffer does.
    while (this.partialLen[stream] + rest.length > MAX_LINE_BYTES) {
      const take = MAX_LINE_BYTES - this.partialLen[stream];
      this.partial[stream].push(rest.subarray(0, take));
      this.partialLen[stream] += take;
      rest = rest.subarray(take);
      this.emit(stream, 'P', this.takePartial(stream));
    }
    if (rest.length > 0) {
      this.partial[stream].push(Buffer.from(rest));
      this.partialLen[stream] += rest.length;
    }
    if (endsLine) this.emit(stream, 'F', this.takePartial(stream));
  }

  private takePartial(stream: LogStream): Buffer {
    const b = Buffer.concat(this.partial[stream], this.partialLen[stream]);
    this.partial[stream] = [];
    this.partialLen[stream] = 0;
    return b;
  }

  /**
   * The last output as Kubernetes' FallbackToLogsOnError takes it: at most 80 lines and 2048
   * bytes, whichever is smaller.
   */
  lastOutput(): string {
    let out = this.tail.join('');
    if (Buffer.byteLength(out) > 2048) out = Buffer.from(out).subarray(-2048).toString('utf8');
    return out;
  }

  private emit(stream: LogStream, tag: 'F' | 'P', text: Buffer): void {
    this.tail.push(tag === 'F' ? `${text.toString('utf8')}\n` : text.toString('utf8'));
    if (this.tail.length > 80) this.tail.shift();
    const head = Buffer.from(`${criTimestamp(this.now())} ${stream} ${tag} `);
    const rec = Buffer.concat([head, text, Buffer.from('\n')]);
    if (this.size > 0 && this.size + rec.length > this.maxBytes) this.rotate();
    writeSync(this.fd, rec);
    this.size += rec.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    const rotated = rotatedFiles(this.path);
    const last = rotated.length ? Number(rotated[rotated.length - 1]!.slice(this.path.length + 1)) : 0;
    renameSync(this.path, `${this.path}.${last + 1}`);
    rotated.push(`${this.path}.${last + 1}`);
    // Keep maxFiles in all: the live file plus maxFiles-1 rotated ones.
    while (rotated.length > this.maxFiles - 1) {
      const old = rotated.shift()!;
      try {
        unlinkSync(old);
      } catch {
        /* already gone */
      }
    }
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
  }
}

/** Length of the longest prefix of `b` that does not end inside a UTF-8 sequence. */
export function utf8Boundary(b: Buffer): number {
  // Look back at most 3 bytes for the lead byte of an unfinished sequence.
  for (let i = b.length - 1; i >= Math.max(0, b.length - 3); i--) {
    const byte = b[i]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return b.length - i >= need ? b.length : i;
  }
  return b.length;
}
