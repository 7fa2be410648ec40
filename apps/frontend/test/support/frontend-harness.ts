import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { createClient } from 'redis';
import { listen, loggerOptions, parseConfig } from '@mcp/service-kit';
import pino from 'pino';
import { buildApp } from '../../src/app';
import { FrontendConfigSchema } from '../../src/config';
import type { FrontendConfig } from '../../src/config';
import { createRuntime } from '../../src/dependencies';
import type { FrontendRuntime } from '../../src/dependencies';

/** The machine's real servers (tools/scripts/test.sh starts them). */
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A name no other run (or parallel test file) uses: keys and tables of this run are found and removed by it. */
export function uniqueSuffix(): string {
  return `${process.pid}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface RunningFrontend {
  url: string;
  config: FrontendConfig;
  runtime: FrontendRuntime;
  setDraining(value: boolean): void;
  /** /ready's details (each dependency's outcome) as the frontend last logged them (needs LOG_LEVEL info): its answer carries none. */
  readinessDetails(): Record<string, string> | undefined;
  close(): Promise<void>;
}

/**
 * Builds the app in-process from src/app.ts with the config parsed from `env`, on 127.0.0.1 port 0.
 * The ledger outbox file is this run's own (a temporary directory, removed at close) unless `env` names one.
 */
export async function startFrontend(env: Record<string, string | undefined>): Promise<RunningFrontend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'frontend-test-'));
  const config = parseConfig(FrontendConfigSchema, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', LEDGER_OUTBOX_PATH: join(dataDir, 'ledger-outbox.sqlite'), ...env });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino(loggerOptions('frontend-test', config.logLevel), sink);
  const runtime = createRuntime(config, logger);
  await runtime.start();
  let draining = false;
  const { listener } = buildApp({ ...runtime, isDraining: () => draining });
  const server = createServer(listener);
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    runtime,
    setDraining: (value) => {
      draining = value;
    },
    readinessDetails: () =>
      lines
        .map((line) => JSON.parse(line) as { dependencies?: Record<string, string> })
        .filter((record) => record.dependencies !== undefined)
        .at(-1)?.dependencies,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      runtime.modelRouter.close();
      await runtime.cache.close();
      await runtime.ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Direct access to the real Redis and PostgreSQL, to look at what the service stored and clean up. */
export interface Stores {
  redis: ReturnType<typeof createClient>;
  pg: pg.Client;
  keys(prefix: string): Promise<string[]>;
  deleteKeys(prefix: string): Promise<void>;
  rows(table: string): Promise<Array<Record<string, unknown>>>;
  dropTable(table: string): Promise<void>;
  close(): Promise<void>;
}

export async function connectStores(): Promise<Stores> {
  const redis = createClient({ url: REDIS_URL });
  redis.on('error', () => undefined);
  await redis.connect();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const keys = async (prefix: string) => {
    const found: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) found.push(...batch);
    return found;
  };
  return {
    redis,
    pg: client,
    keys,
    async deleteKeys(prefix) {
      const found = await keys(prefix);
      if (found.length > 0) await redis.del(found);
    },
    async rows(table) {
      const exists = await client.query('SELECT to_regclass($1) AS oid', [table]);
      if (exists.rows[0]?.oid === null) return [];
      const { rows } = await client.query(`SELECT * FROM ${pg.escapeIdentifier(table)} ORDER BY created_at, id`);
      return rows as Array<Record<string, unknown>>;
    },
    async dropTable(table) {
      await client.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(table)}`);
    },
    async close() {
      await redis.close();
      await client.end();
    },
  };
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies field by field
  json: any;
}

/** POST/GET with a bounded wait; `json` is the parsed body or undefined. */
export async function http(url: string, init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const response = await fetch(url, {
    method: init.method ?? (init.json !== undefined || init.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A GraphQL POST. */
export function graphql(baseUrl: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  return http(`${baseUrl}/graphql`, { json: { query, ...(variables ? { variables } : {}) }, headers });
}
