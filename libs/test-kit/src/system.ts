import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appFacts, serviceEntry } from './paths';
import { freePort } from './ports';
import { spawnService, stopService, type ServiceProcess, type SpawnOptions } from './service-process';

/** The machine's Redis and PostgreSQL (tools/scripts/services.sh), unless the environment names others. */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

type Env = Record<string, string | undefined>;
export type ServiceKey = 'modelRouter' | 'hub' | 'orchestrator' | 'frontend';

export interface ServicesOptions {
  /** The shared secret of the services' internal endpoints. */
  internalApiSecret: string;
  /**
   * Environment of all four, over the defaults (REDIS_URL, DATABASE_URL, PORT=0, LOG_LEVEL=info);
   * each service's own telemetry settings (deploy/apps.json) and the addresses of the others come after it.
   */
  env?: Env;
  /** Extra environment per service, applied last (`undefined` removes a variable). */
  serviceEnv?: Partial<Record<ServiceKey, Env>>;
  /** How each is spawned apart from its environment: preload, endpoint, Node options, a prefix, quick export. */
  spawn?: Omit<SpawnOptions, 'serviceName' | 'env' | 'logFile' | 'args' | 'isReadyLine'>;
  /** Each service writes its output to `<logDir>/<app>.log` instead of pipes (see SpawnOptions.logFile). */
  logDir?: string;
}

/** The four services, running. */
export interface Services {
  modelRouter: ServiceProcess;
  hub: ServiceProcess;
  orchestrator: ServiceProcess;
  frontend: ServiceProcess;
  /** Starts a new frontend with the same settings (after the caller killed it); `frontend` becomes the new one. */
  restartFrontend(): Promise<ServiceProcess>;
  /** The frontend's ledger outbox file (its own, in a temporary directory removed at stop). */
  ledgerOutboxPath: string;
  /** The four, frontend first. */
  all(): ServiceProcess[];
  /** SIGTERM to all four at once; SIGKILL to any still running after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts model-router and collaboration-hub, then workflow-orchestrator (needs both), then frontend,
 * from their compiled entries on free ports, each told the others' real addresses, against the
 * machine's Redis and PostgreSQL, with their telemetry settings as deployed. MongoDB is not used: the
 * orchestrator keeps runs in process unless MONGODB_URL is set. If one fails to start, the others are stopped.
 */
export async function startServices(options: ServicesOptions): Promise<Services> {
  const per = options.serviceEnv ?? {};
  const common: Env = { REDIS_URL, DATABASE_URL, PORT: '0', LOG_LEVEL: 'info', ...options.env, INTERNAL_API_SECRET: options.internalApiSecret };
  const start = (app: string, env: Env): Promise<ServiceProcess> =>
    spawnService(serviceEntry(app), {
      readyTimeoutMs: 30_000,
      ...options.spawn,
      serviceName: app,
      ...(options.logDir === undefined ? {} : { logFile: join(options.logDir, `${app}.log`) }),
      env: { ...common, ...appFacts(app).telemetryEnv, ...env },
    });
  const started: ServiceProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'mcp-services-'));
  try {
    // The frontend's port is chosen now: the hub admits browser connections only from the page's
    // origin (SOCKET_CORS_ORIGINS), and the page is served by the frontend, started last.
    const frontendPort = await freePort();
    const first = await Promise.allSettled([
      start('model-router', { ...per.modelRouter }),
      start('collaboration-hub', { SOCKET_CORS_ORIGINS: `http://127.0.0.1:${frontendPort}`, ...per.hub }),
    ]);
    for (const result of first) if (result.status === 'fulfilled') started.push(result.value);
    const failed = first.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [modelRouter, hub] = started as [ServiceProcess, ServiceProcess];
    const orchestrator = await start('workflow-orchestrator', { MODEL_ROUTER_ADDRESS: `127.0.0.1:${modelRouter.port}`, COLLABORATION_HUB_URL: hub.url, ...per.orchestrator });
    started.push(orchestrator);
    // Each system its own outbox file: rows kept there are replayed into this system's ledger only.
    const ledgerOutboxPath = join(dataDir, 'ledger-outbox.sqlite');
    const startFrontend = (): Promise<ServiceProcess> =>
      start('frontend', {
        PORT: String(frontendPort),
        MODEL_ROUTER_ADDRESS: `127.0.0.1:${modelRouter.port}`,
        WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
        // Where the web page's Socket.IO client finds the hub (GET /config.json).
        COLLABORATION_HUB_URL: hub.url,
        LEDGER_OUTBOX_PATH: ledgerOutboxPath,
        ...per.frontend,
      });
    const services: Services = {
      modelRouter,
      hub,
      orchestrator,
      frontend: await startFrontend(),
      ledgerOutboxPath,
      async restartFrontend() {
        services.frontend = await startFrontend();
        return services.frontend;
      },
      all: () => [services.frontend, orchestrator, hub, modelRouter],
      async stop(graceMs = 20_000) {
        await Promise.all(services.all().map((service) => stopService(service, graceMs)));
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return services;
  } catch (error) {
    await Promise.all(started.map((service) => stopService(service, 1_000)));
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
