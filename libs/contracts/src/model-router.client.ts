import type * as grpc from '@grpc/grpc-js';
import { rpcClientMetricsInterceptor } from './rpc-call.metrics';
import { loadModelRouterProto, type HealthClient, type ListModelsResponse, type ModelRouterClient, type RouteChunk, type RouteRequest, type RouteResponse } from './model-router.grpc';

/**
 * The gRPC status name of a failed call (`UNAVAILABLE`, `DEADLINE_EXCEEDED`, …), or undefined for
 * anything that is not a gRPC error: the `error.type` of the calls' spans and metrics.
 */
export function grpcStatusName(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'number') return undefined;
  const { status } = require('@grpc/grpc-js') as typeof grpc;
  const name: unknown = (status as unknown as Record<number, unknown>)[code];
  return typeof name === 'string' ? name : undefined;
}

/** A promise-based ModelRouter client in which every call has a deadline. */
export interface ModelRouterCaller {
  route(request: Pick<RouteRequest, 'model_type' | 'prompt'> & Partial<RouteRequest>, deadlineMs: number): Promise<RouteResponse>;
  listModels(deadlineMs: number): Promise<ListModelsResponse>;
  streamRoute(request: Pick<RouteRequest, 'model_type' | 'prompt'> & Partial<RouteRequest>, deadlineMs: number): AsyncIterable<RouteChunk>;
  /** Resolves when the channel is connected, rejects after `deadlineMs`. */
  waitForReady(deadlineMs: number): Promise<void>;
  /**
   * The standard `grpc.health.v1.Health/Check` over the same channel (the connection the calls use;
   * no second one): resolves when `service` (default `''`, the server as a whole, as Kubernetes'
   * gRPC probes ask) is SERVING, rejects with the status or the call's error otherwise.
   */
  checkHealth(deadlineMs: number, service?: string): Promise<void>;
  close(): void;
  readonly raw: ModelRouterClient;
}

export function createModelRouterClient(address: string, options: grpc.ClientOptions = {}): ModelRouterCaller {
  const grpcJs = require('@grpc/grpc-js') as typeof grpc;
  const { ModelRouter, Health } = loadModelRouterProto();
  // Every call's rpc.client.call.duration (the health checks below use their own client: not counted).
  const withMetrics: grpc.ClientOptions = { ...options, interceptors: [rpcClientMetricsInterceptor(address), ...(options.interceptors ?? [])] };
  const client = new ModelRouter(address, grpcJs.credentials.createInsecure(), withMetrics) as unknown as ModelRouterClient;
  const health = new Health(address, grpcJs.credentials.createInsecure(), { channelOverride: client.getChannel() }) as unknown as HealthClient;
  const deadline = (ms: number) => new Date(Date.now() + ms);
  return {
    raw: client,
    route: (request, deadlineMs) =>
      new Promise((resolve, reject) => {
        client.Route(request, { deadline: deadline(deadlineMs) }, (error, response) => (error || !response ? reject(error ?? new Error('empty response')) : resolve(response)));
      }),
    listModels: (deadlineMs) =>
      new Promise((resolve, reject) => {
        client.ListModels({}, { deadline: deadline(deadlineMs) }, (error, response) => (error || !response ? reject(error ?? new Error('empty response')) : resolve(response)));
      }),
    streamRoute: (request, deadlineMs) => client.StreamRoute(request, { deadline: deadline(deadlineMs) }) as AsyncIterable<RouteChunk>,
    waitForReady: (deadlineMs) => new Promise((resolve, reject) => client.waitForReady(deadline(deadlineMs), (error) => (error ? reject(error) : resolve()))),
    checkHealth: (deadlineMs, service = '') =>
      new Promise((resolve, reject) => {
        health.Check({ service }, { deadline: deadline(deadlineMs) }, (error, response) => {
          // A readable reason for /ready bodies; the raw gRPC message carries connection internals.
          if (error?.code === grpcJs.status.UNAVAILABLE) reject(new Error('model-router unavailable'));
          else if (error?.code === grpcJs.status.DEADLINE_EXCEEDED) reject(new Error(`model-router health check timed out after ${deadlineMs} ms`));
          else if (error) reject(error);
          else if (response?.status === 'SERVING') resolve();
          else reject(new Error(`model-router health is ${response?.status ?? 'unknown'}`));
        });
      }),
    close: () => client.close(),
  };
}
