import { describe, expect, it } from 'vitest';
import { resolveConfig, parseResourceAttributes } from './config';
import { DEFAULT_INSTRUMENTATIONS } from './instrumentation-names';

const resolve = (env: Record<string, string>) => resolveConfig({ env });

describe('resolveConfig: specification defaults', () => {
  it('with an empty environment gives OTLP http/protobuf for every signal, parentbased_always_on, W3C propagation', () => {
    const { config, warnings } = resolve({});
    expect(warnings).toEqual([]);
    expect(config.disabled).toBe(false);
    expect(config.traces).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf' });
    expect(config.metrics).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf', exportIntervalMillis: 60_000, exportTimeoutMillis: 30_000 });
    expect(config.logs).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf' });
    expect(config.sampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
    expect(config.instrumentations).toEqual([...DEFAULT_INSTRUMENTATIONS]);
    expect(config.instrumentations).not.toContain('fs');
    expect(config.instrumentations).not.toContain('dns');
    expect(config.instrumentations).not.toContain('net');
    expect(config.shutdownTimeoutMs).toBe(5_000);
    expect(config.resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'serviceinstance', 'container']);
  });
});

describe('resolveConfig: the seed Dockerfile environment', () => {
  const seed = {
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,container',
    OTEL_SERVICE_NAME: 'frontend',
    OTEL_SERVICE_VERSION: '1.0.0',
    OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=mcp-system,deployment.environment=production,service.instance.id=$(HOSTNAME)',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector-gateway:4317',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_INSECURE: 'true',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
    OTEL_PROPAGATORS: 'tracecontext,baggage',
    OTEL_IMR_EXPORT_INTERVAL: '5000',
    OTEL_IMR_MAX_EXPORT_BATCH_SIZE: '512',
    OTEL_BSP_SCHEDULE_DELAY: '5000',
    OTEL_BSP_EXPORT_TIMEOUT: '30000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
    OTEL_BSP_MAX_QUEUE_SIZE: '2048',
    OTEL_LOG_LEVEL: 'INFO',
    HOSTNAME: 'frontend-7d9f-abcde',
  };

  it('honours every variable', () => {
    const { config } = resolve(seed);
    expect(config.serviceName).toBe('frontend');
    expect(config.serviceVersion).toBe('1.0.0');
    expect(config.resourceAttributes).toEqual({
      'service.namespace': 'mcp-system',
      'deployment.environment': 'production',
      'deployment.environment.name': 'production',
      'service.instance.id': 'frontend-7d9f-abcde',
    });
    expect(config.resourceDetectors).toEqual(['env', 'host', 'os', 'container']);
    expect(config.traces.protocol).toBe('grpc');
    expect(config.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
    expect(config.metrics.exportIntervalMillis).toBe(5000);
    expect(config.metrics.exportTimeoutMillis).toBe(5000);
    expect(config.metrics.maxExportBatchSize).toBe(512);
    expect(config.traces.batch).toEqual({ scheduledDelayMillis: 5000, exportTimeoutMillis: 30000, maxExportBatchSize: 512, maxQueueSize: 2048 });
    expect(config.logLevel).toBe('info');
    expect(config.instrumentations).toEqual([...DEFAULT_INSTRUMENTATIONS]);
  });

  it('names the standard variable for each non-standard one it reads', () => {
    const { warnings } = resolve(seed);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('OTEL_SERVICE_VERSION is not a standard variable'),
        expect.stringContaining('OTEL_IMR_EXPORT_INTERVAL is not a standard variable; read as OTEL_METRIC_EXPORT_INTERVAL'),
        expect.stringContaining('OTEL_IMR_MAX_EXPORT_BATCH_SIZE is not a standard variable'),
      ]),
    );
    expect(warnings).toHaveLength(3);
  });
});

