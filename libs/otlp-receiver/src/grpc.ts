import type * as Grpc from '@grpc/grpc-js';
import { encodeEmptyResponse, loadOtlpProto } from '@mcp/contracts';
import type { ReceiverParts } from './receiver';
import { RpcCode, rpcCodeForHttpStatus } from './rpc-code';
import type { OtlpSignal } from './types';

/** How a gRPC `Export` call is answered: success (an empty response) or a status. */
export type GrpcAnswer = { ok: true; response: Buffer } | { ok: false; code: RpcCode; message: string; metadata?: Record<string, string> };

/** One unary `Export` call, its request still raw protobuf bytes. */
export interface GrpcExportCall {
  signal: OtlpSignal;
  /** The serialized `Export<Signal>ServiceRequest` (grpc-js already undid any gRPC compression). */
  body: Buffer;
  /** Sends the answer; a no-op once the call was answered or cancelled (deadline, client gone, shutdown). */
  answer(answer: GrpcAnswer): void;
}

const signals: readonly OtlpSignal[] = ['traces', 'metrics', 'logs'];

// Bytes in and out: the request is decoded by the same protobufjs path as OTLP/HTTP bodies, and
// the response is encoded by it too, so both transports share one schema and one decoder.
const passthrough = (buffer: Buffer): Buffer => buffer;

function exportDefinition(path: string): Grpc.ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
      originalName: 'export',
    },
  };
}

function toMetadata(grpc: typeof Grpc, entries: Record<string, string> = {}): Grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) {
    try {
      // gRPC metadata keys are lowercase; HTTP-style names (Retry-After) map onto them.
      metadata.set(key.toLowerCase(), value);
    } catch {
      // A key gRPC cannot carry (e.g. with spaces) is left out rather than failing the answer.
    }
  }
  return metadata;
}

/**
 * Starts a grpc-js server serving `TraceService/Export`, `MetricsService/Export` and
 * `LogsService/Export` (paths from the `.proto` files), handing every call to `onExport`.
 */
export function startGrpcServer(
  host: string,
  port: number,
  maxMessageBytes: number,
  onExport: (call: GrpcExportCall) => void,
): Promise<{ server: Grpc.Server; port: number }> {
  // Loaded on demand: a receiver without gRPC (most tests) never pays for grpc-js, nor needs it installed.
  const grpc = require('@grpc/grpc-js') as typeof Grpc;
  const paths = loadOtlpProto().grpcPath;
  // grpc-js refuses larger messages itself (RESOURCE_EXHAUSTED), compressed or inflated.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxMessageBytes });
  for (const signal of signals) {
    const handler: Grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      let answered = false;
      onExport({
        signal,
        body: call.request,
        answer: (answer) => {
          if (answered || call.cancelled) return;
          answered = true;
          if (answer.ok) callback(null, answer.response);
          else callback({ code: answer.code, details: answer.message, metadata: toMetadata(grpc, answer.metadata) });
        },
      });
    };
    server.addService(exportDefinition(paths[signal]), { Export: handler });
  }
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) {
        server.forceShutdown();
        reject(error);
        return;
      }
      resolve({ server, port: boundPort });
    });
  });
}

/**
 * Answers one OTLP/gRPC `Export` call through the same faults, decoder and store as OTLP/HTTP: `OK`
 * with an empty response, `INVALID_ARGUMENT` for an undecodable message, or the injected fault.
 */
export function handleExportCall({ store, faults, waits }: ReceiverParts, call: GrpcExportCall): void {
  const { signal } = call;
  store.stats.total++;
  const stats = store.stats[signal];
  stats.grpc++;
  const fault = faults.take(signal);
  if (fault) {
    stats.faulted++;
    if (fault.kind === 'hang') return; // close() cancels the call.
    const code = rpcCodeForHttpStatus(fault.status);
    faults.later(() => call.answer({ ok: false, code, message: fault.message, metadata: fault.headers }));
    return;
  }
  const result = store.ingest(signal, 'grpc', call.body);
  if (!result.ok) {
    faults.later(() => call.answer({ ok: false, code: RpcCode.INVALID_ARGUMENT, message: result.reason }));
    return;
  }
  faults.later(() => call.answer({ ok: true, response: encodeEmptyResponse(signal, 'grpc') }));
  waits.poll();
}
