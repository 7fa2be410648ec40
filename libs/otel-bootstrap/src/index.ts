export { startTelemetry } from './start';
export { onShutdown, runShutdown, shutdownTelemetry, isShuttingDown } from './lifecycle';
export type { ShutdownHook, TelemetryHandle } from './lifecycle';
export { resolveConfig, parseResourceAttributes, IGNORED_INCOMING_PATHS } from './config';
export type {
  TelemetryOptions,
  ResolvedConfig,
  BatchSettings,
  SpanLimitSettings,
  ExporterProtocol,
  TraceExporterName,
  MetricExporterName,
  LogExporterName,
  SamplerName,
  PropagatorName,
  ResourceDetectorName,
  LogLevelName,
  IncomingTraceContext,
} from './config';
export { INSTRUMENTATION_NAMES, DEFAULT_INSTRUMENTATIONS } from './instrumentation-names';
export type { InstrumentationName } from './instrumentation-names';
export { redisStatement } from './instrumentations';
export { DURATION_BUCKETS_SECONDS } from './metrics';
