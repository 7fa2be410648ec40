import type { LoggerOptions } from 'pino';
import { createLogger, type Logger } from './logger';

/** What a service listens on — an HTTP server, Fastify, a gRPC server — behind the two calls main needs. */
export interface Listener {
  /** Binds to `host:port` (0 = a free port); resolves with the bound port, rejects when it cannot bind. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets in-flight work finish within `timeoutMs`, then cuts the rest; never hangs. */
  drain(timeoutMs: number): Promise<unknown>;
}

/** Where a service listens and how it logs and drains, read from its parsed config. */
export interface ProcessSettings {
  logLevel: LoggerOptions['level'];
  port: number;
  host: string;
  /** The bound of the listener's drain (the whole shutdown has its own, APP_SHUTDOWN_TIMEOUT_MS). */
  drainTimeoutMs: number;
}

/** A service built from its config: the listener, and the clients to close once it drained. */
export interface BuiltService {
  listener: Listener;
  /**
   * Closed one after another, in this order, after the listener drained (the clients the drained
   * requests were still using), keyed by the name shutdown logs use for them.
   */
  closeAfterDrain?: Record<string, () => unknown>;
}

/** One service's process, declared: config, settings, and how its app is built. */
export interface ServiceMain<Config> {
  /** The service's name in its log lines and start-up failure message, e.g. `frontend`. */
  name: string;
  /** Parses the environment once (`loadConfigOrExit`: exits 78 listing every problem). */
  loadConfig(): Config;
  settings(config: Config): ProcessSettings;
  /** Builds the app and its clients; nothing listens yet. */
  build(config: Config, logger: Logger): Promise<BuiltService>;
}

/**
 * Registers a step of the process's ordered shutdown: `onShutdown` of `@mcp/otel-bootstrap`, which
 * runs the steps in order on SIGTERM/SIGINT within APP_SHUTDOWN_TIMEOUT_MS and flushes telemetry
 * last. Passed in because this library does not depend on the telemetry bootstrap.
 */
export type RegisterShutdownStep = (step: (reason: string) => Promise<void>, name: string) => unknown;

/**
 * The one shape of every service's main.ts: parse config → build the app → listen → register the
 * ordered shutdown (drain the listener, then close the clients in order). Resolves with the bound
 * port; a failure to start is printed and exits 1, since half-started clients would keep the
 * process alive.
 */
export function runService<Config>(service: ServiceMain<Config>, registerShutdownStep: RegisterShutdownStep): Promise<number> {
  const start = async (): Promise<number> => {
    const config = service.loadConfig();
    const settings = service.settings(config);
    const logger = createLogger(service.name, settings.logLevel);
    const { listener, closeAfterDrain = {} } = await service.build(config, logger);
    const port = await listener.listen(settings.port, settings.host);
    registerShutdownStep(async (reason) => {
      logger.info({ reason }, 'shutting down');
      await listener.drain(settings.drainTimeoutMs);
    }, 'drain listener');
    for (const [name, close] of Object.entries(closeAfterDrain)) {
      registerShutdownStep(async () => {
        await close();
      }, `close ${name}`);
    }
    logger.info({ port }, 'listening');
    return port;
  };
  return start().catch((error: unknown) => {
    process.stderr.write(`${service.name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
