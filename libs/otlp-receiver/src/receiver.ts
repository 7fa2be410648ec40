import type { Server as GrpcServer } from '@grpc/grpc-js';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FaultOptions, RespondWithOptions } from './faults';
import { FaultInjector } from './faults';
import { handleExportCall, startGrpcServer } from './grpc';
import { createOtlpHttpHandler } from './http';
import { loadOtlpProto } from '@mcp/contracts';
import { RpcCode } from './rpc-code';
import { TelemetryStore } from './store';
import type { SpanMatcher } from './trace-helpers';
import type { OtlpSignal, ReceivedLog, ReceivedMetricPoint, ReceivedSpan, RequestStats, ScanHit } from './types';
import type { WaitForMetricOptions, WaitForRecordsOptions } from './waiting';
import { Waits } from './waiting';

/** Options of {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on. Default `0` (a free port chosen by the OS; read it from `port`/`url`). */
  port?: number;
  /**
   * Also serve OTLP/gRPC (`TraceService/Export`, `MetricsService/Export`, `LogsService/Export`,
   * plaintext) on `host`, on a port of its own (read it from `grpcPort`/`grpcUrl`). Default false.
   */
  grpc?: boolean;
  /** Port of the gRPC server when `grpc` is on. Default `0` (a free port). */
  grpcPort?: number;
  /** Delay added before every answer on a signal path, in ms (see {@link OtlpReceiver.setDelay}). Default 0. */
  delayMs?: number;
  /**
   * Largest accepted body (after gunzip), in bytes; larger requests get 413 (gRPC: grpc-js answers
   * `RESOURCE_EXHAUSTED` for a larger message). Default 64 MiB.
   */
  maxBodyBytes?: number;
  /** Timeout of the `waitFor*` helpers when the call gives none, in ms. Default 10 000. */
  defaultTimeoutMs?: number;
}

/** Protocols of {@link OtlpReceiver.exporterEnv}, as `OTEL_EXPORTER_OTLP_PROTOCOL` names them. */
export type ExporterProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** A running in-process OTLP/HTTP (and, optionally, OTLP/gRPC) receiver. */
export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:41234` (set as `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /**
   * OTLP/gRPC endpoint, e.g. `http://127.0.0.1:41235` (set as `OTEL_EXPORTER_OTLP_ENDPOINT` with
   * `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`); `undefined` unless started with `{ grpc: true }`.
   */
  readonly grpcUrl: string | undefined;
  /** The gRPC server's port; `undefined` unless started with `{ grpc: true }`. */
  readonly grpcPort: number | undefined;
  /** Full per-signal URLs (set as `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`). */
  readonly endpoints: Readonly<Record<OtlpSignal, string>>;
  /** A snapshot of the request counters, per signal and per encoding. */
  readonly requests: RequestStats;
  /**
   * Environment for a child process exporting here: `OTEL_EXPORTER_OTLP_ENDPOINT` and
   * `OTEL_EXPORTER_OTLP_PROTOCOL` (default `http/protobuf`); for `grpc`, the gRPC endpoint and
   * `OTEL_EXPORTER_OTLP_INSECURE=true` too (throws unless started with `{ grpc: true }`).
   */
  exporterEnv(protocol?: ExporterProtocol): Record<string, string>;
  /** Every span received so far (a copy of the list), in received order. */
  spans(): ReceivedSpan[];
  /** Every metric data point received so far, in received order. */
  metrics(): ReceivedMetricPoint[];
  /** Every log record received so far, in received order. */
  logs(): ReceivedLog[];
  /** Forgets received data and counters, clears faults and restores the start-up delay. */
  reset(): void;
  /**
   * Answers matching requests with `status` (e.g. 503) and a `google.rpc.Status` body instead of
   * accepting them; their data is discarded. Replaces any active fault. gRPC calls get the
   * matching status code (503 → `UNAVAILABLE`, 429 → `RESOURCE_EXHAUSTED`, 500 → `INTERNAL`, …;
   * `UNKNOWN` for a status without one), `message` as details and `headers` as trailing metadata.
   */
  respondWith(status: number, options?: RespondWithOptions): void;
  /**
   * Reads matching requests (HTTP and gRPC) but never answers them (until `close()`), so exporters
   * hit their timeout; their data is discarded. Replaces any active fault.
   */
  hang(options?: FaultOptions): void;
  /** Delays every answer by `ms` (data is stored at once; only the answer waits). 0 disables. */
  setDelay(ms: number): void;
  /** Ends `respondWith`/`hang` faults; keeps the delay. */
  clearFaults(): void;
  /**
   * Resolves when at least `count` spans were received (with a number: resolves with all spans),
   * or when at least `options.count` (default 1) spans match the predicate/query (resolves with the
   * matching spans). Rejects on timeout with the span names received, by service, and the trace tree.
   */
  waitForSpans(countOrMatcher: number | SpanMatcher, options?: WaitForRecordsOptions): Promise<ReceivedSpan[]>;
  /**
   * Resolves with the latest data point of metric `name` matching the options (see `findMetric`).
   * Rejects on timeout listing the metrics received, by service.
   */
  waitForMetric(name: string, options?: WaitForMetricOptions): Promise<ReceivedMetricPoint>;
  /**
   * Like `waitForSpans`, for log records: a number waits for that many records (resolves with
   * all); a predicate waits for `options.count` (default 1) matching records (resolves with them).
   */
  waitForLogs(countOrPredicate: number | ((log: ReceivedLog) => boolean), options?: WaitForRecordsOptions): Promise<ReceivedLog[]>;
  /**
   * Searches every string of every accepted span, metric point and log record for `needle`
   * (substring or RegExp), and the raw body of each request none of whose records matched
   * (so fields this library does not flatten are covered too). For PII-canary tests.
   */
  scanFor(needle: string | RegExp): ScanHit[];
  /**
   * Stops listening, destroys open sockets (hung requests included), force-shuts the gRPC server
   * down (cancelling its open calls) and rejects pending waits.
   */
  close(): Promise<void>;
}

