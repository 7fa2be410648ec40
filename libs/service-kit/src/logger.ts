import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * The services' logger: JSON lines on stdout. The pino instrumentation of @mcp/otel-bootstrap adds
 * trace_id/span_id to every line logged inside a span and exports each record as an OTLP log.
 * Credentials are redacted wherever they would appear.
 */
export function createLogger(service: string, level: LoggerOptions['level'] = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.password', '*.secret', '*.headers.authorization', '*.headers["x-internal-secret"]', '*.headers.cookie'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
