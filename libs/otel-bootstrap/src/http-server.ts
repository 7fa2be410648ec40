import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, ValueType, type Attributes, type Context, type Histogram, type Span } from '@opentelemetry/api';
import { RPCType, setRPCMetadata, suppressTracing, type RPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentLength } from './http-attributes';

export interface HttpServerInstrumentationConfig extends InstrumentationConfig {
  /** Requests whose path (without the query) is in this set get no span, and nothing under them. */
  ignoredPaths?: ReadonlySet<string>;
}

/** Query parameters that carry credentials in signed URLs: their values never reach a span (as upstream). */
export const REDACTED_QUERY_PARAMETERS: readonly string[] = ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token'];
const REDACTED_QUERY_PATTERN = new RegExp(`(?:^|&)(?:${REDACTED_QUERY_PARAMETERS.join('|')})=`);

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** The request's context (span and RPC metadata, or suppressed tracing), on the request and the response. */
const kContext = Symbol('mcp.http.server.context');
/** The server span's bookkeeping, on the response. */
const kState = Symbol('mcp.http.server.state');

interface Traced {
  [kContext]?: Context;
  [kState]?: ServerSpanState;
}

interface ServerSpanState {
  span: Span;
  rpc: RPCMetadata;
  method: string;
  scheme: 'http' | 'https';
  request: IncomingMessage;
  startedAt: number;
  ended: boolean;
}

type Emit = (this: unknown, ...args: [string | symbol, ...unknown[]]) => boolean;

export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** `a=1&sig=secret` → `a=1&sig=REDACTED`; untouched (and unparsed) when no such parameter is present. */
export function redactQuery(query: string): string {
  if (!REDACTED_QUERY_PATTERN.test(query)) return query;
  const params = new URLSearchParams(query);
  for (const name of REDACTED_QUERY_PARAMETERS) if (params.has(name)) params.set(name, 'REDACTED');
  return params.toString();
}

/** `host:8080` → [`host`, 8080]; `[::1]:80` → [`[::1]`, 80]; without a port, the scheme's default. */
export function parseHost(host: string, scheme: string): [string, number | undefined] {
  const colon = host.lastIndexOf(':');
  const bracket = host.lastIndexOf(']');
  const defaultPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
  if (colon === -1 || colon < bracket || (bracket === -1 && host.indexOf(':') !== colon)) return [host, defaultPort];
  const port = Number(host.slice(colon + 1));
  return [host.slice(0, colon), Number.isInteger(port) && port > 0 && port < 65536 ? port : defaultPort];
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The first element's `for=`/`host=`/`proto=` of an RFC 7239 `Forwarded` header. */
export function parseForwarded(header: string): { for?: string; host?: string; proto?: string } {
  const first = header.split(',', 1)[0] ?? '';
  const result: { for?: string; host?: string; proto?: string } = {};
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key === 'for' || key === 'host' || key === 'proto') result[key] = value;
  }
  return result;
}

function withoutPort(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end === -1 ? address : address.slice(1, end);
  }
  const colon = address.indexOf(':');
  return colon !== -1 && colon === address.lastIndexOf(':') ? address.slice(0, colon) : address;
}

/**
 * The attributes of the stable HTTP semantic conventions that are not needed to start the span:
 * computed only for a span that records (the sampler kept it), so an unsampled request pays for none.
 */
export function requestAttributes(request: IncomingMessage, scheme: string, url: string, query: number): Attributes {
  const { headers, socket } = request;
  const attributes: Attributes = {
    'network.protocol.version': request.httpVersion,
    'network.peer.address': socket.remoteAddress,
    'network.peer.port': socket.remotePort,
  };
  if (query !== -1 && query < url.length - 1) attributes['url.query'] = redactQuery(url.slice(query + 1));
  const userAgent = headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  const forwarded = headers.forwarded === undefined ? undefined : parseForwarded(headers.forwarded);
  const forwardedFor = forwarded?.for ?? firstHeader(headers['x-forwarded-for'])?.split(',', 1)[0]?.trim();
  const client = forwardedFor ? withoutPort(forwardedFor) : socket.remoteAddress;
  if (client) attributes['client.address'] = client;
  const host = forwarded?.host ?? firstHeader(headers['x-forwarded-host']) ?? headers.host;
  if (host) {
    const [address, port] = parseHost(host, forwarded?.proto ?? firstHeader(headers['x-forwarded-proto']) ?? scheme);
    attributes['server.address'] = address;
    if (port !== undefined) attributes['server.port'] = port;
  }
  const size = contentLength(headers['content-length']);
  if (size !== undefined) attributes['http.request.body.size'] = size;
  if (request.method !== undefined && !KNOWN_METHODS.has(request.method)) attributes['http.request.method_original'] = request.method;
  return attributes;
}

