// A stand-in for apps/model-router, which is built at the same time and tested by its own suite; the
// lead's cross-service test runs the frontend against the real one. It serves the contracts proto
// (ModelRouter Route/ListModels + grpc.health.v1 Check) on 127.0.0.1, deterministically, with
// switchable failures and latency.
import { createHash } from 'node:crypto';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadModelRouterProto } from '@mcp/contracts';
import type { HealthStatus, ListModelsResponse, ModelInfo, RouteRequest, RouteResponse } from '@mcp/contracts';

export const STUB_MODELS: ModelInfo[] = [
  { name: 'stub-small', description: 'small stub', cost_per_1k_tokens_usd: 0.5, typical_latency_ms: 5, max_prompt_chars: 32_768 },
  { name: 'stub-medium', description: 'medium stub', cost_per_1k_tokens_usd: 2, typical_latency_ms: 10, max_prompt_chars: 32_768 },
  { name: 'stub-large', description: 'large stub', cost_per_1k_tokens_usd: 10, typical_latency_ms: 20, max_prompt_chars: 32_768 },
];

export interface FakeRouterBehaviour {
  /** Added before every Route/ListModels answer. */
  latencyMs: number;
  /** Every Route fails with this status when set. */
  failWith?: status;
  health: HealthStatus;
}

export interface FakeModelRouter {
  address: string;
  port: number;
  behaviour: FakeRouterBehaviour;
  /** Route requests received, in order. */
  routeCalls: RouteRequest[];
  /** The `traceparent` metadata of each Route call ('' when none came). */
  routeTraceparents: string[];
  listModelsCalls: number;
  healthCalls: number;
  /** Calls the client cancelled (deadline) while we were still working. */
  cancelled: number;
  reset(): void;
  close(): Promise<void>;
}

/** The deterministic answer of a stub model: never contains the prompt. */
export function stubAnswer(model: ModelInfo, prompt: string): RouteResponse {
  const promptTokens = Math.max(1, Math.ceil(prompt.length / 4));
  const completionTokens = 12;
  const tokens = promptTokens + completionTokens;
  const digest = createHash('sha256').update(prompt).digest('hex').slice(0, 12);
  return {
    model_type: model.name,
    response: `${model.name} answer ${digest}`,
    tokens_used: tokens,
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    processing_time_ms: model.typical_latency_ms,
    cost_usd: (tokens / 1000) * model.cost_per_1k_tokens_usd,
  };
}

export async function startFakeModelRouter(): Promise<FakeModelRouter> {
  const { ModelRouter, Health } = loadModelRouterProto();
  const server = new Server();
  const fake: Omit<FakeModelRouter, 'address' | 'port' | 'close'> = {
    behaviour: { latencyMs: 0, health: 'SERVING' },
    routeCalls: [],
    routeTraceparents: [],
    listModelsCalls: 0,
    healthCalls: 0,
    cancelled: 0,
    reset() {
      fake.behaviour = { latencyMs: 0, health: 'SERVING' };
      fake.routeCalls.length = 0;
      fake.routeTraceparents.length = 0;
      fake.listModelsCalls = 0;
      fake.healthCalls = 0;
      fake.cancelled = 0;
    },
  };

  /** Waits `latencyMs`, or gives up when the client cancels (as the real router must on a deadline). */
  function delay(call: ServerUnaryCall<unknown, unknown>): Promise<boolean> {
    const ms = fake.behaviour.latencyMs;
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(true), ms);
      call.once('cancelled', () => {
        clearTimeout(timer);
        fake.cancelled += 1;
        resolve(false);
      });
    });
  }

  const modelRouter: UntypedServiceImplementation = {
    Route: async (call: ServerUnaryCall<RouteRequest, RouteResponse>, callback: sendUnaryData<RouteResponse>) => {
      fake.routeCalls.push({ ...call.request });
      fake.routeTraceparents.push(String(call.metadata.get('traceparent')[0] ?? ''));
      if (!(await delay(call))) return;
      if (fake.behaviour.failWith !== undefined) return callback({ code: fake.behaviour.failWith, details: 'injected failure' });
      if (!call.request.prompt) return callback({ code: status.INVALID_ARGUMENT, details: 'prompt: must not be empty' });
      const model = STUB_MODELS.find((m) => m.name === call.request.model_type);
      if (!model) return callback({ code: status.NOT_FOUND, details: `unknown model_type "${call.request.model_type}"; known: ${STUB_MODELS.map((m) => m.name).join(', ')}` });
      callback(null, stubAnswer(model, call.request.prompt));
    },
    ListModels: async (call: ServerUnaryCall<unknown, ListModelsResponse>, callback: sendUnaryData<ListModelsResponse>) => {
      fake.listModelsCalls += 1;
      if (!(await delay(call))) return;
      if (fake.behaviour.failWith !== undefined) return callback({ code: fake.behaviour.failWith, details: 'injected failure' });
      callback(null, { models: STUB_MODELS });
    },
    StreamRoute: (call: { emit(event: string, error: unknown): void }) => {
      call.emit('error', { code: status.UNIMPLEMENTED, details: 'not used by the frontend' });
    },
  };
  const health: UntypedServiceImplementation = {
    Check: (call: ServerUnaryCall<{ service: string }, { status: HealthStatus }>, callback: sendUnaryData<{ status: HealthStatus }>) => {
      fake.healthCalls += 1;
      callback(null, { status: fake.behaviour.health });
    },
    Watch: (call: { emit(event: string, error: unknown): void }) => {
      call.emit('error', { code: status.UNIMPLEMENTED, details: 'not used' });
    },
  };
  server.addService(ModelRouter.service, modelRouter);
  server.addService(Health.service, health);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return Object.assign(fake, {
    address: `127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls held open by latency must not keep the shutdown waiting.
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  }) as FakeModelRouter;
}
