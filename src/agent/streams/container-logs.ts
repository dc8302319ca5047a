/**
 * `GET /containerLogs/...`: the kubelet's ReadLogs over CRI log files (`<timestamp> <stream>
 * <P|F> <text>` lines). Options behave as in the kubelet: `tailLines` counts newline-terminated
 * lines from the end (a trailing incomplete line is not one), `sinceSeconds`/`sinceTime` skip
 * older lines (the later of the two wins), `timestamps` prefixes each line with its time in
 * RFC3339 with nine fraction digits, `limitBytes` cuts the output, and `follow` keeps reading
 * until the container stops. Unlike the kubelet, rotated files of the instance are read too
 * (oldest first), and a follow carries on into the next file when the current one is rotated.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';

/** While following, how often the files are checked even without a change notification. */
export const LOG_FORCE_CHECK_MS = 1_000;
const READ_BLOCK = 64 * 1024;

export interface ContainerLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** Lines from the end; undefined = all. */
  tailLines?: number;
  /** Stop after this many bytes; undefined = no limit. */
  limitBytes?: number;
  /** Skip lines older than this (epoch milliseconds, fractional). */
  sinceMs?: number;
}

/** Parses the kubelet's log query; returns an error message for invalid values. */
export function parseContainerLogOptions(q: URLSearchParams, nowMs: number): ContainerLogOptions | { error: string } {
  const flag = (n: string) => q.get(n) === 'true' || q.get(n) === '1';
  const int = (n: string): number | undefined | null => {
    const v = q.get(n);
    if (v === null || v === '') return undefined;
    return /^-?\d+$/.test(v) ? Number(v) : null;
  };
  const opts: ContainerLogOptions = { follow: flag('follow'), previous: flag('previous'), timestamps: flag('timestamps') };
  const tail = int('tailLines');
  if (tail === null || (tail !== undefined && tail < 0)) return { error: `tailLines: Invalid value: ${q.get('tailLines')}: must be greater than or equal to 0` };
  if (tail !== undefined) opts.tailLines = tail;
  const limit = int('limitBytes');
  if (limit === null || (limit !== undefined && limit < 1)) return { error: `limitBytes: Invalid value: ${q.get('limitBytes')}: must be greater than 0` };
  if (limit !== undefined) opts.limitBytes = limit;
  const sinceSeconds = int('sinceSeconds');
  if (sinceSeconds === null || (sinceSeconds !== undefined && sinceSeconds < 1)) return { error: `sinceSeconds: Invalid value: ${q.get('sinceSeconds')}: must be greater than 0` };
  if (sinceSeconds !== undefined) opts.sinceMs = nowMs - sinceSeconds * 1000;
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    const t = parseTimestamp(sinceTime);
    if (t === undefined) return { error: `sinceTime: Invalid value: "${sinceTime}": must be an RFC3339 time` };
    if (opts.sinceMs === undefined || t.ms > opts.sinceMs) opts.sinceMs = t.ms;
  }
  return opts;
}

interface ParsedTime {
  /** Epoch milliseconds with the sub-millisecond part as a fraction. */
  ms: number;
  /** RFC3339 with exactly nine fraction digits (Kubernetes' RFC3339NanoFixed), zone kept. */
  fixed: string;
}

const TIME_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC3339(Nano) timestamp without losing its nanoseconds. */
export function parseTimestamp(text: string): ParsedTime | undefined {
  const m = TIME_RE.exec(text);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return { ms: base + Number(frac) / 1e6, fixed: `${m[1]}.${frac}${m[3]}` };
}

interface LogLine {
  /** The line's timestamp, parsed on demand (only `since` and `timestamps` need it). */
  time(): ParsedTime | undefined;
  content: Buffer;
}

const SPACE = 0x20;
const STDOUT = Buffer.from('stdout');
const STDERR = Buffer.from('stderr');

/**
 * Parses one CRI log line (with its newline); undefined when it is not one. Byte-level, as
 * this runs for every line of a log: the timestamp is only decoded when asked for.
 */
