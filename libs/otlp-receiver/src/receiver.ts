import type { Server as GrpcServer } from '@grpc/grpc-js';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { decodeExportRequest, encodeEmptyResponse, encodeErrorStatus } from './decode';
import { startGrpcServer } from './grpc';
import type { GrpcExportCall } from './grpc';
import { formatValue, truncate } from './match';
import { loadOtlpProto } from './proto';
import { flattenLogs, flattenMetrics, flattenSpans } from './normalize';
import { findMetric, metricPoints } from './query-helpers';
import { makeTester, scanRecords } from './scan';
import { summarizeLogs, summarizeMetrics, summarizeSpans } from './summary';
import { describeMatcher, matchesSpan, renderTraceTree } from './trace-helpers';
import type { SpanMatcher } from './trace-helpers';
import type {
  Attributes,
  OtlpEncoding,
  OtlpSignal,
  ReceivedLog,
  ReceivedMetricPoint,
  ReceivedSpan,
  RequestStats,
  ScanHit,
  SignalRequestStats,
} from './types';
import type { WireLogsRequest, WireMetricsRequest, WireTraceRequest } from './wire';

const gunzipAsync = promisify(gunzip);

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

/** Which requests a fault applies to. */
export interface FaultOptions {
  /** Number of requests the fault applies to; default: all of them until `clearFaults()` or `reset()`. */
  times?: number;
  /** Signals the fault applies to; default all three. */
  signals?: OtlpSignal[];
}

/** Options of {@link OtlpReceiver.respondWith}. */
export interface RespondWithOptions extends FaultOptions {
  /** Extra response headers, e.g. `{ 'Retry-After': '1' }`. */
  headers?: Record<string, string>;
  /** Message of the `google.rpc.Status` error body. Default `injected fault: <status>`. */
  message?: string;
}

/** Common options of the `waitFor*` helpers. */
export interface WaitOptions {
  /** How long to wait before rejecting, in ms. Default: the receiver's `defaultTimeoutMs` (10 000). */
  timeoutMs?: number;
}

/** Options of {@link OtlpReceiver.waitForSpans} and {@link OtlpReceiver.waitForLogs} with a predicate. */
export interface WaitForRecordsOptions extends WaitOptions {
  /** How many matching records to wait for. Default 1. */
  count?: number;
  /** Describes the predicate in the timeout message (default: the predicate's name or query). */
  description?: string;
}

