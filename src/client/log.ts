/**
 * The logger every Skiff component uses: levelled, structured (a message plus key/value fields),
 * one line per entry on stderr. Components take a `Logger` in their options and derive children
 * with `child()` so each line names where it came from (`component=replicaset-controller`).
 *
 * Quiet by default under `node --test` (which sets NODE_TEST_CONTEXT in test processes) so test
 * output stays readable; `SKIFF_LOG_LEVEL=debug` turns everything back on.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Structured context attached to a log line. Errors are rendered by their message. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** True if entries at `level` are written (guards expensive field construction). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

/** One finished entry, as handed to a sink. */
export interface LogEntry {
  time: number;
  level: Exclude<LogLevel, 'silent'>;
  msg: string;
  fields: LogFields;
}

export type LogSink = (entry: LogEntry) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  /** Default: `$SKIFF_LOG_LEVEL`, else `silent` inside `node --test`, else `info`. */
  level?: LogLevel;
  /** Where entries go. Default: one formatted line per entry on stderr. */
  sink?: LogSink;
  /** Fields added to every entry, e.g. `{ component: 'scheduler' }`. */
  fields?: LogFields;
}

/** The level used when none is given: see the module comment. */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const fromEnv = env['SKIFF_LOG_LEVEL']?.toLowerCase();
  if (fromEnv && fromEnv in RANK) return fromEnv as LogLevel;
  return env['NODE_TEST_CONTEXT'] ? 'silent' : 'info';
}

/** Creates a logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return new FieldLogger(opts.level ?? defaultLogLevel(), opts.sink ?? stderrSink, opts.fields ?? {});
}

class FieldLogger implements Logger {
  constructor(
    readonly level: LogLevel,
    private readonly sink: LogSink,
    private readonly fields: LogFields,
  ) {}

  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return RANK[level] >= RANK[this.level];
  }
  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new FieldLogger(this.level, this.sink, { ...this.fields, ...fields });
  }

  private write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    try {
      this.sink({ time: Date.now(), level, msg, fields: fields ? { ...this.fields, ...fields } : this.fields });
    } catch {
      // A broken sink must never take a controller down with it.
    }
  }
}

/** A logger that writes nothing (the default for library code given no logger). */
export const silentLogger: Logger = createLogger({ level: 'silent', sink: () => {} });

/** Renders an entry as `2024-05-01T10:00:00.000Z INFO message key=value key2="quoted value"`. */
export function formatLogEntry(entry: LogEntry): string {
  let line = `${new Date(entry.time).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${entry.msg}`;
  for (const [k, v] of Object.entries(entry.fields)) {
    if (v === undefined) continue;
    line += ` ${k}=${formatValue(v)}`;
  }
  return line;
}

function formatValue(v: unknown): string {
  let s: string;
  if (v instanceof Error) s = v.message;
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : JSON.stringify(s);
}

function stderrSink(entry: LogEntry): void {
  process.stderr.write(formatLogEntry(entry) + '\n');
}

/** A logger that records entries in memory, for tests that assert something was logged. */
export interface CapturingLogger extends Logger {
  readonly entries: LogEntry[];
}

/** Creates a logger that keeps every entry at or above `level` (default debug) in `entries`. */
export function captureLogger(level: LogLevel = 'debug'): CapturingLogger {
  const entries: LogEntry[] = [];
  const logger = createLogger({ level, sink: (e) => entries.push(e) });
  return Object.assign(logger, { entries });
}
