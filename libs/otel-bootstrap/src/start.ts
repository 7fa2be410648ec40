import type { DiagLogLevel, TextMapPropagator } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { LoggerProvider, LogRecordExporter, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MeterProvider, MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Sampler, SpanExporter, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { resolveConfig, type ExporterProtocol, type ResolvedConfig, type TelemetryOptions } from './config';
import { createInstrumentations } from './instrumentations';
import { installSignalHandlers, NOOP_HANDLE, state, withDeadline, type TelemetryHandle } from './lifecycle';
import { log, setLogLevel } from './log';
import { buildResource } from './resource';
import { lazyLogExporter, lazyMetricExporter, lazySpanExporter } from './lazy-exporter';
import { histogramViews } from './views';

/**
 * Starts OpenTelemetry (traces, metrics, logs) from the OTEL_* environment, once per process: a
 * second call returns the first handle. Never throws: a failure to start is logged and the app
 * gets the no-op handle, so telemetry can never keep a service from serving.
 */
export function startTelemetry(options: TelemetryOptions = {}): TelemetryHandle {
  if (state.handle) return state.handle;
  let config: ResolvedConfig;
  try {
    const resolved = resolveConfig(options);
    config = resolved.config;
    setLogLevel(config.logLevel);
    for (const warning of resolved.warnings) log('warn', warning);
  } catch (error) {
    log('error', `telemetry configuration failed, telemetry is off: ${describe(error)}`);
    return (state.handle = NOOP_HANDLE);
  }
  if (config.handleSignals) installSignalHandlers(config.appShutdownTimeoutMs);
  if (config.disabled) {
    log('debug', 'OTEL_SDK_DISABLED=true: telemetry is off');
    return (state.handle = NOOP_HANDLE);
  }
  try {
    return (state.handle = startSdk(config));
  } catch (error) {
    log('error', `telemetry failed to start, the service runs without it: ${describe(error)}`);
    return (state.handle = NOOP_HANDLE);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function startSdk(config: ResolvedConfig): TelemetryHandle {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  if (config.logLevel !== 'info' || process.env['OTEL_LOG_LEVEL']) {
    api.diag.setLogger(stderrDiagLogger, { logLevel: diagLevel(api.DiagLogLevel, config.logLevel), suppressOverrideMessage: true });
  }

  // Instrumentations first: their require hooks must be in place before anything below loads a
  // library they patch (the OTLP gRPC exporter loads @grpc/grpc-js). Those of libraries are created
  // later, on first require, and registered with the providers built below (by then always built,
  // since the app's modules load after this).
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const providers: Omit<Parameters<typeof registerInstrumentations>[0], 'instrumentations'> = {};
  const instrumentations: Instrumentation[] = [];
  const register = (instrumentation: Instrumentation): void => {
    instrumentations.push(instrumentation);
    registerInstrumentations({ ...providers, instrumentations: [instrumentation] });
  };
  const created = createInstrumentations(config.instrumentations, register, (name, error) =>
    log('warn', `instrumentation ${name} could not be loaded: ${describe(error)}`),
  );
  for (const { name, error } of created.failed) log('warn', `instrumentation ${name} could not be loaded: ${describe(error)}`);

  try {
    const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const propagator = createPropagator(config);
    if (propagator) api.propagation.setGlobalPropagator(propagator);

    const resource = buildResource(config);
    const meterProvider = createMeterProvider(config, resource);
    const selfMetrics = config.sdkSelfMetrics ? meterProvider : undefined;
    const tracerProvider = createTracerProvider(config, resource, selfMetrics);
    const loggerProvider = createLoggerProvider(config, resource, selfMetrics);

    if (meterProvider) api.metrics.setGlobalMeterProvider(meterProvider);
    if (tracerProvider) api.trace.setGlobalTracerProvider(tracerProvider);
    if (loggerProvider) api.logs.setGlobalLoggerProvider(loggerProvider);
    Object.assign(providers, {
      ...(tracerProvider && { tracerProvider }),
      ...(meterProvider && { meterProvider }),
      ...(loggerProvider && { loggerProvider }),
    });
    created.eager.forEach(register);

    const running = [tracerProvider, meterProvider, loggerProvider].filter((p) => p !== undefined);
    let stopped: Promise<void> | undefined;
    const handle: TelemetryHandle = {
      enabled: true,
      forceFlush: async () => {
        await withDeadline(Promise.all(running.map((p) => p.forceFlush())), config.shutdownTimeoutMs, 'telemetry flush');
      },
      shutdown: () =>
        (stopped ??= (async () => {
          for (const instrumentation of instrumentations) instrumentation.disable();
          // Spans and logs first, metrics last: the final metric export then also counts what the
          // last span and log flushes did (SDK self-metrics), all within the one deadline.
          const lastMetrics = async () => meterProvider?.shutdown();
          const ordered = Promise.all([tracerProvider?.shutdown(), loggerProvider?.shutdown()]).then(lastMetrics, lastMetrics);
          await withDeadline(ordered, config.shutdownTimeoutMs, 'telemetry shutdown');
        })()),
    };
    // A script that simply runs out of work would otherwise exit with its last batch still queued
    // (the batch timers do not keep the process alive); the flush keeps it alive until delivered.
    process.once('beforeExit', () => void handle.shutdown());
    return handle;
  } catch (error) {
    // Telemetry is off after all: no further instrumentation is created, and those made are unhooked.
    created.cancelDeferred();
    for (const instrumentation of [...created.eager, ...instrumentations]) instrumentation.disable();
    throw error;
  }
}

/**
 * The SDK's DiagConsoleLogger writes info and debug through console.log/info, i.e. to stdout, where
 * the services write their JSON log lines; SDK diagnostics go to stderr with our own messages.
 */
const stderrDiagLogger: import('@opentelemetry/api').DiagLogger = {
  error: (message, ...args) => writeDiag('error', message, args),
  warn: (message, ...args) => writeDiag('warn', message, args),
  info: (message, ...args) => writeDiag('info', message, args),
  debug: (message, ...args) => writeDiag('debug', message, args),
  verbose: (message, ...args) => writeDiag('verbose', message, args),
};

function writeDiag(level: string, message: string, args: unknown[]): void {
  const { inspect } = require('node:util') as typeof import('node:util');
  const extra = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 3, breakLength: Infinity }))).join(' ');
  process.stderr.write(`[otel] ${level}: ${message}${extra ? ` ${extra}` : ''}\n`);
}