/** Options of {@link OtlpReceiver.waitForMetric}. */
export interface WaitForMetricOptions extends WaitOptions {
  /** Only data points whose attributes include these (other attributes ignored). */
  attributes?: Attributes;
  /** Only data points for which this returns true, e.g. `(p) => (p.value ?? 0) >= 3`. */
  predicate?: (point: ReceivedMetricPoint) => boolean;
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

const signalPaths: Readonly<Record<string, OtlpSignal>> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

// google.rpc.Code (the same numbers as gRPC status codes) for the usual HTTP fault statuses: OTLP/HTTP
// error bodies are google.rpc.Status, and a gRPC fault answers with that code.
const rpcCodes: Readonly<Record<number, number>> = { 400: 3, 401: 16, 403: 7, 404: 5, 408: 4, 413: 8, 415: 3, 429: 8, 500: 13, 501: 12, 502: 14, 503: 14, 504: 4 };

const maxTreeSpansInErrors = 40;

interface Fault {
  kind: 'status' | 'hang';
  status: number;
  remaining: number;
  signals: ReadonlySet<OtlpSignal>;
  headers: Record<string, string>;
  message: string;
}

interface Waiter {
  poll(): void;
  fail(reason: string): void;
}

interface AcceptedRequest {
  signal: OtlpSignal;
  body: Buffer;
  records: readonly (ReceivedSpan | ReceivedMetricPoint | ReceivedLog)[];
}

const emptyStats = (): SignalRequestStats => ({ protobuf: 0, json: 0, grpc: 0, gzip: 0, accepted: 0, faulted: 0, invalid: 0 });

/** The encodings of OTLP/HTTP bodies. */
type HttpEncoding = Exclude<OtlpEncoding, 'grpc'>;

/** google.rpc.Code INVALID_ARGUMENT, the answer to an undecodable request. */
const INVALID_ARGUMENT = 3;

type IngestResult = { ok: true } | { ok: false; reason: string };

function mediaType(header: string | undefined): HttpEncoding | undefined {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function hostUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

class Receiver implements OtlpReceiver {
  readonly url: string;
  readonly port: number;
  readonly grpcUrl: string | undefined;
  readonly grpcPort: number | undefined;
  readonly endpoints: Readonly<Record<OtlpSignal, string>>;

  private spanList: ReceivedSpan[] = [];
  private metricList: ReceivedMetricPoint[] = [];
  private logList: ReceivedLog[] = [];
  private accepted: AcceptedRequest[] = [];
  private stats = { traces: emptyStats(), metrics: emptyStats(), logs: emptyStats(), notFound: 0, total: 0 };
  private fault: Fault | undefined;
  private delayMs: number;
  private closing: Promise<void> | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();

  private grpcServer: GrpcServer | undefined;

  constructor(
    private readonly server: http.Server,
    private readonly options: Required<Omit<OtlpReceiverOptions, 'host' | 'port' | 'grpc' | 'grpcPort'>>,
    host: string,
    grpc: { server: GrpcServer; port: number } | undefined,
  ) {
    this.port = (server.address() as AddressInfo).port;
    this.url = hostUrl(host, this.port);
    this.grpcServer = grpc?.server;
    this.grpcPort = grpc?.port;
    this.grpcUrl = grpc ? hostUrl(host, grpc.port) : undefined;
    this.endpoints = { traces: `${this.url}/v1/traces`, metrics: `${this.url}/v1/metrics`, logs: `${this.url}/v1/logs` };
    this.delayMs = options.delayMs;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        // Only a bug here can land in this catch; answer rather than leave the exporter hanging.
        if (!res.headersSent && !res.destroyed) res.writeHead(500).end(String(error));
      });
    });
  }

  get requests(): RequestStats {
    return structuredClone(this.stats);
  }

  exporterEnv(protocol: ExporterProtocol = 'http/protobuf'): Record<string, string> {
    if (protocol === 'grpc') {
      if (this.grpcUrl === undefined) throw new Error("exporterEnv('grpc'): this receiver serves no gRPC; start it with { grpc: true }");
      return { OTEL_EXPORTER_OTLP_ENDPOINT: this.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_INSECURE: 'true' };
    }
    return { OTEL_EXPORTER_OTLP_ENDPOINT: this.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol };
  }

  spans(): ReceivedSpan[] {
    return [...this.spanList];
  }

  metrics(): ReceivedMetricPoint[] {
    return [...this.metricList];
  }

  logs(): ReceivedLog[] {
    return [...this.logList];
  }

  reset(): void {
    this.spanList = [];
    this.metricList = [];
    this.logList = [];
    this.accepted = [];
    this.stats = { traces: emptyStats(), metrics: emptyStats(), logs: emptyStats(), notFound: 0, total: 0 };
    this.fault = undefined;
    this.delayMs = this.options.delayMs;
  }

  respondWith(status: number, options: RespondWithOptions = {}): void {
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`respondWith: invalid HTTP status ${status}`);
    this.fault = {
      kind: 'status',
      status,
      remaining: options.times ?? Infinity,
      signals: new Set(options.signals ?? ['traces', 'metrics', 'logs']),
      headers: options.headers ?? {},
      message: options.message ?? `injected fault: ${status}`,
    };
  }

  hang(options: FaultOptions = {}): void {
    this.fault = {
      kind: 'hang',
      status: 0,
      remaining: options.times ?? Infinity,
      signals: new Set(options.signals ?? ['traces', 'metrics', 'logs']),
      headers: {},
      message: '',
    };
  }

  setDelay(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`setDelay: invalid delay ${ms}`);
    this.delayMs = ms;
  }

  clearFaults(): void {
    this.fault = undefined;
  }

  waitForSpans(countOrMatcher: number | SpanMatcher, options: WaitForRecordsOptions = {}): Promise<ReceivedSpan[]> {
    const summary = (): string => {
      const spans = this.spanList;
      const tree = spans.length > 0 && spans.length <= maxTreeSpansInErrors ? `\ntrace tree:\n${renderTraceTree(spans)}` : '';
      return summarizeSpans(spans) + tree;
    };
    if (typeof countOrMatcher === 'number') {
      return this.waitUntil('waitForSpans', `${countOrMatcher} span(s)`, options, summary, () =>
        this.spanList.length >= countOrMatcher ? this.spans() : undefined,
      );
    }
    const count = options.count ?? 1;
    const what = `${count} span(s) matching ${options.description ?? describeMatcher(countOrMatcher)}`;
    return this.waitUntil('waitForSpans', what, options, summary, () => {
      const matching = this.spanList.filter((span) => matchesSpan(span, countOrMatcher));
      return matching.length >= count ? matching : undefined;
    });
  }

  waitForMetric(name: string, options: WaitForMetricOptions = {}): Promise<ReceivedMetricPoint> {
    const { attributes, predicate } = options;
    const filters = [attributes ? `attributes ${formatValue(attributes)}` : '', predicate ? 'the predicate' : ''].filter(Boolean);
    const what = `metric ${JSON.stringify(name)}${filters.length > 0 ? ` with ${filters.join(' and ')}` : ''}`;
    const summary = (): string => {
      const named = metricPoints(this.metricList, name);
      const near =
        named.length === 0
          ? ''
          : `\n${named.length} point(s) named ${JSON.stringify(name)} did not match, e.g.:\n` +
            named
              .slice(-5)
              .map((p) => `  ${formatValue(p.attributes)} value=${formatValue(p.value ?? p.histogram ?? p.exponentialHistogram ?? p.summary)}`)
              .join('\n');
      return summarizeMetrics(this.metricList) + near;
    };
    return this.waitUntil('waitForMetric', what, options, summary, () =>
      findMetric(predicate ? this.metricList.filter(predicate) : this.metricList, name, attributes),
    );
  }

  waitForLogs(countOrPredicate: number | ((log: ReceivedLog) => boolean), options: WaitForRecordsOptions = {}): Promise<ReceivedLog[]> {
    const summary = (): string => summarizeLogs(this.logList);
    if (typeof countOrPredicate === 'number') {
      return this.waitUntil('waitForLogs', `${countOrPredicate} log record(s)`, options, summary, () =>
        this.logList.length >= countOrPredicate ? this.logs() : undefined,
      );
    }
    const count = options.count ?? 1;
    const described = options.description ?? (countOrPredicate.name ? `predicate ${countOrPredicate.name}` : 'predicate');
    return this.waitUntil('waitForLogs', `${count} log record(s) matching ${described}`, options, summary, () => {
      const matching = this.logList.filter(countOrPredicate);
      return matching.length >= count ? matching : undefined;
    });
  }

  scanFor(needle: string | RegExp): ScanHit[] {
    const test = makeTester(needle);
    const hits: ScanHit[] = [];
    const seen = new Set<string>();
    for (const request of this.accepted) {
      if (scanRecords(request.signal, request.records, test, hits, seen) > 0) continue;
      const text = request.body.toString('utf8');
      if (test(text)) {
        hits.push({ signal: request.signal, path: 'raw request body', value: snippet(text, needle), label: `${request.signal} request`, record: undefined });
      }
    }
    return hits;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const waiter of [...this.waiters]) waiter.fail('the receiver was closed');
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
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

  private waitUntil<T>(
    fn: string,
    what: string,
    options: WaitOptions,
    summary: () => string,
    evaluate: () => T | undefined,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const fail = (reason: string): void => reject(new Error(`${fn}: ${reason} waiting for ${what}.\n${summary()}`));
      if (this.closing) {
        fail('the receiver is closed');
        return;
      }
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        poll: () => {
          let result: T | undefined;
          try {
            result = evaluate();
          } catch (error) {
            settle();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (result === undefined) return;
          settle();
          resolve(result);
        },
        fail: (reason) => {
          settle();
          fail(reason);
        },
      };
      const timer = setTimeout(() => waiter.fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(waiter);
      waiter.poll();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.total++;
    const pathname = new URL(req.url ?? '/', 'http://receiver').pathname;
    const signal = signalPaths[pathname];
    if (!signal) {
      this.stats.notFound++;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no OTLP endpoint at ${pathname}; use /v1/traces, /v1/metrics or /v1/logs\n`);
      return;
    }
    const stats = this.stats[signal];
    if (req.method !== 'POST') {
      stats.invalid++;
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end(`use POST for ${pathname}\n`);
      return;
    }
    const encoding = mediaType(req.headers['content-type']);
    if (!encoding) {
      stats.invalid++;
      const got = req.headers['content-type'] ?? '(none)';
      res.writeHead(415, { 'Content-Type': 'text/plain' }).end(`unsupported Content-Type ${got}; use application/x-protobuf or application/json\n`);
      return;
    }
    stats[encoding]++;
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    const gzipped = contentEncoding === 'gzip' || contentEncoding === 'x-gzip';
    if (gzipped) stats.gzip++;
    else if (contentEncoding !== 'identity' && contentEncoding !== '') {
      stats.invalid++;
      this.answer(res, 415, encoding, encodeErrorStatus(encoding, 3, `unsupported Content-Encoding ${contentEncoding}; use gzip or none`));
      return;
    }

    const raw = await this.readBody(req);
    if (raw === undefined) {
      stats.invalid++;
      this.answer(res, 413, encoding, encodeErrorStatus(encoding, 8, `body larger than ${this.options.maxBodyBytes} bytes`));
      return;
    }
    if (raw === 'aborted') return;

    const fault = this.takeFault(signal);
    if (fault) {
      if (fault.kind === 'hang') return; // close() destroys the socket.
      const body = encodeErrorStatus(encoding, rpcCodes[fault.status] ?? 2, fault.message);
      this.answer(res, fault.status, encoding, body, fault.headers);
      return;
    }

    let body: Buffer;
    try {
      body = gzipped ? await gunzipAsync(raw, { maxOutputLength: this.options.maxBodyBytes }) : raw;
    } catch (error) {
      stats.invalid++;
      const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      const reason = tooLarge ? `inflated body larger than ${this.options.maxBodyBytes} bytes` : `invalid gzip body: ${String(error)}`;
      this.answer(res, tooLarge ? 413 : 400, encoding, encodeErrorStatus(encoding, tooLarge ? 8 : 3, reason));
      return;
    }
    const result = this.ingest(signal, encoding, body);
    if (!result.ok) {
      this.answer(res, 400, encoding, encodeErrorStatus(encoding, INVALID_ARGUMENT, result.reason));
      return;
    }
    this.answer(res, 200, encoding, encodeEmptyResponse(signal, encoding));
    this.pollWaiters();
  }

  /** An OTLP/gRPC `Export` call: the same fault, decode and storage path as OTLP/HTTP. (Not on the interface.) */
  handleGrpc(call: GrpcExportCall): void {
    const { signal } = call;
    this.stats.total++;
    const stats = this.stats[signal];
    stats.grpc++;
    const fault = this.takeFault(signal);
    if (fault) {
      if (fault.kind === 'hang') return; // close() cancels the call.
      const code = rpcCodes[fault.status] ?? 2;
      this.later(() => call.answer({ ok: false, code, message: fault.message, metadata: fault.headers }));
      return;
    }
    const result = this.ingest(signal, 'grpc', call.body);
    if (!result.ok) {
      this.later(() => call.answer({ ok: false, code: INVALID_ARGUMENT, message: result.reason }));
      return;
    }
    this.later(() => call.answer({ ok: true, response: encodeEmptyResponse(signal, 'grpc') }));
    this.pollWaiters();
  }

  /** The active fault if it applies to this request (counting it as faulted), else `undefined`. */
  private takeFault(signal: OtlpSignal): Fault | undefined {
    const fault = this.fault;
    if (!fault || fault.remaining <= 0 || !fault.signals.has(signal)) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.fault = undefined;
    this.stats[signal].faulted++;
    return fault;
  }

  /** Decodes, flattens and stores one uncompressed request body, counting it accepted or invalid. */
  private ingest(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): IngestResult {
    const stats = this.stats[signal];
    let records: (ReceivedSpan | ReceivedMetricPoint | ReceivedLog)[];
    try {
      const decoded = decodeExportRequest(signal, encoding, body);
      records =
        signal === 'traces'
          ? flattenSpans(decoded as WireTraceRequest, encoding)
          : signal === 'metrics'
            ? flattenMetrics(decoded as WireMetricsRequest, encoding)
            : flattenLogs(decoded as WireLogsRequest, encoding);
    } catch (error) {
      stats.invalid++;
      const reason = truncate(error instanceof Error ? error.message : String(error), 300);
      return { ok: false, reason: `cannot decode OTLP ${signal} request (${encoding}): ${reason}` };
    }
    if (signal === 'traces') this.spanList.push(...(records as ReceivedSpan[]));
    else if (signal === 'metrics') this.metricList.push(...(records as ReceivedMetricPoint[]));
    else this.logList.push(...(records as ReceivedLog[]));
    this.accepted.push({ signal, body, records });
    stats.accepted++;
    return { ok: true };
  }

  private pollWaiters(): void {
    for (const waiter of [...this.waiters]) waiter.poll();
  }

  /** Runs `send` after the current delay (at once without one); close() cancels pending sends. */
  private later(send: () => void): void {
    if (this.delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, this.delayMs);
    this.timers.add(timer);
  }

  /** Reads the whole body; `undefined` when over the size limit, `'aborted'` when the client went away. */
  private readBody(req: http.IncomingMessage): Promise<Buffer | undefined | 'aborted'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Keep draining so the answer can be read, but stop buffering.
        if (size > this.options.maxBodyBytes) tooLarge = true;
        else chunks.push(chunk);
      });
      req.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
      req.once('error', () => resolve('aborted'));
      req.once('close', () => {
        if (!req.complete) resolve('aborted');
      });
    });
  }

  private answer(res: http.ServerResponse, status: number, encoding: HttpEncoding, body: Buffer, headers: Record<string, string> = {}): void {
    this.later(() => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, {
        ...headers,
        'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
        'Content-Length': String(body.length),
      });
      res.end(body);
    });
  }
}

function snippet(text: string, needle: string | RegExp): string {
  const found = typeof needle === 'string' ? { index: text.indexOf(needle), length: needle.length } : matchOf(text, needle);
  const around = text.slice(Math.max(0, found.index - 30), found.index + found.length + 30);
  // Protobuf framing bytes are not text; show them (and undecodable bytes) as dots.
  return [...around].map((ch) => (isPrintable(ch) ? ch : '.')).join('');
}

function matchOf(text: string, pattern: RegExp): { index: number; length: number } {
  const match = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(text);
  return { index: match?.index ?? 0, length: match?.[0].length ?? 0 };
}

function isPrintable(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return code >= 0x20 && code !== 0x7f && code !== 0xfffd;
}

/**
 * Starts an OTLP/HTTP receiver (protobuf and JSON, gzip or not) on 127.0.0.1 and a free port by
 * default; with `{ grpc: true }`, an OTLP/gRPC server too, on a free port of its own.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const host = options.host ?? '127.0.0.1';
  const settings = {
    delayMs: options.delayMs ?? 0,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 10_000,
  };
  // Parse the schema now so a broken install fails here, not inside the first export.
  loadOtlpProto();
  // gRPC first: the receiver is built in the HTTP listen callback, so no HTTP request can find the
  // server without its handler. A gRPC call before then (possible only on a fixed grpcPort) is told
  // to retry (14 = UNAVAILABLE).
  const route: { to?: Receiver } = {};
  const grpc = options.grpc
    ? await startGrpcServer(host, options.grpcPort ?? 0, settings.maxBodyBytes, (call) => {
        if (route.to) route.to.handleGrpc(call);
        else call.answer({ ok: false, code: 14, message: 'the OTLP receiver is starting' });
      })
    : undefined;
  const server = http.createServer();
  return new Promise<OtlpReceiver>((resolve, reject) => {
    server.once('error', (error) => {
      grpc?.server.forceShutdown();
      reject(error);
    });
    server.listen(options.port ?? 0, host, () => {
      server.removeAllListeners('error');
      route.to = new Receiver(server, settings, host, grpc);
      resolve(route.to);
    });
  });
}
