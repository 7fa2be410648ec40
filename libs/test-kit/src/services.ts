// Everything of the kit that does not need vitest: what a plain Node script (a benchmark) may import,
// as `@mcp/test-kit/services`.
export { spawnService, serviceEnv, stopService, killAllServices } from './service-process';
export type { SpawnOptions, ServiceProcess, ExitInfo, PreloadMode } from './service-process';
export { REPO_ROOT, REGISTER_PATH, serviceEntry, appFacts } from './paths';
export type { AppFacts } from './paths';
export { freePort } from './ports';
export { startServices, REDIS_URL, DATABASE_URL } from './system';
export type { Services, ServicesOptions, ServiceKey } from './system';