function diagLevel(levels: typeof DiagLogLevel, name: ResolvedConfig['logLevel']): DiagLogLevel {
  const map = { none: levels.NONE, error: levels.ERROR, warn: levels.WARN, info: levels.INFO, debug: levels.DEBUG, verbose: levels.VERBOSE, all: levels.ALL };
  return map[name];
}

function createPropagator(config: ResolvedConfig): TextMapPropagator | undefined {
  const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const propagators: TextMapPropagator[] = config.propagators.map((name) => {
    switch (name) {
      case 'tracecontext':
        return new core.W3CTraceContextPropagator();
      case 'baggage':
        return new core.W3CBaggagePropagator();
      case 'b3':
      case 'b3multi': {
        const b3 = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
        return new b3.B3Propagator(name === 'b3multi' ? { injectEncoding: b3.B3InjectEncoding.MULTI_HEADER } : {});
      }
    }
  });
  if (propagators.length === 0) return undefined;
  return propagators.length === 1 ? propagators[0] : new core.CompositePropagator({ propagators });
}

/**
 * Root spans that libraries make on their own at start-up, outside any request (the redis client's
 * connect, graphql building a schema): one useless trace each per process start. Spans of the same
 * names inside a request are kept.
 */
export const STARTUP_ROOT_SPAN_NAMES: ReadonlySet<string> = new Set(['redis-connect', 'graphql.parseSchema']);

