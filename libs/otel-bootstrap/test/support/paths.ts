import { resolve } from 'node:path';

/** `libs/otel-bootstrap`. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');
/** The monorepo root. */
export const REPO_ROOT = resolve(PROJECT_ROOT, '..', '..');
/** The compiled preload the services run with (`npx nx run @mcp/otel-bootstrap:build`). */
export const REGISTER_PATH = resolve(PROJECT_ROOT, 'dist', 'register.js');
/** Plain CommonJS apps that know nothing of the SDK. */
export const FIXTURES_DIR = resolve(PROJECT_ROOT, 'test', 'fixtures');

export function fixturePath(name: string): string {
  return resolve(FIXTURES_DIR, name);
}
