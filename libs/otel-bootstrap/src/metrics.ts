import type { AggregationType, MeterProvider, MetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { REQUEST_DURATION_BUCKETS_SECONDS } from '@mcp/contracts/duration-buckets';
import type { ResolvedConfig } from './config';
import { otlpMetricExporter } from './exporters';
import { describe, log } from './log';
import { load } from './packages';
import { observeProcessMetrics } from './process-metrics';
import { METRIC_RENAME_VIEWS } from './semconv-migration';

/**
 * The seed's HTTP buckets (0 ms to 10 s), in seconds: the stable HTTP semantic conventions measure
 * `http.*.request.duration` in seconds, where the seed's `http.*.duration` was in ms. The seed
 * listed its HTTP buckets from 0 (the SDK's default boundaries); the shared list, which the other
 * hops' histograms use as the conventions advise, starts at 5 ms: the 0 keeps these the seed's.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0, ...REQUEST_DURATION_BUCKETS_SECONDS];

export const HISTOGRAM_VIEW_INSTRUMENTS = ['http.server.request.duration', 'http.client.request.duration'] as const;

function histogramViews(aggregationType: typeof AggregationType): ViewOptions[] {
  return HISTOGRAM_VIEW_INSTRUMENTS.map((instrumentName) => ({
    instrumentName,
    aggregation: { type: aggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...DURATION_BUCKETS_SECONDS] } },
  }));
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
    if (name === 'prometheus') {
      const reader = prometheusReader(settings.prometheus);
      if (reader) readers.push(reader);
      continue;
    }
    readers.push(
      new m.PeriodicExportingMetricReader({
        exporter: name === 'console' ? new m.ConsoleMetricExporter() : otlpMetricExporter(settings, m),
        exportIntervalMillis: settings.exportIntervalMillis,
        exportTimeoutMillis: settings.exportTimeoutMillis,
        ...(settings.maxExportBatchSize !== undefined && { maxExportBatchSize: settings.maxExportBatchSize }),
      }),
    );
  }
  if (readers.length === 0) return undefined;
  const provider = new m.MeterProvider({ resource, readers, views: [...histogramViews(m.AggregationType), ...METRIC_RENAME_VIEWS] });
  observeProcessMetrics(provider);
  return provider;
}

function prometheusReader({ port, host }: ResolvedConfig['metrics']['prometheus']): MetricReader | undefined {
  try {
    return new (load.prometheus().PrometheusExporter)({ port, ...(host && { host }) }, (error) => {
      if (error) log('warn', `the Prometheus endpoint could not start: ${describe(error)}`);
    });
  } catch (error) {
    log('warn', `the Prometheus exporter could not be created, that signal is not exported: ${describe(error)}`);
    return undefined;
  }
}
