import { resolve } from 'node:path';

/** The monorepo root (this file is libs/test-kit/{src,dist}/paths). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/** The compiled preload, as production runs it (`npx nx run @mcp/otel-bootstrap:build`). */
export const REGISTER_PATH = resolve(REPO_ROOT, 'libs', 'otel-bootstrap', 'dist', 'register.js');

/** `apps/<app>/dist/main.js`, the compiled entry of a service (`npx nx run @mcp/<app>:build`). */
export function serviceEntry(app: string): string {
  return resolve(REPO_ROOT, 'apps', app, 'dist', 'main.js');
}