export function parseCriLine(line: Buffer): LogLine | undefined {
  const s1 = line.indexOf(SPACE);
  // An RFC3339 timestamp is at least 20 characters and starts with the year.
  if (s1 < 20 || line[0]! < 0x30 || line[0]! > 0x39) return undefined;
  const s2 = s1 + 7;
  if (line[s2] !== SPACE || (line.compare(STDOUT, 0, 6, s1 + 1, s2) !== 0 && line.compare(STDERR, 0, 6, s1 + 1, s2) !== 0)) return undefined;
  const s3 = line.indexOf(SPACE, s2 + 1);
  if (s3 < 0) return undefined;
  // The first tag (tags are ':'-separated) is P for a partial line, F for a full one.
  const partial = line[s2 + 1] === 0x50 && (s3 === s2 + 2 || line[s2 + 2] === 0x3a);
  let content = line.subarray(s3 + 1);
  // A partial line's newline is the file's, not the program's: drop it.
  if (partial && content.length > 0 && content[content.length - 1] === 0x0a) content = content.subarray(0, -1);
  let parsed: ParsedTime | undefined | null = null;
  return {
    time: () => (parsed === null ? (parsed = parseTimestamp(line.toString('latin1', 0, s1))) : parsed),
    content,
  };
}

/** Where reading starts: file index and byte offset. */
interface Position {
  file: number;
  offset: number;
}

/** Start of the last `n` newline-terminated lines across `files` (kubelet's FindTailLineStartIndex). */
export async function findTailStart(files: string[], n: number): Promise<Position> {
  let count = 0;
  for (let fi = files.length - 1; fi >= 0; fi--) {
    const fh = await open(files[fi]!, 'r').catch(() => undefined);
    if (!fh) continue;
    try {
      const size = (await fh.stat()).size;
      for (let right = size; right > 0; right -= READ_BLOCK) {
        const left = Math.max(0, right - READ_BLOCK);
        const buf = Buffer.alloc(right - left);
        await fh.read(buf, 0, buf.length, left);
        const inBlock = countNewlines(buf);
        if (count + inBlock > n) {
          // Skip (count + inBlock - n) newlines from the block's start.
          let skip = count + inBlock - n;
          let idx = 0;
          while (skip > 0) {
            idx = buf.indexOf(0x0a, idx) + 1;
            skip--;
          }
          return { file: fi, offset: left + idx };
        }
        count += inBlock;
      }
    } finally {
      await fh.close();
    }
  }
  return { file: 0, offset: 0 };
}

function countNewlines(buf: Buffer): number {
  let c = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) c++;
  return c;
}

export interface LogSource {
  /** The instance's files, oldest first (re-read while following, for rotation). */
  files(): string[];
  /** Whether the container is still running (a follow ends once it is not). */
  running(): boolean;
  /** Calls back when the container stops; returns an unsubscribe function. */
  onStopped(cb: () => void): () => void;
}

