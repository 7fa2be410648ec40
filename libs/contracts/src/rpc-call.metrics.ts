import type * as grpc from '@grpc/grpc-js';
import { metrics, ValueType } from '@opentelemetry/api';
import type { Attributes, Histogram } from '@opentelemetry/api';
import { REQUEST_DURATION_BUCKETS_SECONDS } from './duration-buckets.const';

// The stable RPC semantic conventions (@opentelemetry/semantic-conventions 1.45.0) for gRPC calls,
// measured by interceptors on both ends: every call counts, sampled or not (the spans come from the
// gRPC instrumentation of the preload; a metric derived from spans would only see the sampled ones).

const ATTR_RPC_SYSTEM_NAME = 'rpc.system.name';
const ATTR_RPC_METHOD = 'rpc.method';
const ATTR_RPC_STATUS_CODE = 'rpc.status_code';
const ATTR_ERROR_TYPE = 'error.type';
const ATTR_SERVER_ADDRESS = 'server.address';
const ATTR_SERVER_PORT = 'server.port';
const RPC_SYSTEM_NAME_VALUE_GRPC = 'grpc';
export const METRIC_RPC_CLIENT_CALL_DURATION = 'rpc.client.call.duration';
export const METRIC_RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';

/**
 * Status codes that make a call failed on the server side (the conventions' list for gRPC); on the
 * client every code but OK is a failure.
 */
const SERVER_ERROR_CODES = new Set(['UNKNOWN', 'DEADLINE_EXCEEDED', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS']);

/** Health checks are probes, and Watch streams live as long as the watcher: neither is a call to time. */
const isHealthMethod = (path: string): boolean => path.startsWith('/grpc.health.v1.');

function grpcJs(): typeof grpc {
  return require('@grpc/grpc-js') as typeof grpc;
}

function durationHistogram(name: string, description: string): Histogram {
  return metrics.getMeter('mcp-grpc').createHistogram(name, {
    description,
    unit: 's',
    valueType: ValueType.DOUBLE,
    // The conventions' advice for both call-duration histograms.
    advice: { explicitBucketBoundaries: [...REQUEST_DURATION_BUCKETS_SECONDS] },
  });
}

function callAttributes(path: string, code: number, failed: (status: string) => boolean): Attributes {
  const status = grpcJs().status[code] ?? String(code);
  return {
    [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
    // '/pkg.Service/Method' → the fully-qualified 'pkg.Service/Method'.
    [ATTR_RPC_METHOD]: path.replace(/^\//, ''),
    [ATTR_RPC_STATUS_CODE]: status,
    ...(failed(status) ? { [ATTR_ERROR_TYPE]: status } : {}),
  };
}

function serverOf(address: string): Attributes {
  const [, host = address, port] = /^(.*):(\d{1,5})$/.exec(address) ?? [];
  return { [ATTR_SERVER_ADDRESS]: host.replace(/^\[(.*)\]$/, '$1'), ...(port !== undefined ? { [ATTR_SERVER_PORT]: Number(port) } : {}) };
}

/**
 * A client interceptor recording `rpc.client.call.duration` (s) of every call to `address`
 * (`host:port`), from the call's start to its status. Create it after telemetry started (the
 * preload's meter provider): instruments made earlier stay no-ops.
 */
export function rpcClientMetricsInterceptor(address: string): grpc.Interceptor {
  const { InterceptingCall, RequesterBuilder } = grpcJs();
  const duration = durationHistogram(METRIC_RPC_CLIENT_CALL_DURATION, 'Measures the duration of outbound remote procedure calls (RPC).');
  const server = serverOf(address);
  return (options, nextCall) => {
    const path = options.method_definition.path;
    if (isHealthMethod(path)) return new InterceptingCall(nextCall(options));
    const start = performance.now();
    const requester = new RequesterBuilder()
      .withStart((metadata, _listener, next) => {
        // A partial listener: grpc-js passes what it does not define straight through.
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            duration.record((performance.now() - start) / 1000, { ...callAttributes(path, status.code, (s) => s !== 'OK'), ...server });
            nextStatus(status);
          },
        });
      })
      .build();
    return new InterceptingCall(nextCall(options), requester);
  };
}

/** A server interceptor recording `rpc.server.call.duration` (s) of every call, to its status. */
export function rpcServerMetricsInterceptor(): grpc.ServerInterceptor {
  const { ResponderBuilder, ServerInterceptingCall } = grpcJs();
  const duration = durationHistogram(METRIC_RPC_SERVER_CALL_DURATION, 'Measures the duration of inbound remote procedure calls (RPC).');
  return (methodDescriptor, call) => {
    const path = methodDescriptor.path;
    if (isHealthMethod(path)) return new ServerInterceptingCall(call);
    const start = performance.now();
    const responder = new ResponderBuilder()
      .withSendStatus((status, next) => {
        duration.record((performance.now() - start) / 1000, callAttributes(path, status.code, (s) => SERVER_ERROR_CODES.has(s)));
        next(status);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}
