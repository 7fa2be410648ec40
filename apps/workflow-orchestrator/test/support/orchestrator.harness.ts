// Builds the real app (src/app.ts) in-process on 127.0.0.1:0 with an in-memory run store, the way
// main.ts does minus the process: config parsed from an explicit environment, real gRPC client,
// real fetch. Logs are captured so tests can check what was (and was not) logged.
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createModelRouterClient } from '@mcp/contracts';
import { loggerOptions } from '@mcp/service-kit';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import type { Config } from '../../src/config';
import { configFrom } from './config';
import { InspectableRunStore } from './inspectable-run-store';

/** A parsed response body; tests assert on it with toMatchObject/toEqual, so it is left untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Orchestrator {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly store: InspectableRunStore;
  /** Every log line, parsed. */
  logs(): Array<Record<string, unknown>>;
  /** POST /workflows/execute with a JSON body (or a raw string) and optional headers. */
  execute(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Json; headers: Headers }>;
  getRun(id: string): Promise<{ status: number; body: Json }>;
  close(): Promise<void>;
}

export interface OrchestratorOptions {
  env?: Record<string, string | undefined>;
  store?: InspectableRunStore;
  draining?: () => boolean;
}

export async function startOrchestrator(options: OrchestratorOptions = {}): Promise<Orchestrator> {
  const config = configFrom({ PORT: '0', HOST: '127.0.0.1', INTERNAL_API_SECRET: 'test-secret', ...options.env });
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino(loggerOptions('workflow-orchestrator', 'debug'), destination);
  const store = options.store ?? new InspectableRunStore();
  const modelRouter = createModelRouterClient(config.MODEL_ROUTER_ADDRESS);
  const app = await buildApp({ config, logger, runStore: store, modelRouter, ...(options.draining ? { isDraining: options.draining } : {}) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    url,
    app,
    config,
    store,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    async execute(body, headers = {}) {
      const response = await fetch(`${url}/workflows/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    async getRun(id) {
      const response = await fetch(`${url}/workflows/runs/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(10_000) });
      return { status: response.status, body: (await response.json()) as Json };
    },
    async close() {
      await app.close();
      modelRouter.close();
      await store.close();
    },
  };
}
