import type { LoggerProvider, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { definedOnly, type ResolvedConfig } from './config';
import { otlpLogExporter } from './exporters';
import { load } from './packages';

/**
 * The logger provider of OTEL_LOGS_EXPORTER (none: no provider, and sdk-logs is never loaded); the
 * pino instrumentation sends each log record through it. `selfMetrics`: as for traces.
 */
export function createLoggerProvider(config: ResolvedConfig, resource: Resource, selfMetrics: MeterProvider | undefined): LoggerProvider | undefined {
  if (config.logs.exporters.length === 0) return undefined;
  const l = load.sdkLogs();
  const processors: LogRecordProcessor[] = config.logs.exporters.map((name) =>
    name === 'console'
      ? new l.SimpleLogRecordProcessor({ exporter: new l.ConsoleLogRecordExporter() })
      : new l.BatchLogRecordProcessor({
          exporter: otlpLogExporter(config.logs.protocol),
          ...definedOnly(config.logs.batch),
          ...(selfMetrics && { selfObsMeterProvider: selfMetrics }),
        }),
  );
  return new l.LoggerProvider({ resource, processors, ...(selfMetrics && { meterProvider: selfMetrics }) });
}
