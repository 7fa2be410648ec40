import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@mcp/otlp-receiver';
import { appFacts, freePort, serviceEntry, spawnService, type ServiceProcess } from '@mcp/test-kit';
import { expect } from 'vitest';
import { saveInventory } from './telemetry-inventory';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const INTERNAL_API_SECRET = `system-test-${randomUUID()}`;

/** The whole system as real processes, each with the telemetry preload, exporting to one receiver. */
export interface RunningSystem {
  receiver: OtlpReceiver;
  modelRouter: ServiceProcess;
  hub: ServiceProcess;
  orchestrator: ServiceProcess;
  frontend: ServiceProcess;
  /** Starts a new frontend with the same environment as the first (after the test killed it); `frontend` becomes the new one. */
  restartFrontend(): Promise<ServiceProcess>;
  /** The frontend's ledger outbox file (its own, in a temporary directory removed at stop). */
  ledgerOutboxPath: string;
  /** A real HTTP server standing for an allow-listed external API (`GET /facts` → JSON). */
  externalApi: { url: string; hits: () => number };
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
  serviceEnv?: Partial<Record<'modelRouter' | 'hub' | 'orchestrator' | 'frontend', Env>>;
}

/**
 * Starts model-router, collaboration-hub, workflow-orchestrator and frontend in dependency order on
 * free ports (each learns the others' real addresses), against the machine's Redis and PostgreSQL.
 * MongoDB does not run here: the orchestrator uses its in-process run store unless MONGODB_URL is set.
 */
export async function startSystem(suffix: string, options: SystemOptions = {}): Promise<RunningSystem> {
  const receiver = await startOtlpReceiver();
  const external = await startExternalApi();
  const per = options.serviceEnv ?? {};
  const common = {
    endpoint: options.endpoint ?? receiver.url,
    env: {
      REDIS_URL,
      DATABASE_URL,
      INTERNAL_API_SECRET,
      PORT: '0',
      LOG_LEVEL: 'info',
      MODEL_LATENCY_SCALE: '0.2',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      ...options.env,
    } as Env,
  };
  // As deployed: each with its own telemetry settings (deploy/apps.json; the hub without the socket.io instrumentation).
  const own = (app: string) => appFacts(app).telemetryEnv;
  const modelRouter = await spawnService(serviceEntry('model-router'), { ...common, serviceName: 'model-router', readyTimeoutMs: 30_000, env: { ...common.env, ...own('model-router'), ...per.modelRouter } });
  // The frontend's port is chosen now: the hub admits browser connections only from the page's
  // origin (SOCKET_CORS_ORIGINS), and the page is served by the frontend, started last.
  const frontendPort = await freePort();
  const hub = await spawnService(serviceEntry('collaboration-hub'), {
    ...common,
    serviceName: 'collaboration-hub',
    readyTimeoutMs: 30_000,
    env: { ...common.env, ...own('collaboration-hub'), SOCKET_CORS_ORIGINS: `http://127.0.0.1:${frontendPort}`, ...per.hub },
  });
  const orchestrator = await spawnService(serviceEntry('workflow-orchestrator'), {
    ...common,
    serviceName: 'workflow-orchestrator',
    readyTimeoutMs: 30_000,
    env: {
      ...common.env,
      ...own('workflow-orchestrator'),
      MODEL_ROUTER_ADDRESS: `127.0.0.1:${modelRouter.port}`,
      COLLABORATION_HUB_URL: hub.url,
      EXTERNAL_API_ALLOWLIST: new URL(external.url).host,
      MONGODB_URL: process.env['MONGODB_URL'],
      ...per.orchestrator,
    },
  });
  // Each system its own outbox file: rows kept there are replayed into this system's ledger table only.
  const dataDir = mkdtempSync(join(tmpdir(), `system-${suffix}-`));
  const ledgerOutboxPath = join(dataDir, 'ledger-outbox.sqlite');
  const startFrontend = () =>
    spawnService(serviceEntry('frontend'), {
      ...common,
      serviceName: 'frontend',
      readyTimeoutMs: 30_000,
      env: {
        ...common.env,
        ...own('frontend'),
        PORT: String(frontendPort),
        MODEL_ROUTER_ADDRESS: `127.0.0.1:${modelRouter.port}`,
        WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
        // Where the web page's Socket.IO client finds the hub (GET /config.json).
        COLLABORATION_HUB_URL: hub.url,
        SYSTEM_TEST_SUFFIX: suffix,
        LEDGER_OUTBOX_PATH: ledgerOutboxPath,
        ...per.frontend,
      },
    });
  const system: RunningSystem = {
    receiver,
    modelRouter,
    hub,
    orchestrator,
    frontend: await startFrontend(),
    ledgerOutboxPath,
    async restartFrontend() {
      system.frontend = await startFrontend();
      return system.frontend;
    },
    externalApi: { url: external.url, hits: external.hits },
    async stop() {
      const services = [system.frontend, orchestrator, hub, modelRouter];
      for (const service of services) service.kill('SIGTERM');
      await Promise.all(services.map((s) => s.waitForExit(20_000).catch(() => s.kill('SIGKILL'))));
      await new Promise<void>((resolve) => external.server.close(() => resolve()));
      // For the live check of the whole run (telemetry-check.global.ts).
      saveInventory(receiver, expect.getState().testPath ?? suffix, (span) => !options.notInInventory?.(span));
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return system;
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
