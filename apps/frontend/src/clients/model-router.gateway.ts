import type { ServiceError } from '@grpc/grpc-js';
import { createModelRouterClient } from '@mcp/contracts';
import type { ListModelsResponse, ModelRouterCaller, RouteRequest, RouteResponse } from '@mcp/contracts';

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
  return {
    route: (request, deadlineMs) => caller.route(request, deadlineMs),
    listModels: (deadlineMs) => caller.listModels(deadlineMs),
    checkHealth: (deadlineMs) => caller.checkHealth(deadlineMs),
    close: () => caller.close(),
  };
}
