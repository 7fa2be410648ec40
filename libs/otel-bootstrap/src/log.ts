import { inspect } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';
import type { LogLevelName } from './config';
import { load } from './packages';

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

/** An error's message, for a log line. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Routes the SDK's diagnostics to stderr at `level`. The SDK's DiagConsoleLogger writes info and
 * debug through console.log/info, i.e. to stdout, where the services write their JSON log lines.
 */
export function installDiagLogger(level: LogLevelName): void {
  const { diag, DiagLogLevel } = load.api();
  const levels = { none: DiagLogLevel.NONE, error: DiagLogLevel.ERROR, warn: DiagLogLevel.WARN, info: DiagLogLevel.INFO, debug: DiagLogLevel.DEBUG, verbose: DiagLogLevel.VERBOSE, all: DiagLogLevel.ALL };
  diag.setLogger(stderrDiagLogger, { logLevel: levels[level], suppressOverrideMessage: true });
}

const stderrDiagLogger: DiagLogger = {
  error: (message, ...args) => writeDiag('error', message, args),
  warn: (message, ...args) => writeDiag('warn', message, args),
  info: (message, ...args) => writeDiag('info', message, args),
  debug: (message, ...args) => writeDiag('debug', message, args),
  verbose: (message, ...args) => writeDiag('verbose', message, args),
};

function writeDiag(level: string, message: string, args: unknown[]): void {
  const extra = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 3, breakLength: Infinity }))).join(' ');
  process.stderr.write(`[otel] ${level}: ${message}${extra ? ` ${extra}` : ''}\n`);
}