/** The parts a receiver is made of, which both transports feed. */
export interface ReceiverParts {
  /** What was accepted, and the request counters. */
  readonly store: TelemetryStore;
  /** The injected fault and answer delay. */
  readonly faults: FaultInjector;
  /** The pending `waitFor*` calls, polled after each accepted request. */
  readonly waits: Waits;
}

function hostUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The public face: addresses, and each method handed to the part that owns it. */
class Receiver implements OtlpReceiver {
  readonly url: string;
  readonly port: number;
  readonly grpcUrl: string | undefined;
  readonly grpcPort: number | undefined;
  readonly endpoints: Readonly<Record<OtlpSignal, string>>;
  private closing: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly parts: ReceiverParts,
    private readonly server: http.Server,
    host: string,
    private grpcServer: GrpcServer | undefined,
    grpcPort: number | undefined,
  ) {
    this.port = (server.address() as AddressInfo).port;
    this.url = hostUrl(host, this.port);
    this.grpcPort = grpcPort;
    this.grpcUrl = grpcPort === undefined ? undefined : hostUrl(host, grpcPort);
    this.endpoints = { traces: `${this.url}/v1/traces`, metrics: `${this.url}/v1/metrics`, logs: `${this.url}/v1/logs` };
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get requests(): RequestStats {
    return this.parts.store.statsSnapshot();
  }

  exporterEnv(protocol: ExporterProtocol = 'http/protobuf'): Record<string, string> {
    if (protocol === 'grpc') {
      if (this.grpcUrl === undefined) throw new Error("exporterEnv('grpc'): this receiver serves no gRPC; start it with { grpc: true }");
      return { OTEL_EXPORTER_OTLP_ENDPOINT: this.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_INSECURE: 'true' };
    }
    return { OTEL_EXPORTER_OTLP_ENDPOINT: this.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol };
  }

  spans(): ReceivedSpan[] {
    return [...this.parts.store.spans];
  }

  metrics(): ReceivedMetricPoint[] {
    return [...this.parts.store.metrics];
  }

  logs(): ReceivedLog[] {
    return [...this.parts.store.logs];
  }

  reset(): void {
    this.parts.store.reset();
    this.parts.faults.reset();
  }

  respondWith(status: number, options?: RespondWithOptions): void {
    this.parts.faults.respondWith(status, options);
  }

  hang(options?: FaultOptions): void {
    this.parts.faults.hang(options);
  }

  setDelay(ms: number): void {
    this.parts.faults.setDelay(ms);
  }

  clearFaults(): void {
    this.parts.faults.clear();
  }

  waitForSpans(countOrMatcher: number | SpanMatcher, options?: WaitForRecordsOptions): Promise<ReceivedSpan[]> {
    return this.parts.waits.forSpans(countOrMatcher, options);
  }

  waitForMetric(name: string, options?: WaitForMetricOptions): Promise<ReceivedMetricPoint> {
    return this.parts.waits.forMetric(name, options);
  }

  waitForLogs(countOrPredicate: number | ((log: ReceivedLog) => boolean), options?: WaitForRecordsOptions): Promise<ReceivedLog[]> {
    return this.parts.waits.forLogs(countOrPredicate, options);
  }

  scanFor(needle: string | RegExp): ScanHit[] {
    return this.parts.store.scanFor(needle);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.parts.waits.close('the receiver was closed');
      this.parts.faults.cancelPending();
      // Cancels open calls (hung ones too) and closes every HTTP/2 session at once.
      this.grpcServer?.forceShutdown();
      this.grpcServer = undefined;
      this.server.close(() => resolve());
      // Hung and keep-alive connections would keep server.close() waiting forever.
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }
}

/**
 * Starts an OTLP/HTTP receiver (protobuf and JSON, gzip or not) on 127.0.0.1 and a free port by
 * default; with `{ grpc: true }`, an OTLP/gRPC server too, on a free port of its own.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  // Parse the schema now so a broken install fails here, not inside the first export.
  loadOtlpProto();
  const store = new TelemetryStore();
  const parts: ReceiverParts = {
    store,
    faults: new FaultInjector(options.delayMs ?? 0),
    waits: new Waits(store, options.defaultTimeoutMs ?? 10_000),
  };
  // gRPC first: calls are served only once the HTTP side listens too, so the receiver is whole
  // before anyone can use it. A gRPC call before then (possible only on a fixed grpcPort) is told
  // to retry.
  let listening = false;
  const grpc = options.grpc
    ? await startGrpcServer(host, options.grpcPort ?? 0, maxBodyBytes, (call) => {
        if (listening) handleExportCall(parts, call);
        else call.answer({ ok: false, code: RpcCode.UNAVAILABLE, message: 'the OTLP receiver is starting' });
      })
    : undefined;
  const handleHttp = createOtlpHttpHandler(parts, maxBodyBytes);
  const server = http.createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      // Only a bug here can land in this catch; answer rather than leave the exporter hanging.
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end(String(error));
    });
  });
  return new Promise<OtlpReceiver>((resolve, reject) => {
    server.once('error', (error) => {
      grpc?.server.forceShutdown();
      reject(error);
    });
    server.listen(options.port ?? 0, host, () => {
      server.removeAllListeners('error');
      listening = true;
      resolve(new Receiver(parts, server, host, grpc?.server, grpc?.port));
    });
  });
}
