import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ExporterProtocol, ResolvedConfig } from './config';
import { log } from './log';
import { load } from './packages';

/**
 * The OTLP exporters, one package per signal and protocol. They read their endpoint, headers,
 * timeout, compression and TLS settings from the environment themselves, as the specification
 * defines; only the protocol in use is ever loaded, on the first export. The `http/protobuf` span
 * exporter is upstream's transport with our serialiser (otlp-protobuf-span-exporter.ts): spans are
 * what a service exports most, and serialising them was the largest cost of a recorded request.
 */
const OTLP = {
  traces: {
    grpc: (): SpanExporter => new (load.traceOtlpGrpc().OTLPTraceExporter)(),
    'http/json': (): SpanExporter => new (load.traceOtlpHttp().OTLPTraceExporter)(),
    'http/protobuf': (): SpanExporter => load.otlpProtobufSpanExporter().createOtlpProtobufSpanExporter(),
  },
  metrics: {
    grpc: (): PushMetricExporter => new (load.metricsOtlpGrpc().OTLPMetricExporter)(),
    'http/json': (): PushMetricExporter => new (load.metricsOtlpHttp().OTLPMetricExporter)(),
    'http/protobuf': (): PushMetricExporter => new (load.metricsOtlpProto().OTLPMetricExporter)(),
  },
  logs: {
    grpc: (): LogRecordExporter => new (load.logsOtlpGrpc().OTLPLogExporter)(),
    'http/json': (): LogRecordExporter => new (load.logsOtlpHttp().OTLPLogExporter)(),
    'http/protobuf': (): LogRecordExporter => new (load.logsOtlpProto().OTLPLogExporter)(),
  },
} satisfies Record<'traces' | 'metrics' | 'logs', Record<ExporterProtocol, () => unknown>>;

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
    private readonly create: () => T,
  ) {}

  get(): T | undefined {
    if (this.instance || this.failure) return this.instance;
    try {
      this.instance = this.create();
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

/** The OTLP span exporter of `protocol`, loaded on its first export. */
export function otlpSpanExporter(protocol: ExporterProtocol): SpanExporter {
  const lazy = new Lazy(`the OTLP trace exporter (${protocol})`, OTLP.traces[protocol]);
  return {
    export: (spans: ReadableSpan[], done: (result: ExportResult) => void) => lazy.export(done, (e) => e.export(spans, done)),
    shutdown: () => lazy.shutdown(),
    forceFlush: () => lazy.forceFlush(),
  };
}

/** The OTLP log exporter of `protocol`, loaded on its first export. */
export function otlpLogExporter(protocol: ExporterProtocol): LogRecordExporter {
  const lazy = new Lazy(`the OTLP log exporter (${protocol})`, OTLP.logs[protocol]);
  return {
    export: (records: ReadableLogRecord[], done: (result: ExportResult) => void) => lazy.export(done, (e) => e.export(records, done)),
    shutdown: () => lazy.shutdown(),
    forceFlush: () => lazy.forceFlush(),
  };
}

/**
 * The OTLP metric exporter of `protocol`, loaded on its first export. The metric reader asks its
 * exporter for the aggregation temporality when it is built, so the lazy exporter answers that
 * itself, by the rules of the OTLP metric exporter for OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
 */
export function otlpMetricExporter(
  { protocol, temporalityPreference: preference }: ResolvedConfig['metrics'],
  sdk: { AggregationTemporality: typeof AggregationTemporality; InstrumentType: typeof InstrumentType },
): PushMetricExporter {
  const lazy = new Lazy(`the OTLP metric exporter (${protocol})`, OTLP.metrics[protocol]);
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