function createSampler(config: ResolvedConfig): Sampler {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const configured = createConfiguredSampler(config);
  return {
    shouldSample(context, traceId, spanName, spanKind, attributes, links) {
      if (STARTUP_ROOT_SPAN_NAMES.has(spanName) && !api.trace.getSpanContext(context)) {
        return { decision: api.SamplingDecision.NOT_RECORD };
      }
      return configured.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `DropStartupRootSpans{${configured.toString()}}`,
  };
}

function createConfiguredSampler(config: ResolvedConfig): Sampler {
  const t = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { name, ratio } = config.sampler;
  switch (name) {
    case 'always_on':
      return new t.AlwaysOnSampler();
    case 'always_off':
      return new t.AlwaysOffSampler();
    case 'traceidratio':
      return new t.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new t.ParentBasedSampler({ root: new t.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new t.ParentBasedSampler({ root: new t.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new t.ParentBasedSampler({ root: new t.TraceIdRatioBasedSampler(ratio) });
  }
}

/** Builds one component; a constructor that throws costs only that component. */
function tryCreate<T>(what: string, create: () => T): T | undefined {
  try {
    return create();
  } catch (error) {
    log('warn', `${what} could not be created, that signal is not exported: ${describe(error)}`);
    return undefined;
  }
}

/**
 * The OTLP exporters read their endpoint, headers, timeout, compression and TLS settings from the
 * environment themselves, as the specification defines. Literal requires, one per package, so that
 * only the protocol in use is ever loaded.
 */
function otlpTraceExporter(protocol: ExporterProtocol): SpanExporter {
  switch (protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http/json':
      return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'http/protobuf':
      return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  }
}

function otlpMetricExporter(protocol: ExporterProtocol): PushMetricExporter {
  switch (protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
    case 'http/json':
      return new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
    case 'http/protobuf':
      return new (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
  }
}

function otlpLogExporter(protocol: ExporterProtocol): LogRecordExporter {
  switch (protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-logs-otlp-grpc') as typeof import('@opentelemetry/exporter-logs-otlp-grpc')).OTLPLogExporter();
    case 'http/json':
      return new (require('@opentelemetry/exporter-logs-otlp-http') as typeof import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter();
    case 'http/protobuf':
      return new (require('@opentelemetry/exporter-logs-otlp-proto') as typeof import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter();
  }
}

function createTracerProvider(config: ResolvedConfig, resource: import('@opentelemetry/resources').Resource, selfMetrics: MeterProvider | undefined): TracerProvider | undefined {
  if (config.traces.exporters.length === 0) return undefined;
  const t = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const spanProcessors: SpanProcessor[] = [];
  for (const name of config.traces.exporters) {
    if (name === 'console') {
      spanProcessors.push(new t.SimpleSpanProcessor({ exporter: new t.ConsoleSpanExporter() }));
      continue;
    }
    const exporter = lazySpanExporter(`the OTLP trace exporter (${config.traces.protocol})`, () => otlpTraceExporter(config.traces.protocol));
    spanProcessors.push(
      new t.BatchSpanProcessor({ exporter, ...spanBatchSettings(config.traces.batch), ...(selfMetrics && { selfObsMeterProvider: selfMetrics }) }),
    );
  }
  if (spanProcessors.length === 0) return undefined;
  return new t.TracerProvider({
    resource,
    sampler: createSampler(config),
    spanProcessors,
    spanLimits: spanLimitsFromEnv(),
    // SDK self-metrics (spans started, live, processed, dropped) when OTEL_NODE_EXPERIMENTAL_SDK_METRICS is on.
    ...(selfMetrics && { meterProvider: selfMetrics }),
  });
}

function createMeterProvider(config: ResolvedConfig, resource: import('@opentelemetry/resources').Resource): MeterProvider | undefined {
  if (config.metrics.exporters.length === 0) return undefined;
  const m = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const readers: MetricReader[] = [];
  for (const name of config.metrics.exporters) {
    if (name === 'prometheus') {
      const reader = tryCreate('the Prometheus exporter', () => {
        const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
        const port = Number(process.env['OTEL_EXPORTER_PROMETHEUS_PORT'] ?? 9464);
        const host = process.env['OTEL_EXPORTER_PROMETHEUS_HOST'];
        return new PrometheusExporter({ port: Number.isInteger(port) && port > 0 ? port : 9464, ...(host && { host }) }, (error) => {
          if (error) log('warn', `the Prometheus endpoint could not start: ${describe(error)}`);
        });
      });
      if (reader) readers.push(reader);
      continue;
    }
    const exporter =
      name === 'console'
        ? new m.ConsoleMetricExporter()
        : lazyMetricExporter(
            `the OTLP metric exporter (${config.metrics.protocol})`,
            () => otlpMetricExporter(config.metrics.protocol),
            config.metrics.temporalityPreference,
            m,
          );
    readers.push(
      new m.PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: config.metrics.exportIntervalMillis,
        exportTimeoutMillis: config.metrics.exportTimeoutMillis,
        ...(config.metrics.maxExportBatchSize !== undefined && { maxExportBatchSize: config.metrics.maxExportBatchSize }),
      }),
    );
  }
  if (readers.length === 0) return undefined;
  return new m.MeterProvider({ resource, readers, views: histogramViews(m.AggregationType) });
}

function createLoggerProvider(config: ResolvedConfig, resource: import('@opentelemetry/resources').Resource, selfMetrics: MeterProvider | undefined): LoggerProvider | undefined {
  if (config.logs.exporters.length === 0) return undefined;
  const l = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const processors: LogRecordProcessor[] = [];
  for (const name of config.logs.exporters) {
    if (name === 'console') {
      processors.push(new l.SimpleLogRecordProcessor({ exporter: new l.ConsoleLogRecordExporter() }));
      continue;
    }
    const exporter = lazyLogExporter(`the OTLP log exporter (${config.logs.protocol})`, () => otlpLogExporter(config.logs.protocol));
    processors.push(
      new l.BatchLogRecordProcessor({ exporter, ...definedOnly(config.logs.batch), ...(selfMetrics && { selfObsMeterProvider: selfMetrics }) }),
    );
  }
  if (processors.length === 0) return undefined;
  return new l.LoggerProvider({ resource, processors, ...(selfMetrics && { meterProvider: selfMetrics }) });
}

/**
 * The specification's batch defaults (queue 2048, batch 512, one export in flight) drop spans from
 * about 10 k spans/s on: a queue of 2048 is ~100 ms of headroom at 20 k/s, less than one slow
 * export. Measured with tools/bench (export path, 20 k spans/s): 911–17 196 of 80 k spans dropped
 * with the defaults, 0–5 478 with these; larger batches also halve the export requests. The
 * OTEL_BSP_* variables still win; a smaller queue set there also caps the batch.
 */
export const SPAN_QUEUE_SIZE = 8192;
export const SPAN_BATCH_SIZE = 1024;

function spanBatchSettings(batch: ResolvedConfig['traces']['batch']): Partial<ResolvedConfig['traces']['batch']> {
  const maxQueueSize = batch.maxQueueSize ?? SPAN_QUEUE_SIZE;
  return { ...definedOnly(batch), maxQueueSize, maxExportBatchSize: batch.maxExportBatchSize ?? Math.min(SPAN_BATCH_SIZE, maxQueueSize) };
}

function definedOnly<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function spanLimitsFromEnv(): import('@opentelemetry/sdk-trace').SpanLimits {
  const { getNumberFromEnv } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const limits = {
    attributeCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: getNumberFromEnv('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: getNumberFromEnv('OTEL_SPAN_LINK_COUNT_LIMIT'),
  };
  return definedOnly(limits);
}
