import { afterAll, afterEach } from 'vitest';
import { killAllServices } from './service-process';

/** Installs afterEach/afterAll hooks that kill every process this test file started. */
export function useProcessCleanup(): void {
  afterEach(killAllServices);
  afterAll(killAllServices);
}
