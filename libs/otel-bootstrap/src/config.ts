/*
 * Over 300 lines on purpose: this is the one module that reads the environment (a test of the
 * sources enforces it), so every variable the bootstrap honours, its default and its validation
 * are found here and nowhere else. The OTLP exporters read their own OTEL_EXPORTER_OTLP_* settings
 * (endpoint, headers, TLS), as the specification defines.
 */
import { hostname } from 'node:os';
import { INSTRUMENTATION_NAMES, DEFAULT_INSTRUMENTATIONS, type InstrumentationName } from './instrumentation-names';

/** Explicit options for {@link startTelemetry}; each wins over its environment variable. */
export interface TelemetryOptions {
  /** `service.name`; else `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`; else `OTEL_SERVICE_VERSION` (seed alias), else the resource attribute. */
  serviceVersion?: string;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Record<string, string>;
  /** Deadline for flushing telemetry at shutdown, in ms; else `OTEL_NODE_SHUTDOWN_TIMEOUT_MS`, else 5000. */
  shutdownTimeoutMs?: number;
  /** Deadline for the app's own shutdown hooks, in ms; else `APP_SHUTDOWN_TIMEOUT_MS`, else 10000. */
  appShutdownTimeoutMs?: number;
  /** Install SIGTERM/SIGINT handlers that drain the app and flush telemetry (default true). */
  handleSignals?: boolean;
  /** The environment to read; `process.env` by default (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

export type ExporterProtocol = 'grpc' | 'http/protobuf' | 'http/json';
export type TraceExporterName = 'otlp' | 'console';
export type MetricExporterName = 'otlp' | 'console' | 'prometheus';
export type LogExporterName = 'otlp' | 'console';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi';
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'serviceinstance' | 'container';
export type IncomingTraceContext = 'trust' | 'restart';
export type LogLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** Probe and metrics paths: a span per scrape or probe would drown the traces that matter. */
export const IGNORED_INCOMING_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/live', '/metrics']);

/** Batch processor settings; `undefined` leaves the SDK's spec default. */
export interface BatchSettings {
  maxQueueSize: number | undefined;
  scheduledDelayMillis: number | undefined;
  exportTimeoutMillis: number | undefined;
  maxExportBatchSize: number | undefined;
}

/** Span limits; `undefined` leaves the SDK's default. */
export interface SpanLimitSettings {
  attributeCountLimit?: number;
  attributeValueLengthLimit?: number;
  eventCountLimit?: number;
  linkCountLimit?: number;
}

/** Every telemetry setting, resolved once: explicit option > environment variable > specification default. */
export interface ResolvedConfig {
  disabled: boolean;
  logLevel: LogLevelName;
  /** `OTEL_LOG_LEVEL` is set: the SDK's own diagnostics go to stderr at that level (else the SDK stays silent). */
  sdkDiagnostics: boolean;
  serviceName: string | undefined;
  serviceVersion: string | undefined;
  resourceAttributes: Record<string, string>;
  resourceDetectors: ResourceDetectorName[];
  traces: {
    exporters: TraceExporterName[];
    protocol: ExporterProtocol;
    batch: BatchSettings;
    spanLimits: SpanLimitSettings;
    /** `OTEL_SEMCONV_STABILITY_OPT_IN` has `rpc/dup`: gRPC spans also keep the pre-stable RPC keys (migrating dashboards). */
    keepOldRpcKeys: boolean;
    /** `OTEL_SEMCONV_STABILITY_OPT_IN` has `messaging/dup`: Socket.IO spans also keep the old messaging keys. */
    keepOldMessagingKeys: boolean;
  };
  metrics: {
    exporters: MetricExporterName[];
    protocol: ExporterProtocol;
    exportIntervalMillis: number;
    exportTimeoutMillis: number;
    maxExportBatchSize: number | undefined;
    temporalityPreference: 'cumulative' | 'delta' | 'lowmemory';
    /** Where the `prometheus` exporter serves `/metrics`: `OTEL_EXPORTER_PROMETHEUS_PORT` / `_HOST`. */
    prometheus: { port: number; host: string | undefined };
  };
  logs: { exporters: LogExporterName[]; protocol: ExporterProtocol; batch: BatchSettings };
  sampler: { name: SamplerName; ratio: number };
  propagators: PropagatorName[];
  instrumentations: InstrumentationName[];
  /** Incoming requests to these paths get no span, nor anything under them: {@link IGNORED_INCOMING_PATHS} and `OTEL_NODE_IGNORED_INCOMING_PATHS`. */
  ignoredIncomingPaths: ReadonlySet<string>;
  /**
   * What an incoming request's `traceparent`/`baggage` counts for (`OTEL_NODE_INCOMING_TRACE_CONTEXT`):
   * `trust` continues the caller's trace (internal services, whose callers are ours); `restart`, for
   * a service facing the internet, starts a new trace that links the caller's span, drops its
   * baggage, and so leaves the sampling decision to this service's root sampler.
   */
  incomingTraceContext: IncomingTraceContext;
  shutdownTimeoutMs: number;
  appShutdownTimeoutMs: number;
  handleSignals: boolean;
  /** SDK self-observability metrics (queue sizes, dropped spans), `OTEL_NODE_EXPERIMENTAL_SDK_METRICS`. */
  sdkSelfMetrics: boolean;
}

const PROTOCOLS: readonly ExporterProtocol[] = ['grpc', 'http/protobuf', 'http/json'];
const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi'];
const DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance', 'container'];
const LOG_LEVELS: readonly LogLevelName[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

/**
 * Reads the environment the way the OpenTelemetry specification defines it. A bad value never
 * throws: it is reported in `warnings` and the specification default is used instead.
 */
export function resolveConfig(options: TelemetryOptions = {}): { config: ResolvedConfig; warnings: string[] } {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    warnings.push(`${name}="${raw}" is not true or false; using ${fallback}`);
    return fallback;
  };

  const positiveInt = (name: string, fallback: number | undefined, aliasOf?: string): number | undefined => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || !Number.isInteger(value)) {
      warnings.push(`${name}="${raw}" is not a positive integer; using ${fallback ?? 'the SDK default'}`);
      return fallback;
    }
    if (aliasOf) warnings.push(`${name} is not a standard variable; read as ${aliasOf}`);
    return value;
  };

  const number = (name: string): number | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (Number.isNaN(value)) {
      warnings.push(`${name}="${raw}" is not a number; using the SDK default`);
      return undefined;
    }
    return value;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    warnings.push(`${name}="${raw}" is not one of ${allowed.join(', ')}; using ${fallback}`);
    return fallback;
  };

  const list = <T extends string>(name: string, allowed: readonly T[], fallback: T[], extra: readonly string[] = []): T[] | 'none' => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const items = [...new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
    if (items.includes('none')) {
      if (items.length > 1) warnings.push(`${name}="${raw}" mixes "none" with other values; using none`);
      return 'none';
    }
    const valid: T[] = [];
    for (const item of items) {
      if ((allowed as readonly string[]).includes(item)) valid.push(item as T);
      else if (!extra.includes(item)) warnings.push(`${name}: unknown value "${item}" ignored (known: ${allowed.join(', ')})`);
    }
    if (valid.length === 0 && items.some((i) => !extra.includes(i))) {
      warnings.push(`${name}="${raw}" has no usable value; using ${fallback.join(',') || 'none'}`);
      return fallback;
    }
    return valid;
  };

  // --- resource -------------------------------------------------------------------------------
  const resourceAttributes = parseResourceAttributes(read('OTEL_RESOURCE_ATTRIBUTES'), env, warnings);
  Object.assign(resourceAttributes, options.resourceAttributes);
  // The seed sets the deprecated `deployment.environment`; current semantic conventions name it
  // `deployment.environment.name`. Keep both so old dashboards and new backends agree.
  const environment = resourceAttributes['deployment.environment.name'] ?? resourceAttributes['deployment.environment'];
  if (environment !== undefined) {
    resourceAttributes['deployment.environment.name'] = environment;
  }

  const seedServiceVersion = read('OTEL_SERVICE_VERSION');
  if (seedServiceVersion !== undefined && options.serviceVersion === undefined) {
    warnings.push('OTEL_SERVICE_VERSION is not a standard variable; read as service.version (standard: OTEL_RESOURCE_ATTRIBUTES=service.version=...)');
  }
  const serviceName = options.serviceName ?? read('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'];
  const serviceVersion = options.serviceVersion ?? seedServiceVersion ?? resourceAttributes['service.version'];

  const detectors = list('OTEL_NODE_RESOURCE_DETECTORS', DETECTORS, [...DETECTORS], ['all']);
  const resourceDetectors = detectors === 'none' ? [] : detectors;

  // --- exporters ------------------------------------------------------------------------------
  const generalProtocol = oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', PROTOCOLS, 'http/protobuf');
  const protocolFor = (signal: 'TRACES' | 'METRICS' | 'LOGS'): ExporterProtocol =>
    oneOf(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, PROTOCOLS, generalProtocol);
  const tracesProtocol = protocolFor('TRACES');
  const metricsProtocol = protocolFor('METRICS');
  const logsProtocol = protocolFor('LOGS');
  checkEndpointMatchesProtocol(read, warnings, { TRACES: tracesProtocol, METRICS: metricsProtocol, LOGS: logsProtocol });

  const traceExporters = list<TraceExporterName>('OTEL_TRACES_EXPORTER', ['otlp', 'console'], ['otlp']);
  const metricExporters = list<MetricExporterName>('OTEL_METRICS_EXPORTER', ['otlp', 'console', 'prometheus'], ['otlp']);
  const logExporters = list<LogExporterName>('OTEL_LOGS_EXPORTER', ['otlp', 'console'], ['otlp']);

  const batch = (prefix: 'BSP' | 'BLRP'): BatchSettings => {
    const settings: BatchSettings = {
      maxQueueSize: positiveInt(`OTEL_${prefix}_MAX_QUEUE_SIZE`, undefined),
      scheduledDelayMillis: positiveInt(`OTEL_${prefix}_SCHEDULE_DELAY`, undefined),
      exportTimeoutMillis: positiveInt(`OTEL_${prefix}_EXPORT_TIMEOUT`, undefined),
      maxExportBatchSize: positiveInt(`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE`, undefined),
    };
    const queue = settings.maxQueueSize ?? 2048;
    if (settings.maxExportBatchSize !== undefined && settings.maxExportBatchSize > queue) {
      warnings.push(`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE (${settings.maxExportBatchSize}) exceeds the queue size (${queue}); using ${queue}`);
      settings.maxExportBatchSize = queue;
    }
    return settings;
  };

  // The seed's OTEL_IMR_* names predate the specification's OTEL_METRIC_EXPORT_*.
  const exportIntervalMillis =
    positiveInt('OTEL_METRIC_EXPORT_INTERVAL', undefined) ??
    positiveInt('OTEL_IMR_EXPORT_INTERVAL', undefined, 'OTEL_METRIC_EXPORT_INTERVAL') ??
    60_000;
  let exportTimeoutMillis = positiveInt('OTEL_METRIC_EXPORT_TIMEOUT', 30_000) ?? 30_000;
  if (exportTimeoutMillis > exportIntervalMillis) {
    if (read('OTEL_METRIC_EXPORT_TIMEOUT') !== undefined) {
      warnings.push(`OTEL_METRIC_EXPORT_TIMEOUT (${exportTimeoutMillis}) exceeds the export interval (${exportIntervalMillis}); using ${exportIntervalMillis}`);
    }
    exportTimeoutMillis = exportIntervalMillis;
  }
  const metricBatch = positiveInt('OTEL_IMR_MAX_EXPORT_BATCH_SIZE', undefined, 'the metric reader\'s maxExportBatchSize');

  const spanLimits: SpanLimitSettings = {};
  const limit = (key: keyof SpanLimitSettings, value: number | undefined): void => {
    if (value !== undefined) spanLimits[key] = value;
  };
  limit('attributeCountLimit', number('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? number('OTEL_ATTRIBUTE_COUNT_LIMIT'));
  limit('attributeValueLengthLimit', number('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? number('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'));
  limit('eventCountLimit', number('OTEL_SPAN_EVENT_COUNT_LIMIT'));
  limit('linkCountLimit', number('OTEL_SPAN_LINK_COUNT_LIMIT'));

  // --- sampling and propagation ---------------------------------------------------------------
  const samplerName = oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  let ratio = 1;
  if (samplerName.endsWith('traceidratio')) {
    const raw = read('OTEL_TRACES_SAMPLER_ARG');
    const value = raw === undefined ? NaN : Number(raw);
    if (raw === undefined) {
      warnings.push('OTEL_TRACES_SAMPLER_ARG is not set for a ratio sampler; using 1.0');
    } else if (!Number.isFinite(value) || value < 0 || value > 1) {
      warnings.push(`OTEL_TRACES_SAMPLER_ARG="${raw}" is not a number in [0, 1]; using 1.0`);
    } else {
      ratio = value;
    }
  }
  const propagators = list('OTEL_PROPAGATORS', PROPAGATORS, ['tracecontext', 'baggage']);

  // --- semantic-conventions transition: the stable RPC keys and the current messaging keys always;
  // `rpc/dup` and `messaging/dup` add the old ones.
  // The other values of the list (http, database, …) are read by the instrumentations themselves.
  const stabilityOptIn = (read('OTEL_SEMCONV_STABILITY_OPT_IN') ?? '').split(',').map((v) => v.trim().toLowerCase());
  const keepOldRpcKeys = stabilityOptIn.includes('rpc/dup');
  const keepOldMessagingKeys = stabilityOptIn.includes('messaging/dup');

  // --- instrumentations -----------------------------------------------------------------------
  const enabledList = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS', INSTRUMENTATION_NAMES, [...DEFAULT_INSTRUMENTATIONS]);
  const disabledList = list('OTEL_NODE_DISABLED_INSTRUMENTATIONS', INSTRUMENTATION_NAMES, []);
  const disabled = new Set(disabledList === 'none' ? [] : disabledList);
  const instrumentations = (enabledList === 'none' ? [] : enabledList).filter((name) => !disabled.has(name));

  // --- incoming HTTP ----------------------------------------------------------------------------
  // A service adds its own untraced paths (the frontend: the OTLP proxy, whose traces would be
  // about exporting traces); case-sensitive, as paths are.
  const ignoredIncomingPaths = new Set(IGNORED_INCOMING_PATHS);
  for (const path of (read('OTEL_NODE_IGNORED_INCOMING_PATHS') ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    if (path.startsWith('/') && !path.includes('?')) ignoredIncomingPaths.add(path);
    else warnings.push(`OTEL_NODE_IGNORED_INCOMING_PATHS: "${path}" is not a path (/...) without a query; ignored`);
  }

  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? positiveInt('OTEL_NODE_SHUTDOWN_TIMEOUT_MS', 5_000) ?? 5_000;
  const appShutdownTimeoutMs = options.appShutdownTimeoutMs ?? positiveInt('APP_SHUTDOWN_TIMEOUT_MS', 10_000) ?? 10_000;

  const config: ResolvedConfig = {
    disabled: bool('OTEL_SDK_DISABLED', false),
    logLevel: oneOf('OTEL_LOG_LEVEL', LOG_LEVELS, 'info'),
    sdkDiagnostics: read('OTEL_LOG_LEVEL') !== undefined,
    serviceName,
    serviceVersion,
    resourceAttributes,
    resourceDetectors,
    traces: { exporters: traceExporters === 'none' ? [] : traceExporters, protocol: tracesProtocol, batch: batch('BSP'), spanLimits, keepOldRpcKeys, keepOldMessagingKeys },
    metrics: {
      exporters: metricExporters === 'none' ? [] : metricExporters,
      protocol: metricsProtocol,
      exportIntervalMillis,
      exportTimeoutMillis,
      maxExportBatchSize: metricBatch,
      temporalityPreference: oneOf('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', ['cumulative', 'delta', 'lowmemory'] as const, 'cumulative'),
      prometheus: { port: positiveInt('OTEL_EXPORTER_PROMETHEUS_PORT', 9464) ?? 9464, host: read('OTEL_EXPORTER_PROMETHEUS_HOST') },
    },
    logs: { exporters: logExporters === 'none' ? [] : logExporters, protocol: logsProtocol, batch: batch('BLRP') },
    sampler: { name: samplerName, ratio },
    propagators: propagators === 'none' ? [] : propagators,
    instrumentations,
    ignoredIncomingPaths,
    incomingTraceContext: oneOf('OTEL_NODE_INCOMING_TRACE_CONTEXT', ['trust', 'restart'] as const, 'trust'),
    shutdownTimeoutMs,
    appShutdownTimeoutMs,
    handleSignals: options.handleSignals ?? true,
    sdkSelfMetrics: bool('OTEL_NODE_EXPERIMENTAL_SDK_METRICS', false),
  };
  return { config, warnings };
}

/** The settings that are set: an `undefined` passed to the SDK would override its default. */
export function definedOnly<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * `key=value,key=value` with percent-encoded values (W3C Baggage octets). `$(VAR)` references,
 * which Kubernetes expands but a Dockerfile `ENV` does not (the seed's `service.instance.id=$(HOSTNAME)`),
 * are expanded from the environment here; an unresolvable one drops that attribute with a warning.
 */
export function parseResourceAttributes(
  raw: string | undefined,
  env: NodeJS.ProcessEnv,
  warnings: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      warnings.push(`OTEL_RESOURCE_ATTRIBUTES: "${pair.trim()}" is not key=value; ignored`);
      continue;
    }
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      warnings.push(`OTEL_RESOURCE_ATTRIBUTES: the value of "${key}" is not valid percent-encoding; used as written`);
    }
    let unresolved = false;
    value = value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_m, name: string) => {
      const resolved = env[name] ?? (name === 'HOSTNAME' ? hostname() : undefined);
      if (resolved === undefined) unresolved = true;
      return resolved ?? '';
    });
    if (unresolved) {
      warnings.push(`OTEL_RESOURCE_ATTRIBUTES: "${key}" refers to an unset variable; ignored`);
      continue;
    }
    if (value === '') continue;
    out[key] = value;
  }
  return out;
}