/** Writes the container's log to `out` per `opts`; resolves when done (or the client left). */
export async function writeContainerLogs(source: LogSource, opts: ContainerLogOptions, out: Writable, signal: AbortSignal): Promise<void> {
  const files = source.files();
  if (files.length === 0) return;
  const start = opts.tailLines !== undefined ? await findTailStart(files, opts.tailLines) : { file: 0, offset: 0 };
  const limited = opts.tailLines !== undefined && !opts.follow;
  let linesLeft = opts.tailLines ?? Infinity;
  let bytesLeft = opts.limitBytes ?? Infinity;
  let stopped = !opts.follow || !source.running();
  const waiter = opts.follow ? new ChangeWaiter(signal) : undefined;
  const unsubscribe = opts.follow
    ? source.onStopped(() => {
        stopped = true;
        waiter?.wake();
      })
    : () => undefined;

  let path = files[start.file]!;
  let fh: FileHandle | undefined = await open(path, 'r').catch(() => undefined);
  let ino = fh ? (await fh.stat()).ino : -1;
  let pos = start.offset;
  let pending: Buffer = Buffer.alloc(0);
  let finalPass = false;
  const buf = Buffer.alloc(READ_BLOCK);
  waiter?.watch(path);

  /** Formats complete lines; returns false once a limit is reached. */
  const emit = (lines: Buffer[]): { chunks: Buffer[]; more: boolean } => {
    const chunks: Buffer[] = [];
    for (const raw of lines) {
      if (limited && linesLeft <= 0) return { chunks, more: false };
      const line = parseCriLine(raw);
      const time = line && (opts.sinceMs !== undefined || opts.timestamps) ? line.time() : undefined;
      if (!line || (time === undefined && (opts.sinceMs !== undefined || opts.timestamps))) continue;
      if (limited) linesLeft--;
      if (opts.sinceMs !== undefined && time!.ms < opts.sinceMs) continue;
      let text = opts.timestamps ? Buffer.concat([Buffer.from(time!.fixed + ' '), line.content]) : line.content;
      if (text.length > bytesLeft) text = text.subarray(0, bytesLeft);
      chunks.push(text);
      bytesLeft -= text.length;
      if (bytesLeft <= 0) return { chunks, more: false };
    }
    return { chunks, more: !(limited && linesLeft <= 0) };
  };

  try {
    while (!signal.aborted) {
      const n = fh ? (await fh.read(buf, 0, buf.length, pos)).bytesRead : 0;
      if (n > 0) {
        pos += n;
        const data = pending.length ? Buffer.concat([pending, buf.subarray(0, n)]) : Buffer.from(buf.subarray(0, n));
        const lines: Buffer[] = [];
        let from = 0;
        for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
          lines.push(data.subarray(from, nl + 1));
          from = nl + 1;
        }
        pending = Buffer.from(data.subarray(from));
        const { chunks, more } = emit(lines);
        if (chunks.length) await write(out, Buffer.concat(chunks), signal);
        if (!more) return;
        continue;
      }
      // End of this file: go on with the next one (rotation) if there is one.
      const next = await nextFile(source.files(), ino);
      if (next) {
        await fh?.close();
        path = next;
        fh = await open(path, 'r').catch(() => undefined);
        ino = fh ? (await fh.stat()).ino : -1;
        pos = 0;
        waiter?.watch(path);
        continue;
      }
      if (!opts.follow) {
        // The kubelet writes an incomplete last line too when not following.
        if (pending.length) {
          const { chunks } = emit([pending]);
          if (chunks.length) await write(out, Buffer.concat(chunks), signal);
        }
        return;
      }
      if (stopped) {
        // One more pass after the stop, for what the container wrote last.
        if (finalPass) return;
        finalPass = true;
        continue;
      }
      await waiter!.wait();
    }
  } finally {
    unsubscribe();
    waiter?.close();
    await fh?.close();
  }
}

/** The file after the one with inode `ino` in `files`, or the newest if `ino` is gone. */
async function nextFile(files: string[], ino: number): Promise<string | undefined> {
  const inodes = await Promise.all(files.map((f) => stat(f).then((s) => s.ino, () => -1)));
  const idx = inodes.indexOf(ino);
  if (idx >= 0) return idx + 1 < files.length ? files[idx + 1] : undefined;
  const last = files.at(-1);
  return last !== undefined && inodes.at(-1) !== -1 ? last : undefined;
}

async function write(out: Writable, chunk: Buffer, signal: AbortSignal): Promise<void> {
  if (out.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    signal.addEventListener('abort', done);
  });
}

/** Waits for a change in a log file's directory, a wake-up, the forced check period, or abort. */
class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private dir: string | undefined;
  private resolve: (() => void) | undefined;
  private dirty = false;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake(), { once: true });
  }

  watch(path: string): void {
    const dir = dirname(path);
    if (dir === this.dir) return;
    this.watcher?.close();
    this.dir = dir;
    try {
      this.watcher = watch(dir, () => this.wake());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = undefined; // the periodic check still runs
    }
  }

  wake(): void {
    this.dirty = true;
    this.resolve?.();
  }

  wait(): Promise<void> {
    if (this.dirty || this.signal.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), LOG_FORCE_CHECK_MS);
      this.resolve = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        this.dirty = false;
        resolve();
      };
    });
  }

  close(): void {
    this.watcher?.close();
  }
}