describe('resolveConfig: a bad value is a warning and the default, never a throw', () => {
  it.each([
    ['OTEL_TRACES_SAMPLER', 'bogus', (c: ReturnType<typeof resolve>['config']) => c.sampler.name, 'parentbased_always_on'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'carrier-pigeon', (c: ReturnType<typeof resolve>['config']) => c.traces.protocol, 'http/protobuf'],
    ['OTEL_BSP_SCHEDULE_DELAY', 'abc', (c: ReturnType<typeof resolve>['config']) => c.traces.batch.scheduledDelayMillis, undefined],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '-5', (c: ReturnType<typeof resolve>['config']) => c.traces.batch.maxQueueSize, undefined],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0', (c: ReturnType<typeof resolve>['config']) => c.metrics.exportIntervalMillis, 60_000],
    ['OTEL_SDK_DISABLED', 'yes please', (c: ReturnType<typeof resolve>['config']) => c.disabled, false],
    ['OTEL_LOG_LEVEL', 'loud', (c: ReturnType<typeof resolve>['config']) => c.logLevel, 'info'],
    ['OTEL_NODE_SHUTDOWN_TIMEOUT_MS', 'soon', (c: ReturnType<typeof resolve>['config']) => c.shutdownTimeoutMs, 5_000],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sometimes', (c: ReturnType<typeof resolve>['config']) => c.metrics.temporalityPreference, 'cumulative'],
  ])('%s=%s', (name, value, pick, expected) => {
    const { config, warnings } = resolve({ [name]: value });
    expect(pick(config)).toBe(expected);
    expect(warnings.join('\n')).toContain(name);
  });

  it.each([
    ['missing', {}, 1],
    ['not a number', { OTEL_TRACES_SAMPLER_ARG: 'ten percent' }, 1],
    ['above 1', { OTEL_TRACES_SAMPLER_ARG: '10' }, 1],
    ['below 0', { OTEL_TRACES_SAMPLER_ARG: '-0.5' }, 1],
    ['valid', { OTEL_TRACES_SAMPLER_ARG: '0.25' }, 0.25],
  ])('OTEL_TRACES_SAMPLER_ARG %s → ratio %d', (_case, env, ratio) => {
    const { config, warnings } = resolve({ OTEL_TRACES_SAMPLER: 'traceidratio', ...env });
    expect(config.sampler).toEqual({ name: 'traceidratio', ratio });
    expect(warnings.length > 0).toBe(ratio === 1);
  });

  it('unknown list entries are dropped with a warning, known ones kept', () => {
    const { config, warnings } = resolve({ OTEL_PROPAGATORS: 'tracecontext,jaeger', OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(config.propagators).toEqual(['tracecontext']);
    expect(config.traces.exporters).toEqual(['otlp']);
    expect(warnings.join('\n')).toMatch(/jaeger/);
    expect(warnings.join('\n')).toMatch(/zipkin/);
  });

  it('a batch size above the queue size is clamped to it', () => {
    const { config, warnings } = resolve({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5000', OTEL_BSP_MAX_QUEUE_SIZE: '1000' });
    expect(config.traces.batch.maxExportBatchSize).toBe(1000);
    expect(warnings).toHaveLength(1);
  });

  it('warns when the endpoint port does not fit the protocol (the seed sends http to 4317 when protocol is unset)', () => {
    const { warnings } = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' });
    expect(warnings.join('\n')).toMatch(/port 4317 \(OTLP\/gRPC\)/);
    expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).warnings.join('\n')).toMatch(/4318/);
    expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).warnings.join('\n')).toMatch(/not a URL/);
  });
});

describe('resolveConfig: exporters, signals and instrumentations', () => {
  it('none turns a signal off; per-signal protocols override the general one', () => {
    const { config } = resolve({
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'prometheus,console',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    });
    expect(config.traces.exporters).toEqual([]);
    expect(config.metrics.exporters).toEqual(['prometheus', 'console']);
    expect(config.metrics.protocol).toBe('grpc');
    expect(config.logs.protocol).toBe('http/json');
  });

  it('OTEL_NODE_ENABLED_INSTRUMENTATIONS selects, OTEL_NODE_DISABLED_INSTRUMENTATIONS removes', () => {
    expect(resolve({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,express,fs' }).config.instrumentations).toEqual(['http', 'express', 'fs']);
    const { config } = resolve({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino,runtime-node' });
    expect(config.instrumentations).not.toContain('pino');
    expect(config.instrumentations).not.toContain('runtime-node');
    expect(config.instrumentations).toContain('express');
  });

  it('explicit options win over the environment', () => {
    const { config } = resolveConfig({ env: { OTEL_SERVICE_NAME: 'from-env', OTEL_NODE_SHUTDOWN_TIMEOUT_MS: '9000' }, serviceName: 'explicit', shutdownTimeoutMs: 1234 });
    expect(config.serviceName).toBe('explicit');
    expect(config.shutdownTimeoutMs).toBe(1234);
  });
});

describe('parseResourceAttributes', () => {
  it('decodes percent-encoding, expands $(VAR), drops unresolvable references and malformed pairs', () => {
    const warnings: string[] = [];
    const out = parseResourceAttributes('a=1,b=hello%20world,c=$(POD),d=$(MISSING),broken,e=', { POD: 'pod-1' }, warnings);
    expect(out).toEqual({ a: '1', b: 'hello world', c: 'pod-1' });
    expect(warnings).toHaveLength(2);
  });
});
