import { spawnService, useProcessCleanup, type ServiceProcess, type SpawnOptions } from '@mcp/test-kit';
import { expect } from 'vitest';
import { esmFlavourOf, FIXTURE_FLAVOUR } from './esm-flavour';
import { fixturePath, PROJECT_ROOT } from './paths';

/** A fixture app running as a real child process (the harness of @mcp/test-kit). */
export type FixtureProcess = ServiceProcess;

/** Options of {@link spawnFixture}; `requireBefore` names fixtures, not paths. */
export type FixtureOptions = SpawnOptions;

/**
 * Starts `test/fixtures/<fixture>` with the bootstrap preloaded, against the machine's Redis and
 * PostgreSQL, and resolves once it printed `{"ready":true,"port":N}`. In the ES module flavour
 * (esm-flavour.ts) it runs the fixture's ES module form, preloaded with `--import`.
 */
export function spawnFixture(fixture: string, options: FixtureOptions): Promise<FixtureProcess> {
  const esm = FIXTURE_FLAVOUR === 'esm';
  return spawnService(esm ? esmFlavourOf(fixturePath(fixture)) : fixturePath(fixture), {
    ...options,
    preload: esm && (options.preload ?? 'require') === 'require' ? 'import' : options.preload,
    cwd: PROJECT_ROOT,
    requireBefore: options.requireBefore?.map(fixturePath),
    env: {
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
      ...options.env,
    },
  });
}

/** Kills every fixture a test file started, after each test and at the end. */
export const useFixtureCleanup = useProcessCleanup;

/** SIGTERM, and the fixture exits 0: the preload has flushed, so the receiver has all it will ever get. */
export async function stopAndFlush(app: FixtureProcess, timeoutMs = 20_000): Promise<void> {
  app.kill('SIGTERM');
  expect(await app.waitForExit(timeoutMs), app.describe()).toEqual({ code: 0, signal: null });
}
