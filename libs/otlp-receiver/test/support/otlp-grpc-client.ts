// A real OTLP/gRPC client for the tests: grpc-js with raw-bytes serializers (as the OpenTelemetry
// gRPC exporters use), the requests encoded with protobufjs from the OTLP .proto files of @mcp/contracts.
import * as grpc from '@grpc/grpc-js';
import { loadOtlpProto } from '../../src';
import type { OtlpSignal } from '../../src';
import { toProtobuf } from './otlp-payloads';
import type { Json } from './otlp-payloads';

export type GrpcResult = { ok: true; response: Buffer } | { ok: false; error: grpc.ServiceError };

export interface OtlpGrpcClient {
  /** Calls `<Signal>Service/Export` with a JSON-shaped request (encoded here) or raw bytes. */
  export(signal: OtlpSignal, request: Json | Buffer, options?: { deadlineMs?: number; compress?: boolean }): Promise<GrpcResult>;
  /** Calls any method path with raw bytes, e.g. one the receiver does not serve. */
  call(path: string, body: Buffer, deadlineMs?: number): Promise<GrpcResult>;
  close(): void;
}

const raw = (buffer: Buffer): Buffer => buffer;

/** `http://127.0.0.1:1234` → `127.0.0.1:1234`, the target grpc-js expects. */
export function grpcTarget(url: string): string {
  return url.replace(/^https?:\/\//, '');
}

export function otlpGrpcClient(url: string): OtlpGrpcClient {
  const paths = loadOtlpProto().grpcPath;
  const open: grpc.Client[] = [];
  const clientFor = (path: string, compress: boolean): grpc.Client => {
    const Client = grpc.makeGenericClientConstructor(
      { Export: { path, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
      'OtlpExport',
    );
    // 2 = gzip, as the exporters set it for OTEL_EXPORTER_OTLP_COMPRESSION=gzip.
    const client = new Client(grpcTarget(url), grpc.credentials.createInsecure(), compress ? { 'grpc.default_compression_algorithm': 2 } : {});
    open.push(client);
    return client;
  };
  const call = (path: string, body: Buffer, deadlineMs = 5_000, compress = false): Promise<GrpcResult> =>
    new Promise((resolve) => {
      const client = clientFor(path, compress) as grpc.Client & {
        Export(body: Buffer, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Buffer>): void;
      };
      client.Export(body, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
        resolve(error ? { ok: false, error } : { ok: true, response: response ?? Buffer.alloc(0) });
      });
    });
  return {
    export: (signal, request, options = {}) =>
      call(paths[signal], Buffer.isBuffer(request) ? request : toProtobuf(signal, request), options.deadlineMs, options.compress ?? false),
    call: (path, body, deadlineMs) => call(path, body, deadlineMs),
    close: () => {
      for (const client of open.splice(0)) client.close();
    },
  };
}
