import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@mcp/otlp-receiver';
import { startServices, type ServiceKey, type ServiceProcess, type Services } from '@mcp/test-kit';
import { expect } from 'vitest';
import { saveInventory } from './telemetry-inventory';

export { REDIS_URL, DATABASE_URL } from '@mcp/test-kit';
export const INTERNAL_API_SECRET = `system-test-${randomUUID()}`;

/** The whole system as real processes, each with the telemetry preload, exporting to one receiver. */
export interface RunningSystem extends Pick<Services, ServiceKey | 'restartFrontend' | 'ledgerOutboxPath'> {
  receiver: OtlpReceiver;
  /** A real HTTP server standing for an allow-listed external API (`GET /facts` → JSON). */
  externalApi: { url: string; hits: () => number };
  /** Stops the four, then the external API; leaves this file's telemetry inventory; closes the receiver. */
  stop(): Promise<void>;
}

function startExternalApi(): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ source: 'external', path: req.url, fact: 'otters hold hands while sleeping' }));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, hits: () => hits });
    });
  });
}

type Env = Record<string, string | undefined>;

/** Options of {@link startSystem}; every one is optional and the defaults are what the two first test files use. */
export interface SystemOptions {
  /** OTLP endpoint given to every service instead of the receiver's URL (e.g. a port where a test starts and stops receivers itself). */
  endpoint?: string;
  /** Extra environment for every service, applied after the defaults (`undefined` removes a variable). */
  env?: Env;
  /** Spans to leave out of the run's live telemetry check (telemetry-check.global.ts): ones a test forged on purpose. */
  notInInventory?: (span: ReceivedSpan) => boolean;
  /** Extra environment per service, applied last. */
  serviceEnv?: Partial<Record<ServiceKey, Env>>;
}

/**
 * The four services as @mcp/test-kit's startServices starts them (the workflow benchmark uses the
 * same), with the preload exporting to a receiver of this test, and an external API for the
 * orchestrator's external-API step.
 */
export async function startSystem(suffix: string, options: SystemOptions = {}): Promise<RunningSystem> {
  const receiver = await startOtlpReceiver();
  const external = await startExternalApi();
  const per = options.serviceEnv ?? {};
  const services = await startServices({
    internalApiSecret: INTERNAL_API_SECRET,
    spawn: { endpoint: options.endpoint ?? receiver.url },
    env: { MODEL_LATENCY_SCALE: '0.2', OTEL_METRIC_EXPORT_INTERVAL: '300', ...options.env },
    serviceEnv: {
      ...per,
      orchestrator: { EXTERNAL_API_ALLOWLIST: new URL(external.url).host, MONGODB_URL: process.env['MONGODB_URL'], ...per.orchestrator },
      frontend: { SYSTEM_TEST_SUFFIX: suffix, ...per.frontend },
    },
  });
  return {
    receiver,
    modelRouter: services.modelRouter,
    hub: services.hub,
    orchestrator: services.orchestrator,
    get frontend() {
      return services.frontend;
    },
    ledgerOutboxPath: services.ledgerOutboxPath,
    restartFrontend: () => services.restartFrontend(),
    externalApi: { url: external.url, hits: external.hits },
    async stop() {
      await services.stop(20_000);
      await new Promise<void>((resolve) => external.server.close(() => resolve()));
      // For the live check of the whole run (telemetry-check.global.ts).
      saveInventory(receiver, expect.getState().testPath ?? suffix, (span) => !options.notInInventory?.(span));
      await receiver.close();
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/**
 * /ready's details as `service` logged them: its answer says only `{"ready":…}`, and each change of
 * the dependencies' outcomes is one log line. Waits for the line whose dependencies match.
 */
export async function loggedReadiness(service: ServiceProcess, matches: (dependencies: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const line = await service.waitForJsonLine((l) => typeof l['dependencies'] === 'object' && l['dependencies'] !== null && matches(l['dependencies'] as Record<string, unknown>), 10_000);
  return line['dependencies'] as Record<string, unknown>;
}