/**
 * The SERVER span of every incoming HTTP request (stable HTTP semantic conventions) and the
 * `http.server.request.duration` histogram, in place of the incoming half of
 * `@opentelemetry/instrumentation-http` (its outgoing half stays in use). Same spans, attributes
 * and context (`RPCMetadata` for the frameworks' route), at a fraction of the cost per request
 * (BENCHMARKS.md): no URL object per request, no attributes for requests the sampler drops, and
 * no per-request patching of the request and response emitters — their `emit` runs listeners in
 * the request's context from one wrapper on the prototypes, which also ends the span on `close`.
 */
export class HttpServerInstrumentation extends InstrumentationBase<HttpServerInstrumentationConfig> {
  declare private duration: Histogram;

  constructor(config: HttpServerInstrumentationConfig = {}) {
    super('@mcp/otel-bootstrap/http-server', '1.0.0', config);
  }

  protected override _updateMetricInstruments(): void {
    this.duration = this.meter.createHistogram('http.server.request.duration', {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] },
    });
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        'http',
        ['*'],
        (exports: typeof http) => {
          this.wrapServer(exports.Server.prototype as unknown as { emit: Emit }, 'http');
          this.wrapMessage(exports.IncomingMessage.prototype as unknown as { emit: Emit }, false);
          this.wrapMessage(exports.ServerResponse.prototype as unknown as { emit: Emit }, true);
          return exports;
        },
        (exports?: typeof http) => {
          if (!exports) return;
          this._unwrap(exports.Server.prototype, 'emit');
          this._unwrap(exports.IncomingMessage.prototype, 'emit');
          this._unwrap(exports.ServerResponse.prototype, 'emit');
        },
      ),
      new InstrumentationNodeModuleDefinition(
        'https',
        ['*'],
        (exports: typeof https) => {
          this.wrapServer(exports.Server.prototype as unknown as { emit: Emit }, 'https');
          // https serves with http's message classes: patch them even if the app never requires http.
          require('node:http');
          return exports;
        },
        (exports?: typeof https) => {
          if (exports) this._unwrap(exports.Server.prototype, 'emit');
        },
      ),
    ];
  }

  private wrapServer(prototype: { emit: Emit }, scheme: 'http' | 'https'): void {
    if (!isWrapped(prototype.emit)) this._wrap(prototype, 'emit', (original: Emit) => emitWithServerSpan(original, this, scheme));
  }

  private wrapMessage(prototype: { emit: Emit }, isResponse: boolean): void {
    if (!isWrapped(prototype.emit)) this._wrap(prototype, 'emit', (original: Emit) => emitInRequestContext(original, this, isResponse));
  }

  /** @internal */
  handle(original: Emit, server: unknown, args: RequestEmitArgs, scheme: 'http' | 'https'): boolean {
    const [, request, response] = args;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (this.getConfig().ignoredPaths?.has(path)) {
      const suppressed = suppressTracing(context.active());
      request[kContext] = suppressed;
      response[kContext] = suppressed;
      return context.with(suppressed, applyEmit, undefined, original, server, args);
    }

    const method = normalizeMethod(request.method);
    // A server request continues the caller's trace or starts one: never the context it arrived in.
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    // No attributes at creation: the samplers this bootstrap configures (OTEL_TRACES_SAMPLER) decide
    // on the trace id and the parent only, and the SDK would copy and validate them for every
    // request, sampled or not. A recording span gets all of them at once.
    const span = this.tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      const attributes = requestAttributes(request, scheme, url, query);
      attributes['http.request.method'] = method;
      attributes['url.scheme'] = scheme;
      attributes['url.path'] = path;
      span.setAttributes(attributes);
    }
    const rpc: RPCMetadata = { type: RPCType.HTTP, span };
    const requestContext = setRPCMetadata(trace.setSpan(parent, span), rpc);
    request[kContext] = requestContext;
    response[kContext] = requestContext;
    const state: ServerSpanState = { span, rpc, method, scheme, request, startedAt: performance.now(), ended: false };
    response[kState] = state;
    try {
      return context.with(requestContext, applyEmit, undefined, original, server, args);
    } catch (error) {
      if (!state.ended) this.finish(state, response, error);
      throw error;
    }
  }

  /** Ends the span (once) with the response's status, route and sizes, and records the duration. @internal */
  finish(state: ServerSpanState, response: ServerResponse, error: unknown): void {
    state.ended = true;
    const { span, method, rpc } = state;
    // Closed before the response was complete: the client gave up (or the socket broke). No status
    // code was sent unless the headers were, and the request did not succeed.
    const aborted = error === undefined && !response.writableFinished;
    const status = aborted && !response.headersSent ? undefined : response.statusCode;
    const route = rpc.route;
    let errorType: string | undefined;
    if (error !== undefined) {
      errorType = error instanceof Error ? error.name : 'Error';
    } else if (aborted) {
      errorType = 'aborted';
    } else if (status !== undefined && (status >= 500 || status < 100)) {
      errorType = String(status);
    }
    if (span.isRecording()) {
      const attributes: Attributes = {};
      if (status !== undefined) attributes['http.response.status_code'] = status;
      if (route !== undefined) {
        attributes['http.route'] = route;
        span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${route}`);
      }
      const size = contentLength(response.getHeader('content-length'));
      if (size !== undefined) attributes['http.response.body.size'] = size;
      if (errorType !== undefined) attributes['error.type'] = errorType;
      span.setAttributes(attributes);
      if (error instanceof Error) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      } else if (aborted) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the response was complete' });
      } else if (errorType !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    span.end();
    const metricAttributes: Attributes = {
      'http.request.method': method,
      'url.scheme': state.scheme,
      'network.protocol.version': state.request.httpVersion,
    };
    if (status !== undefined) metricAttributes['http.response.status_code'] = status;
    if (route !== undefined) metricAttributes['http.route'] = route;
    if (errorType !== undefined) metricAttributes['error.type'] = errorType;
    this.duration.record((performance.now() - state.startedAt) / 1000, metricAttributes);
  }
}

type RequestEmitArgs = [string, IncomingMessage & Traced, ServerResponse & Traced];

/** `Server.prototype.emit`: a `request` event runs its listeners under a new SERVER span. */
function emitWithServerSpan(original: Emit, instrumentation: HttpServerInstrumentation, scheme: 'http' | 'https'): Emit {
  return function emitWithServerSpan(this: unknown, event: string | symbol): boolean {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as RequestEmitArgs;
    if (event !== 'request') return original.apply(this, args);
    return instrumentation.handle(original, this, args, scheme);
  };
}

/**
 * `IncomingMessage`/`ServerResponse.prototype.emit`: a server request's events run in its context
 * (the parser emits body events from the connection's context), and the response's `close` or
 * `error` ends its span. Other messages (client responses) pass straight on.
 */
function emitInRequestContext(original: Emit, instrumentation: HttpServerInstrumentation, isResponse: boolean): Emit {
  return function emitInRequestContext(this: unknown, event: string | symbol): boolean {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as [string | symbol, ...unknown[]];
    const message = this as Traced;
    const requestContext = message[kContext];
    if (requestContext === undefined) return original.apply(this, args);
    if (isResponse && (event === 'close' || event === 'error')) {
      const state = message[kState];
      if (state !== undefined && !state.ended) instrumentation.finish(state, this as ServerResponse, event === 'error' ? args[1] : undefined);
    }
    if (context.active() === requestContext) return original.apply(this, args);
    return context.with(requestContext, applyEmit, undefined, original, this, args);
  };
}

function applyEmit(emit: Emit, emitter: unknown, args: ArrayLike<unknown>): boolean {
  return emit.apply(emitter, args as unknown as [string | symbol, ...unknown[]]);
}

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: boolean }).__wrapped === true;
}
