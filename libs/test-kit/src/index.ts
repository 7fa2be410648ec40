export { spawnService, serviceEnv, killAllServices, useProcessCleanup } from './service-process';
export type { SpawnOptions, ServiceProcess, ExitInfo, PreloadMode } from './service-process';
export { freePort } from './ports';
export { REPO_ROOT, REGISTER_PATH, serviceEntry, appFacts } from './paths';
export type { AppFacts } from './paths';
