import type { Instrumentation } from '@opentelemetry/instrumentation';
import { resolveConfig, startedWithPreload, type ResolvedConfig, type TelemetryOptions } from './config';
import { installContextAndPropagation } from './context';
import { entryIsEsm } from './esm-check';
import { providersRegisteredBefore, standDownMessage } from './globals';
import { createInstrumentations } from './instrumentations';
import { installSignalHandlers, NOOP_HANDLE, state, withDeadline, type TelemetryHandle } from './lifecycle';
import { createLoggerProvider } from './logs';
import { describe, installDiagLogger, log, setLogLevel } from './log';
import { createMeterProvider } from './metrics';
import { load } from './packages';
import { buildResource } from './resource';
import { createTracerProvider } from './traces';

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
    state.handle = startSdk(config);
  } catch (error) {
    log('error', `telemetry failed to start, the service runs without it: ${describe(error)}`);
    return (state.handle = NOOP_HANDLE);
  }
  if (state.handle.enabled && entryIsEsm()) hookEsmImports();
  return state.handle;
}

/**
 * The imports of an ES module app are instrumented by the ES module hook (esm-hooks.ts), which sees
 * only the imports made after it is registered: all of them when telemetry starts in a preload
 * (`--import`/`--require` of the register entry or of the app's own file). Started from the app's
 * code instead (`startTelemetry()`, or an import of the register entry), the app's imports were
 * loaded already and nothing else would tell: say so, once. The hook still serves later imports.
 */
function hookEsmImports(): void {
  const entry = process.argv[1];
  if (!startedWithPreload()) {
    log('warn', `${entry} is an ES module that started telemetry from its own code (startTelemetry() or an import of @mcp/otel-bootstrap/register): its imports were loaded before telemetry started, so the libraries it imports are not instrumented; preload it instead: node --import @mcp/otel-bootstrap/register ${entry}`);
  }
  try {
    load.esmHooks().registerEsmHooks(load.requireHook().hookedModuleNames);
  } catch (error) {
    log('warn', `ES module instrumentation is off (libraries this app imports are not instrumented): ${describe(error)}`);
  }
}

/**
 * In this order: the instrumentations (their require hooks must be in place before anything below
 * loads a library they patch: the OTLP gRPC exporter loads @grpc/grpc-js), the context and
 * propagation globals, the three providers (metrics first: the other two count into it when SDK
 * self-metrics are on), then the globals and the instrumentations that were waiting for them.
 */
function startSdk(config: ResolvedConfig): TelemetryHandle {
  // Another SDK came first (an injected agent, a vendor preload): the API answers with its providers
  // and would refuse ours, and our instrumentations would patch every library a second time.
  const foreign = providersRegisteredBefore();
  if (foreign.length > 0) {
    log('error', standDownMessage(foreign));
    return NOOP_HANDLE;
  }
  const api = load.api();
  if (config.sdkDiagnostics) installDiagLogger(config.logLevel);

  // Those of libraries are created later, on first require, and registered with the providers
  // built below (by then always built, since the app's modules load after this).
  const { registerInstrumentations } = load.instrumentation();
  const providers: Omit<Parameters<typeof registerInstrumentations>[0], 'instrumentations'> = {};
  const instrumentations: Instrumentation[] = [];
  const register = (instrumentation: Instrumentation): void => {
    instrumentations.push(instrumentation);
    registerInstrumentations({ ...providers, instrumentations: [instrumentation] });
  };
  const created = createInstrumentations(config, register, (name, error) => log('warn', `instrumentation ${name} could not be loaded: ${describe(error)}`));
  for (const { name, error } of created.failed) log('warn', `instrumentation ${name} could not be loaded: ${describe(error)}`);

  try {
    installContextAndPropagation(config);
    const resource = buildResource(config);
    const meterProvider = createMeterProvider(config, resource);
    const selfMetrics = config.sdkSelfMetrics ? meterProvider : undefined;
    const tracerProvider = createTracerProvider(config, resource, selfMetrics);
    const loggerProvider = createLoggerProvider(config, resource, selfMetrics);

    const refused = [
      meterProvider && !api.metrics.setGlobalMeterProvider(meterProvider) && 'meter',
      tracerProvider && !api.trace.setGlobalTracerProvider(tracerProvider) && 'tracer',
      loggerProvider && !api.logs.setGlobalLoggerProvider(loggerProvider) && 'logger',
    ].filter(Boolean);
    if (refused.length > 0) {
      // Not seen above: registered through an @opentelemetry/api of another version (the API says which).
      for (const provider of [tracerProvider, meterProvider, loggerProvider]) void provider?.shutdown();
      throw new Error(`@opentelemetry/api refused the global ${refused.join(', ')} provider: another SDK or API version registered first`);
    }
    Object.assign(providers, {
      ...(tracerProvider && { tracerProvider }),
      ...(meterProvider && { meterProvider }),
      ...(loggerProvider && { loggerProvider }),
    });
    created.eager.forEach(register);
    return runningHandle(config, { tracerProvider, meterProvider, loggerProvider }, instrumentations);
  } catch (error) {
    // Telemetry is off after all: no further instrumentation is created, and those made are unhooked.
    created.cancelDeferred();
    for (const instrumentation of [...created.eager, ...instrumentations]) instrumentation.disable();
    throw error;
  }
}

interface Provider {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function runningHandle(
  config: ResolvedConfig,
  { tracerProvider, meterProvider, loggerProvider }: Record<'tracerProvider' | 'meterProvider' | 'loggerProvider', Provider | undefined>,
  instrumentations: readonly Instrumentation[],
): TelemetryHandle {
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
}
