import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * The options of every service's logger: JSON lines tagged with the service, ISO times, and
 * credentials redacted wherever they would appear. Exported so tests can send the same lines to a
 * stream of their own (`pino(loggerOptions(...), stream)`).
 */
export function loggerOptions(service: string, level: LoggerOptions['level'] = 'info'): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.password', '*.secret', '*.headers.authorization', '*.headers["x-internal-secret"]', '*.headers.cookie'],
      censor: '[redacted]',
    },
  };
}

/**
 * The services' logger: JSON lines on stdout. The pino instrumentation of @mcp/otel-bootstrap adds
 * trace_id/span_id to every line logged inside a span and exports each record as an OTLP log.
 */
export function createLogger(service: string, level: LoggerOptions['level'] = 'info'): Logger {
  return pino(loggerOptions(service, level));
}
