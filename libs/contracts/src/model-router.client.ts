import type * as grpc from '@grpc/grpc-js';
import { loadModelRouterProto, type ListModelsResponse, type ModelRouterClient, type RouteChunk, type RouteRequest, type RouteResponse } from './model-router.grpc';

/** A promise-based ModelRouter client in which every call has a deadline. */
export interface ModelRouterCaller {
  route(request: Pick<RouteRequest, 'model_type' | 'prompt'> & Partial<RouteRequest>, deadlineMs: number): Promise<RouteResponse>;
  listModels(deadlineMs: number): Promise<ListModelsResponse>;
  streamRoute(request: Pick<RouteRequest, 'model_type' | 'prompt'> & Partial<RouteRequest>, deadlineMs: number): AsyncIterable<RouteChunk>;
  /** Resolves when the channel is connected, rejects after `deadlineMs`. */
  waitForReady(deadlineMs: number): Promise<void>;
  close(): void;
  readonly raw: ModelRouterClient;
}

export function createModelRouterClient(address: string, options: grpc.ClientOptions = {}): ModelRouterCaller {
  const grpcJs = require('@grpc/grpc-js') as typeof grpc;
  const { ModelRouter } = loadModelRouterProto();
  const client = new ModelRouter(address, grpcJs.credentials.createInsecure(), options) as unknown as ModelRouterClient;
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
    close: () => client.close(),
  };
}
