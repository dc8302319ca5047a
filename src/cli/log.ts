/** A small leveled logger for the CLI processes: timestamped lines on stderr. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

export function createLogger(level: LogLevel, component = 'skiff'): Logger {
  const min = ORDER[level];
  const write = (l: LogLevel, msg: string) => {
    if (ORDER[l] < min) return;
    process.stderr.write(`${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} ${component}: ${msg}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}
