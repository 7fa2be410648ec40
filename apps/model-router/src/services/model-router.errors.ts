import { status as GrpcStatus } from '@grpc/grpc-js';

/** The gRPC status names this service answers with besides OK. */
export type RouterErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'UNAVAILABLE' | 'DEADLINE_EXCEEDED' | 'CANCELLED' | 'INTERNAL';

/**
 * A failure with the gRPC status the caller gets. `code` is the status name, so that the
 * mcp-metrics tracers record it as a bounded `error.type` (they take a string `code` over the class
 * name); the message is for the caller and never contains prompt text.
 */
export class ModelRouterError extends Error {
  override readonly name = 'ModelRouterError';
  constructor(
    readonly code: RouterErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The numeric gRPC status of {@link code}. */
  get grpcStatus(): GrpcStatus {
    return GrpcStatus[this.code];
  }
}

/** The {@link ModelRouterError} for anything thrown: unexpected errors become INTERNAL with a generic message. */
export function toRouterError(error: unknown): ModelRouterError {
  if (error instanceof ModelRouterError) return error;
  return new ModelRouterError('INTERNAL', 'internal error in the model router');
}
