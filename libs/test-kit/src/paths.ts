import { resolve } from 'node:path';

/** The monorepo root (this file is libs/test-kit/{src,dist}/paths). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/** The compiled preload, as production runs it (`npx nx run @mcp/otel-bootstrap:build`). */
export const REGISTER_PATH = resolve(REPO_ROOT, 'libs', 'otel-bootstrap', 'dist', 'register.js');

/** `apps/<app>/dist/main.js`, the compiled entry of a service (`npx nx run @mcp/<app>:build`). */
export function serviceEntry(app: string): string {
  return resolve(REPO_ROOT, 'apps', app, 'dist', 'main.js');
}

/** One service's facts, from deploy/apps.json (the file the images, Nx targets and deploy checks read too). */
export interface AppFacts {
  description: string;
  port: number;
  /** The health target; `{port}` stands for the port the process listens on. */
  health: string;
  webPage?: string;
  /** What every run of the app gets (OTEL_SERVICE_NAME, the hub's instrumentation opt-out). */
  telemetryEnv: Record<string, string>;
}

export function appFacts(app: string): AppFacts {
  // The one reader of the file, shared with the image build (plain CommonJS, no build step).
  const reader = require(resolve(REPO_ROOT, 'deploy', 'docker', 'app-facts.cjs')) as { appFacts(name: string): AppFacts };
  return reader.appFacts(app);
}
