import * as grpc from '@grpc/grpc-js';
import { createModelRouterClient, loadModelRouterProto } from '@mcp/contracts';
import type { HealthStatus, ModelRouterCaller } from '@mcp/contracts';
import { loggerOptions, parseConfig } from '@mcp/service-kit';
import pino from 'pino';
import { afterEach } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { ModelRouterApp } from '../../src/app.js';
import { ConfigSchema } from '../../src/config.js';
import { bindServer } from '../../src/grpc-server.util.js';

export type LogLine = Record<string, unknown>;

export interface RunningRouter {
  app: ModelRouterApp;
  client: ModelRouterCaller;
  address: string;
  /** Every line the app logged (debug and up), parsed. */
  logs: LogLine[];
  /** Resolves with the first log line matching `predicate`; rejects after `timeoutMs`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const running: Array<{ app: ModelRouterApp; close: () => void }> = [];

/** Closes every client and server a test started. */
export function useRouterCleanup(): void {
  afterEach(async () => {
    const all = running.splice(0);
    for (const { close } of all) close();
    await Promise.all(all.map(({ app }) => app.shutdown(1_000)));
  });
}

/**
 * The app from src/app.ts on 127.0.0.1, port 0, with a real grpc-js client from the contracts.
 * `env` is parsed by the app's own config schema; models answer at once unless it says otherwise.
 */
export async function startRouter(env: Record<string, string> = {}): Promise<RunningRouter> {
  const config = parseConfig(ConfigSchema, { MODEL_LATENCY_SCALE: '0', ...env });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  const logger = pino(loggerOptions('model-router', 'debug'), {
    write(line: string) {
      logs.push(JSON.parse(line) as LogLine);
      for (const wake of [...waiters]) wake();
    },
  });
  const app = buildApp({ config, logger });
  const port = await bindServer(app.server, '127.0.0.1', 0);
  const address = `127.0.0.1:${port}`;
  const client = createModelRouterClient(address);
  running.push({ app, close: () => client.close() });
  await client.waitForReady(5_000);

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = logs.find(predicate);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching log line within ${timeoutMs} ms; got:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return { app, client, address, logs, waitForLog };
}

/** `value`, or a thrown error naming what was missing (tests read first/last items this way). */
export function present<T>(value: T | undefined, what = 'value'): T {
  if (value === undefined) throw new Error(`expected ${what}`);
  return value;
}

/** The gRPC error a promise rejected with (fails the test if it resolved). */
export async function grpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** Reads a whole server stream; rejects as the stream does. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

interface RawHealthClient extends grpc.Client {
  Check(request: { service: string }, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<{ status: HealthStatus }>): grpc.ClientUnaryCall;
  Watch(request: { service: string }, options?: Partial<grpc.CallOptions>): grpc.ClientReadableStream<{ status: HealthStatus }>;
}

/** A grpc.health.v1.Health client for `address`. */
export function healthClient(address: string): RawHealthClient {
  const { Health } = loadModelRouterProto();
  return new Health(address, grpc.credentials.createInsecure()) as unknown as RawHealthClient;
}

export function check(client: RawHealthClient, service: string): Promise<HealthStatus> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: new Date(Date.now() + 5_000) }, (error, response) => (error || !response ? reject(error ?? new Error('empty response')) : resolve(response.status)));
  });
}
