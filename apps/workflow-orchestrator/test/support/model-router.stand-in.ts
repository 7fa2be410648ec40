// A STAND-IN for apps/model-router, for this app's tests only: a real @grpc/grpc-js server on
// 127.0.0.1 (port 0) implementing ModelRouter.Route and grpc.health.v1.Health from the contracts
// proto, with deterministic answers and configurable latency/failure. The real model-router is
// covered by its own tests and by the lead's cross-service test, which uses it instead of this.
import * as grpc from '@grpc/grpc-js';
import { loadModelRouterProto, MODEL_ROUTER_SERVICE, type RouteRequest, type RouteResponse } from '@mcp/contracts';

export interface StandInBehaviour {
  /** Added before every Route answer; the call is abandoned when the client's deadline cancels it. */
  latencyMs?: number;
  /** Every Route call fails with this status. */
  failWith?: { code: grpc.status; details: string };
  /** Called as each Route call arrives, before it is answered: lets a test act while a step is in flight. */
  onRoute?: () => void;
}

export interface ModelRouterStandIn {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Every Route request received, in order. */
  readonly calls: RouteRequest[];
  setBehaviour(behaviour: StandInBehaviour): void;
  close(): Promise<void>;
}

export const STAND_IN_MODELS = ['stub-small', 'stub-medium', 'stub-large'];

/** The stand-in's answer to a prompt: a pure function of model and prompt. */
export function standInAnswer(modelType: string, prompt: string): string {
  return `${modelType} says: ${prompt}`;
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

export async function startModelRouterStandIn(initial: StandInBehaviour = {}): Promise<ModelRouterStandIn> {
  const { ModelRouter, Health } = loadModelRouterProto();
  const server = new grpc.Server();
  const calls: RouteRequest[] = [];
  let behaviour = initial;

  server.addService(ModelRouter.service, {
    Route: (call: grpc.ServerUnaryCall<RouteRequest, RouteResponse>, callback: grpc.sendUnaryData<RouteResponse>) => {
      calls.push({ ...call.request });
      const { failWith, latencyMs = 0, onRoute } = behaviour;
      onRoute?.();
      const answer = () => {
        if (failWith) return callback({ code: failWith.code, details: failWith.details, name: 'Error', message: failWith.details, metadata: new grpc.Metadata() });
        const { model_type, prompt } = call.request;
        if (!STAND_IN_MODELS.includes(model_type)) return callback({ code: grpc.status.NOT_FOUND, details: `unknown model_type "${model_type}"`, name: 'Error', message: '', metadata: new grpc.Metadata() });
        const response = standInAnswer(model_type, prompt);
        const promptTokens = words(prompt);
        const completionTokens = words(response);
        callback(null, {
          model_type,
          response,
          tokens_used: promptTokens + completionTokens,
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          processing_time_ms: latencyMs,
          cost_usd: 0,
        });
      };
      if (latencyMs <= 0) return answer();
      const timer = setTimeout(answer, latencyMs);
      call.on('cancelled', () => clearTimeout(timer));
    },
    StreamRoute: (call: grpc.ServerWritableStream<RouteRequest, unknown>) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not in the stand-in' }),
    ListModels: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the stand-in' }),
  });
  server.addService(Health.service, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, { status: string }>, callback: grpc.sendUnaryData<{ status: string }>) => {
      if (call.request.service === '' || call.request.service === MODEL_ROUTER_SERVICE) return callback(null, { status: 'SERVING' });
      callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
    },
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    setBehaviour: (next) => {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls held open by a latency setting must not keep the test waiting.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 500).unref();
      }),
  };
}
