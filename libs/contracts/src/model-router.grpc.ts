import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';

/** Fully-qualified gRPC names, as the instrumentation records them in `rpc.service`. */
export const MODEL_ROUTER_SERVICE = 'mcp.model_router.v1.ModelRouter';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** Where the .proto files are, from src/ (tests, dev) and from dist/ alike. */
export const PROTO_DIR = join(__dirname, '..', 'proto');

export interface RouteRequest {
  model_type: string;
  prompt: string;
  /** Optional; for the caller's ledger, never put on telemetry. */
  user_id: string;
}

export interface RouteResponse {
  model_type: string;
  response: string;
  tokens_used: number;
  prompt_tokens: number;
  completion_tokens: number;
  processing_time_ms: number;
  cost_usd: number;
}

export interface RouteChunk {
  text: string;
  index: number;
  done: boolean;
  tokens_used: number;
  cost_usd: number;
  processing_time_ms: number;
}

export interface ModelInfo {
  name: string;
  description: string;
  cost_per_1k_tokens_usd: number;
  typical_latency_ms: number;
  max_prompt_chars: number;
}

export interface ListModelsResponse {
  models: ModelInfo[];
}

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The generated client of the ModelRouter service, typed. */
export interface ModelRouterClient extends grpc.Client {
  Route(request: Partial<RouteRequest>, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<RouteResponse>): grpc.ClientUnaryCall;
  Route(request: Partial<RouteRequest>, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<RouteResponse>): grpc.ClientUnaryCall;
  StreamRoute(request: Partial<RouteRequest>, options?: Partial<grpc.CallOptions>): grpc.ClientReadableStream<RouteChunk>;
  ListModels(request: Record<string, never>, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<ListModelsResponse>): grpc.ClientUnaryCall;
}

export interface HealthClient extends grpc.Client {
  Check(request: { service: string }, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<{ status: HealthStatus }>): grpc.ClientUnaryCall;
  Watch(request: { service: string }, options?: Partial<grpc.CallOptions>): grpc.ClientReadableStream<{ status: HealthStatus }>;
}

export interface ModelRouterProto {
  /** Client constructor (its instances are {@link ModelRouterClient}s); `.service` is the service definition for servers. */
  ModelRouter: grpc.ServiceClientConstructor;
  /** Client constructor (its instances are {@link HealthClient}s); `.service` is the definition for servers. */
  Health: grpc.ServiceClientConstructor;
}

let loaded: ModelRouterProto | undefined;

/**
 * Loads the ModelRouter and Health services once. Field names stay as in the .proto (snake_case),
 * enums are strings, 64-bit numbers are numbers, and unset fields get their defaults.
 */
export function loadModelRouterProto(): ModelRouterProto {
  if (loaded) return loaded;
  // Loaded here, not at module top, so that importing the schemas alone does not load gRPC.
  const grpcJs = require('@grpc/grpc-js') as typeof grpc;
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const definition = protoLoader.loadSync(['model_router.proto', 'health.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpcJs.loadPackageDefinition(definition) as unknown as {
    mcp: { model_router: { v1: { ModelRouter: ModelRouterProto['ModelRouter'] } } };
    grpc: { health: { v1: { Health: ModelRouterProto['Health'] } } };
  };
  loaded = { ModelRouter: pkg.mcp.model_router.v1.ModelRouter, Health: pkg.grpc.health.v1.Health };
  return loaded;
}
