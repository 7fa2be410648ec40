/**
 * Every package the bootstrap loads only when it needs it, each behind one typed loader. Loading
 * late is a measured start-up win (BENCHMARKS.md, "Start-up"): with OTEL_SDK_DISABLED=true none of
 * these loads, a signal without exporters never loads its SDK, an exporter loads on its first export
 * and a library's instrumentation on the library's first require. Importing this module loads
 * nothing: the types are `import type` positions, and each loader is a literal `require`, which
 * scripts/bundle.mjs maps to the chunk that holds the package. Node caches every module, so calling
 * a loader again costs a cache lookup.
 */
export const load = {
  // --- the API and the SDK --------------------------------------------------------------------
  api: (): typeof import('@opentelemetry/api') => require('@opentelemetry/api'),
  core: (): typeof import('@opentelemetry/core') => require('@opentelemetry/core'),
  contextAsyncHooks: (): typeof import('@opentelemetry/context-async-hooks') => require('@opentelemetry/context-async-hooks'),
  instrumentation: (): typeof import('@opentelemetry/instrumentation') => require('@opentelemetry/instrumentation'),
  resources: (): typeof import('@opentelemetry/resources') => require('@opentelemetry/resources'),
  containerDetector: (): typeof import('@opentelemetry/resource-detector-container') => require('@opentelemetry/resource-detector-container'),
  sdkTrace: (): typeof import('@opentelemetry/sdk-trace') => require('@opentelemetry/sdk-trace'),
  sdkMetrics: (): typeof import('@opentelemetry/sdk-metrics') => require('@opentelemetry/sdk-metrics'),
  sdkLogs: (): typeof import('@opentelemetry/sdk-logs') => require('@opentelemetry/sdk-logs'),
  b3: (): typeof import('@opentelemetry/propagator-b3') => require('@opentelemetry/propagator-b3'),

  // --- exporters (one package per signal and protocol: only the one in use is ever loaded) ----
  prometheus: (): typeof import('@opentelemetry/exporter-prometheus') => require('@opentelemetry/exporter-prometheus'),
  traceOtlpGrpc: (): typeof import('@opentelemetry/exporter-trace-otlp-grpc') => require('@opentelemetry/exporter-trace-otlp-grpc'),
  traceOtlpHttp: (): typeof import('@opentelemetry/exporter-trace-otlp-http') => require('@opentelemetry/exporter-trace-otlp-http'),
  metricsOtlpGrpc: (): typeof import('@opentelemetry/exporter-metrics-otlp-grpc') => require('@opentelemetry/exporter-metrics-otlp-grpc'),
  metricsOtlpHttp: (): typeof import('@opentelemetry/exporter-metrics-otlp-http') => require('@opentelemetry/exporter-metrics-otlp-http'),
  metricsOtlpProto: (): typeof import('@opentelemetry/exporter-metrics-otlp-proto') => require('@opentelemetry/exporter-metrics-otlp-proto'),
  logsOtlpGrpc: (): typeof import('@opentelemetry/exporter-logs-otlp-grpc') => require('@opentelemetry/exporter-logs-otlp-grpc'),
  logsOtlpHttp: (): typeof import('@opentelemetry/exporter-logs-otlp-http') => require('@opentelemetry/exporter-logs-otlp-http'),
  logsOtlpProto: (): typeof import('@opentelemetry/exporter-logs-otlp-proto') => require('@opentelemetry/exporter-logs-otlp-proto'),

  // --- instrumentations (each created when enabled, a library's on its first require) ---------
  http: (): typeof import('@opentelemetry/instrumentation-http') => require('@opentelemetry/instrumentation-http'),
  undici: (): typeof import('@opentelemetry/instrumentation-undici') => require('@opentelemetry/instrumentation-undici'),
  express: (): typeof import('@opentelemetry/instrumentation-express') => require('@opentelemetry/instrumentation-express'),
  graphql: (): typeof import('@opentelemetry/instrumentation-graphql') => require('@opentelemetry/instrumentation-graphql'),
  grpc: (): typeof import('@opentelemetry/instrumentation-grpc') => require('@opentelemetry/instrumentation-grpc'),
  socketIo: (): typeof import('@opentelemetry/instrumentation-socket.io') => require('@opentelemetry/instrumentation-socket.io'),
  redis: (): typeof import('@opentelemetry/instrumentation-redis') => require('@opentelemetry/instrumentation-redis'),
  pg: (): typeof import('@opentelemetry/instrumentation-pg') => require('@opentelemetry/instrumentation-pg'),
  mongodb: (): typeof import('@opentelemetry/instrumentation-mongodb') => require('@opentelemetry/instrumentation-mongodb'),
  pino: (): typeof import('@opentelemetry/instrumentation-pino') => require('@opentelemetry/instrumentation-pino'),
  runtimeNode: (): typeof import('@opentelemetry/instrumentation-runtime-node') => require('@opentelemetry/instrumentation-runtime-node'),
  dns: (): typeof import('@opentelemetry/instrumentation-dns') => require('@opentelemetry/instrumentation-dns'),
  net: (): typeof import('@opentelemetry/instrumentation-net') => require('@opentelemetry/instrumentation-net'),
  fs: (): typeof import('@opentelemetry/instrumentation-fs') => require('@opentelemetry/instrumentation-fs'),
  awsSdk: (): typeof import('@opentelemetry/instrumentation-aws-sdk') => require('@opentelemetry/instrumentation-aws-sdk'),

  // --- our modules that import the SDK at their top (loaded with the instrumentations) --------
  httpServer: (): typeof import('./http-server') => require('./http-server'),
  frameworkRoutes: (): typeof import('./framework-routes') => require('./framework-routes'),
  requireHook: (): typeof import('./require-hook') => require('./require-hook'),
  esmHooks: (): typeof import('./esm-hooks') => require('./esm-hooks'),

  // --- our modules loaded on first export (each in its own file of the bundle, not the bootstrap's) ---
  otlpProtobufSpanExporter: (): typeof import('./otlp-protobuf-span-exporter') => require('./otlp-protobuf-span-exporter'),

  // --- the ES module loader hook (an ES module itself; Node 24 require()s it in-thread) --------
  iitmRegisterHooks: (): { register(options: { shouldInclude(url: string, specifier: string): boolean }): void } =>
    require('import-in-the-middle/register-hooks.mjs'),
};
