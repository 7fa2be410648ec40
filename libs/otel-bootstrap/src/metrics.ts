import type { AggregationType, MeterProvider, MetricProducer, MetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import type { ResolvedConfig } from './config';
import { otlpMetricExporter } from './exporters';
import { DURATION_BUCKETS_SECONDS, serverDuration } from './http-server-duration';
import { describe, log } from './log';
import { load } from './packages';
import { observeProcessMetrics } from './process-metrics';
import { METRIC_RENAME_VIEWS } from './semconv-migration';

export { DURATION_BUCKETS_SECONDS };

/**
 * The seed's buckets for the HTTP client histogram (instrumentation-http's). The server's,
 * `http.server.request.duration`, is no SDK instrument: http-server-duration.ts aggregates it with
 * the same buckets and hands it to each reader.
 */
function histogramViews(aggregationType: typeof AggregationType): ViewOptions[] {
  return [{ instrumentName: 'http.client.request.duration', aggregation: { type: aggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...DURATION_BUCKETS_SECONDS] } } }];
}

/**
 * The meter provider of OTEL_METRICS_EXPORTER (none: no provider, and sdk-metrics is never loaded):
 * OTLP and console push every OTEL_METRIC_EXPORT_INTERVAL, prometheus serves a scrape endpoint.
 * A Prometheus endpoint that cannot be created costs only that reader.
 */
export function createMeterProvider(config: ResolvedConfig, resource: Resource): MeterProvider | undefined {
  const settings = config.metrics;
  if (settings.exporters.length === 0) return undefined;
  const m = load.sdkMetrics();
  const readers: MetricReader[] = [];
  for (const name of settings.exporters) {
    // Each reader also collects `http.server.request.duration`, aggregated by http-server-duration.ts.
    const duration = serverDuration.producer(resource);
    const reader =
      name === 'prometheus'
        ? prometheusReader(settings.prometheus, duration.producer)
        : new m.PeriodicExportingMetricReader({
            exporter: name === 'console' ? new m.ConsoleMetricExporter() : otlpMetricExporter(settings, m),
            exportIntervalMillis: settings.exportIntervalMillis,
            exportTimeoutMillis: settings.exportTimeoutMillis,
            metricProducers: [duration.producer],
            ...(settings.maxExportBatchSize !== undefined && { maxExportBatchSize: settings.maxExportBatchSize }),
          });
    if (reader) {
      duration.bind(reader);
      readers.push(reader);
    } else {
      serverDuration.remove(duration.producer);
    }
  }
  if (readers.length === 0) return undefined;
  const provider = new m.MeterProvider({ resource, readers, views: [...histogramViews(m.AggregationType), ...METRIC_RENAME_VIEWS] });
  observeProcessMetrics(provider);
  return provider;
}

function prometheusReader({ port, host }: ResolvedConfig['metrics']['prometheus'], producer: MetricProducer): MetricReader | undefined {
  try {
    return new (load.prometheus().PrometheusExporter)({ port, ...(host && { host }), metricProducers: [producer] }, (error) => {
      if (error) log('warn', `the Prometheus endpoint could not start: ${describe(error)}`);
    });
  } catch (error) {
    log('warn', `the Prometheus exporter could not be created, that signal is not exported: ${describe(error)}`);
    return undefined;
  }
}
