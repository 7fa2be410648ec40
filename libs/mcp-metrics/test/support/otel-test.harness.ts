/* eslint-disable @nx/enforce-module-boundaries -- the lib talks to @opentelemetry/api only; its tests
   need a real SDK in-process to assert on what that API calls produce. */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { Attributes, MeterProvider as MeterProviderApi } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * A reader collected on demand by the test. Delta temporality: each collection holds only what was
 * recorded since the previous one, so `reset()` between tests gives every test a clean slate even
 * though instruments with the same name are shared across the file.
 */
class OnDemandMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A metric as collected, with the name of the meter (instrumentation scope) that made it. */
export interface CollectedMetric {
  /** Meter name. */
  scope: string;
  /** Meter version. */
  scopeVersion: string | undefined;
  /** The SDK's metric data. */
  metric: MetricData;
}

/** A real SDK registered globally: spans in memory, metrics collected on demand. */
export interface OtelHarness {
  /** Spans ended so far (since the last reset). */
  spans(): ReadableSpan[];
  /** Metrics recorded since the previous collection or reset. */
  collect(): Promise<CollectedMetric[]>;
  /** Forgets spans and metrics recorded so far. */
  reset(): Promise<void>;
  /** Shuts the SDK down and unregisters every global, as before `startOtelHarness`. */
  shutdown(): Promise<void>;
}

/** Registers an SDK as `@mcp/otel-bootstrap` would: ALS context manager, W3C propagators, providers. */
export function startOtelHarness(): OtelHarness {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new OnDemandMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  const collect = async (): Promise<CollectedMetric[]> => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
    return resourceMetrics.scopeMetrics.flatMap((scopeMetrics) =>
      scopeMetrics.metrics.map((metric) => ({
        scope: scopeMetrics.scope.name,
        scopeVersion: scopeMetrics.scope.version,
        metric,
      })),
    );
  };

  return {
    spans: () => exporter.getFinishedSpans(),
    collect,
    reset: async () => {
      exporter.reset();
      await collect();
    },
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** What kind of instrument produced a metric, as the exported data shows it. */
export type InstrumentKind = 'counter' | 'updowncounter' | 'histogram' | 'gauge' | 'exponential-histogram';

/** The kind of instrument behind `entry`: monotonic sum = counter, non-monotonic sum = up-down counter. */
export function instrumentKind(entry: CollectedMetric): InstrumentKind {
  const { metric } = entry;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'updowncounter';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return 'exponential-histogram';
  }
}

/** A meter provider that is NOT registered globally, for tests of the `meterProvider` option. */
export interface IsolatedMeterProvider {
  /** The provider to pass as an option. */
  meterProvider: MeterProviderApi;
  /** Names of the metrics recorded through it so far. */
  metricNames(): Promise<string[]>;
  /** Shuts it down. */
  shutdown(): Promise<void>;
}

/** Creates an {@link IsolatedMeterProvider}. */
export function createIsolatedMeterProvider(): IsolatedMeterProvider {
  const reader = new OnDemandMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    metricNames: async () => {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name));
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

/** The metric called `name`; fails the test when absent. */
export function metricNamed(collected: readonly CollectedMetric[], name: string): CollectedMetric {
  const found = collected.find((entry) => entry.metric.descriptor.name === name);
  if (found === undefined) {
    throw new Error(`no metric ${name}; have ${collected.map((entry) => entry.metric.descriptor.name).join(', ')}`);
  }
  return found;
}

/** One data point of a sum or gauge, flattened for `toEqual`. */
export interface SumPoint {
  /** Attributes of the series. */
  attributes: Attributes;
  /** Value recorded since the previous collection. */
  value: number;
}

/** The data points of a counter or up-down counter. */
export function sumPoints(entry: CollectedMetric): SumPoint[] {
  const { metric } = entry;
  if (metric.dataPointType !== DataPointType.SUM) throw new Error(`${metric.descriptor.name} is not a sum`);
  return metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }));
}

/** One data point of a histogram, flattened for `toEqual`. */
export interface HistogramPoint {
  /** Attributes of the series. */
  attributes: Attributes;
  /** Number of recordings. */
  count: number;
  /** Bucket boundaries in use. */
  boundaries: number[];
  /** Sum of the recordings. */
  sum: number | undefined;
}

/** The data points of a histogram. */
export function histogramPoints(entry: CollectedMetric): HistogramPoint[] {
  const { metric } = entry;
  if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${metric.descriptor.name} is not a histogram`);
  return metric.dataPoints.map((point) => ({
    attributes: point.attributes,
    count: point.value.count,
    boundaries: point.value.buckets.boundaries,
    sum: point.value.sum,
  }));
}

/** Every attribute key and value of every data point, for "nothing personal in here" assertions. */
export function allMetricAttributes(collected: readonly CollectedMetric[]): Attributes[] {
  return collected.flatMap(({ metric }) => metric.dataPoints.map((point) => point.attributes));
}
