import { status as GrpcStatus } from '@grpc/grpc-js';
import { trace, context } from '@opentelemetry/api';

/** An error with the HTTP status and message the client should see. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * How a failed gRPC call to a dependency reads to an HTTP client: its own mistakes (bad argument,
 * unknown model) are 4xx; a dependency down is 503 and one too slow is 504, never a bare 500.
 */
export function httpStatusOfGrpc(code: number | undefined): number {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.FAILED_PRECONDITION:
      return 400;
    case GrpcStatus.NOT_FOUND:
      return 404;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 429;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 504;
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.CANCELLED:
    case GrpcStatus.ABORTED:
      return 503;
    default:
      return 502;
  }
}

/** The trace id of the active span, for error bodies and response fields; undefined outside a trace. */
export function currentTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}
