import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { log } from './log';

/** ExportResultCode.FAILED, by value: this module must not load @opentelemetry/core eagerly. */
const FAILED = 1;

/**
 * Loads an exporter on its first use instead of at start-up. The OTLP exporters and their shared
 * transport/serialisation code are a large part of the preload's cost, and nothing is exported
 * before the first batch is due anyway. A load failure fails that export (the SDK counts it) and is
 * logged once; it never throws into the app.
 */
class Lazy<T extends { shutdown(): Promise<void>; forceFlush?(): Promise<void> }> {
  private instance: T | undefined;
  private failure: Error | undefined;
  constructor(
    private readonly what: string,
    private readonly load: () => T,
  ) {}

  get(): T | undefined {
    if (this.instance || this.failure) return this.instance;
    try {
      this.instance = this.load();
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      log('error', `${this.what} could not be loaded; nothing of that signal is exported: ${this.failure.message}`);
    }
    return this.instance;
  }

  export(resultCallback: (result: ExportResult) => void, call: (exporter: T) => void): void {
    const exporter = this.get();
    if (exporter) call(exporter);
    else resultCallback({ code: FAILED, error: this.failure ?? new Error(`${this.what} unavailable`) });
  }

  /** Nothing to stop or flush if the exporter was never needed. */
  shutdown(): Promise<void> {
    return this.instance ? this.instance.shutdown() : Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return this.instance?.forceFlush ? this.instance.forceFlush() : Promise.resolve();
  }
}

export function lazySpanExporter(what: string, load: () => SpanExporter): SpanExporter {
  const lazy = new Lazy(what, load);
  return {
    export: (spans: ReadableSpan[], done: (result: ExportResult) => void) => lazy.export(done, (e) => e.export(spans, done)),
    shutdown: () => lazy.shutdown(),
    forceFlush: () => lazy.forceFlush(),
  };
}

export function lazyLogExporter(what: string, load: () => LogRecordExporter): LogRecordExporter {
  const lazy = new Lazy(what, load);
  return {
    export: (records: ReadableLogRecord[], done: (result: ExportResult) => void) => lazy.export(done, (e) => e.export(records, done)),
    shutdown: () => lazy.shutdown(),
    forceFlush: () => lazy.forceFlush(),
  };
}

export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';

/**
 * The metric reader asks its exporter for the aggregation temporality when it is built, so a lazy
 * metric exporter answers that itself, by the rules of the OTLP metric exporter for
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
 */
export function lazyMetricExporter(
  what: string,
  load: () => PushMetricExporter,
  preference: TemporalityPreference,
  sdk: { AggregationTemporality: typeof AggregationTemporality; InstrumentType: typeof InstrumentType },
): PushMetricExporter {
  const lazy = new Lazy(what, load);
  const { CUMULATIVE, DELTA } = sdk.AggregationTemporality;
  const I = sdk.InstrumentType;
  const deltaKinds =
    preference === 'delta'
      ? new Set([I.COUNTER, I.OBSERVABLE_COUNTER, I.GAUGE, I.HISTOGRAM, I.OBSERVABLE_GAUGE])
      : preference === 'lowmemory'
        ? new Set([I.COUNTER, I.HISTOGRAM])
        : new Set<InstrumentType>();
  return {
    export: (metrics: ResourceMetrics, done: (result: ExportResult) => void) => lazy.export(done, (e) => e.export(metrics, done)),
    shutdown: () => lazy.shutdown(),
    forceFlush: () => lazy.forceFlush(),
    selectAggregationTemporality: (kind: InstrumentType) => (deltaKinds.has(kind) ? DELTA : CUMULATIVE),
  };
}
