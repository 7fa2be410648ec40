import { credentials, type ServiceError } from '@grpc/grpc-js';
import { createModelRouterClient, loadModelRouterProto } from '@mcp/contracts';
import type { HealthClient, HealthStatus, ListModelsResponse, ModelRouterCaller, RouteRequest, RouteResponse } from '@mcp/contracts';

/** What the frontend needs of the model-router. */
export interface ModelRouterGateway {
  route(request: Pick<RouteRequest, 'model_type' | 'prompt'> & Partial<RouteRequest>, deadlineMs: number): Promise<RouteResponse>;
  listModels(deadlineMs: number): Promise<ListModelsResponse>;
  /** Resolves when the standard gRPC health service answers SERVING for the whole server. */
  checkHealth(deadlineMs: number): Promise<void>;
  close(): void;
}

/** True for errors of a gRPC call (they carry a numeric status code). */
export function isGrpcError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'metadata' in error;
}

export function createModelRouterGateway(address: string): ModelRouterGateway {
  const caller: ModelRouterCaller = createModelRouterClient(address);
  // The health client shares the router client's channel: one connection to watch, one to close.
  const { Health } = loadModelRouterProto();
  const health = new Health(address, credentials.createInsecure(), { channelOverride: caller.raw.getChannel() }) as unknown as HealthClient;
  return {
    route: (request, deadlineMs) => caller.route(request, deadlineMs),
    listModels: (deadlineMs) => caller.listModels(deadlineMs),
    checkHealth: (deadlineMs) =>
      new Promise<void>((resolve, reject) => {
        // '' asks for the server as a whole, as Kubernetes' gRPC probes do.
        health.Check({ service: '' }, { deadline: new Date(Date.now() + deadlineMs) }, (error, response) => {
          if (error) return reject(error);
          const status: HealthStatus | undefined = response?.status;
          if (status === 'SERVING') resolve();
          else reject(new Error(`model-router health is ${status ?? 'unknown'}`));
        });
      }),
    close: () => caller.close(),
  };
}