// A common misconfiguration (the seed's own): gRPC's port 4317 with the HTTP exporter, or 4318 with gRPC.
function checkEndpointMatchesProtocol(
  read: (name: string) => string | undefined,
  warnings: string[],
  protocols: Record<'TRACES' | 'METRICS' | 'LOGS', ExporterProtocol>,
): void {
  for (const signal of ['TRACES', 'METRICS', 'LOGS'] as const) {
    const name = read(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) ? `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT` : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    const endpoint = read(name);
    if (!endpoint) continue;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      warnings.push(`${name}="${endpoint}" is not a URL; the exporter will use its default endpoint`);
      continue;
    }
    const protocol = protocols[signal];
    if (protocol === 'grpc' && url.port === '4318') {
      warnings.push(`${name} uses port 4318 (OTLP/HTTP) but the ${signal.toLowerCase()} protocol is grpc (port 4317)`);
    } else if (protocol !== 'grpc' && url.port === '4317') {
      warnings.push(`${name} uses port 4317 (OTLP/gRPC) but the ${signal.toLowerCase()} protocol is ${protocol} (port 4318)`);
    }
  }
}

/**
 * Whether Node was started with a preload (`--import`, `--require`/`-r`, a loader), on its command
 * line or in `NODE_OPTIONS`. An ES module app that starts telemetry from its own code instead has
 * had its imports loaded before the bootstrap runs, so they cannot be instrumented.
 */
export function startedWithPreload(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  const flags = [...execArgv, ...(env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return flags.some((flag) => /^(--import|--require|-r|--loader|--experimental-loader)(=|$)/.test(flag));
}
