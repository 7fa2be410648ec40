/**
 * The `google.rpc.Code` values this receiver answers with. They are the gRPC status codes, and the
 * `code` of the `google.rpc.Status` body OTLP/HTTP puts on its error answers, so both transports
 * use one table. Named here rather than taken from `@grpc/grpc-js`, which is loaded only when a
 * receiver serves gRPC.
 */
export const RpcCode = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** One of the {@link RpcCode} values. */
export type RpcCode = (typeof RpcCode)[keyof typeof RpcCode];

// The code a collector answers for the usual HTTP fault statuses.
const codeOfHttpStatus: Readonly<Record<number, RpcCode>> = {
  400: RpcCode.INVALID_ARGUMENT,
  401: RpcCode.UNAUTHENTICATED,
  403: RpcCode.PERMISSION_DENIED,
  404: RpcCode.NOT_FOUND,
  408: RpcCode.DEADLINE_EXCEEDED,
  413: RpcCode.RESOURCE_EXHAUSTED,
  415: RpcCode.INVALID_ARGUMENT,
  429: RpcCode.RESOURCE_EXHAUSTED,
  500: RpcCode.INTERNAL,
  501: RpcCode.UNIMPLEMENTED,
  502: RpcCode.UNAVAILABLE,
  503: RpcCode.UNAVAILABLE,
  504: RpcCode.DEADLINE_EXCEEDED,
};

/** The code for an injected HTTP fault status; `UNKNOWN` for a status without one. */
export function rpcCodeForHttpStatus(status: number): RpcCode {
  return codeOfHttpStatus[status] ?? RpcCode.UNKNOWN;
}
