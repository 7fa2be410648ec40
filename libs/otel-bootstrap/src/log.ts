import type { LogLevelName } from './config';

const ORDER: Record<LogLevelName, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4, verbose: 5, all: 6 };
let threshold = ORDER.info;

/** Our own messages honour OTEL_LOG_LEVEL like the SDK's, and go to stderr, never to the app's stdout logs. */
export function setLogLevel(level: LogLevelName): void {
  threshold = ORDER[level];
}

export function log(level: 'error' | 'warn' | 'info' | 'debug', message: string): void {
  if (ORDER[level] > threshold) return;
  process.stderr.write(`[otel-bootstrap] ${level}: ${message}\n`);
}
