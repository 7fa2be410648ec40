import type { Logger } from 'pino';
import type { Config } from '../config';
import { MemoryRunStore } from './memory-run-store';
import { MongoRunStore } from './mongo-run-store';
import type { RunStore } from './run-store';

/** MongoDB when MONGODB_URL is set, else the in-memory store (with a warning: runs die with the process). */
export function createRunStore(
  config: Pick<Config, 'MONGODB_URL' | 'MONGODB_DATABASE' | 'RUN_STORE_TIMEOUT_MS' | 'RUN_RETENTION_SECONDS' | 'MEMORY_RUN_STORE_MAX_RUNS' | 'MEMORY_RUN_STORE_MAX_BYTES'>,
  logger: Logger,
): RunStore {
  const retentionMs = config.RUN_RETENTION_SECONDS * 1000;
  if (!config.MONGODB_URL) {
    logger.warn('MONGODB_URL is not set: runs are kept in memory and lost when the process exits');
    return new MemoryRunStore({ maxRuns: config.MEMORY_RUN_STORE_MAX_RUNS, maxBytes: config.MEMORY_RUN_STORE_MAX_BYTES, retentionMs });
  }
  const store = new MongoRunStore({ url: config.MONGODB_URL, ...(config.MONGODB_DATABASE ? { database: config.MONGODB_DATABASE } : {}), timeoutMs: config.RUN_STORE_TIMEOUT_MS, retentionMs });
  // Not fatal: the service starts before its database and reports it in /ready; the first write retries.
  store.ensureIndexes().then(
    () => logger.info({ run_store: 'mongodb' }, 'run store indexes ready'),
    (error: unknown) => logger.error({ err: error }, 'MongoDB not reachable at start; /ready reports it and writes retry'),
  );
  return store;
}
