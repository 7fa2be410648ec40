import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TracerProvider,
} from '@opentelemetry/api';
import { RPCType, suppressTracing, type RPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentLength, normalizeMethod, requestAttributes } from './http-attributes';
import type { IncomingTraceContext } from './config';
import { requestContextOf } from './context';
import { HTTP_SERVER_SCOPE, serverDuration } from './http-server-duration';
import { droppedSpanShortcutOf, type DroppedSpanShortcut } from './traces';

export interface HttpServerInstrumentationConfig extends InstrumentationConfig {
  /** Requests whose path (without the query) is in this set get no span, and nothing under them. */
  ignoredPaths?: ReadonlySet<string>;
  /** `trust` (default): continue the caller's trace; `restart`: a new trace linking the caller's span, its baggage dropped. */
  incomingTraceContext?: IncomingTraceContext;
}

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

/**
 * The SERVER span of every incoming HTTP request (stable HTTP semantic conventions) and its
 * `http.server.request.duration` (aggregated in http-server-duration.ts), in place of the incoming half of
 * `@opentelemetry/instrumentation-http` (its outgoing half stays in use). Same spans, attributes
 * and context (`RPCMetadata` for the frameworks' route), at a fraction of the cost per request
 * (BENCHMARKS.md): no URL object per request, no attributes for requests the sampler drops, and
 * no per-request patching of the request and response emitters — their `emit` runs listeners in
 * the request's context from one wrapper on the prototypes, which also ends the span on `close`.
 */
export class HttpServerInstrumentation extends InstrumentationBase<HttpServerInstrumentationConfig> {
  /** Set when the tracer provider is the bootstrap's own (traces.ts): the sampler asked first, a dropped span made without the SDK. */
  private shortcut: DroppedSpanShortcut | undefined;

  constructor(config: HttpServerInstrumentationConfig = {}) {
    super(HTTP_SERVER_SCOPE.name, HTTP_SERVER_SCOPE.version, config);
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.shortcut = droppedSpanShortcutOf(tracerProvider);
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
    // Indexed, not destructured: destructuring an `arguments` object runs the iterator protocol.
    const request = args[1];
    const response = args[2];
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
    const { parent, links } = callerContext(request.headers, this.getConfig().incomingTraceContext);
    // No attributes at creation: the samplers this bootstrap configures (OTEL_TRACES_SAMPLER) decide
    // on the trace id and the parent only, and the SDK would copy and validate them for every
    // request, sampled or not. A recording span gets all of them at once.
    const name = method === '_OTHER' ? 'HTTP' : method;
    const span = this.shortcut ? this.shortcut.startSpan(this.tracer, name, SpanKind.SERVER, links, parent) : this.tracer.startSpan(name, { kind: SpanKind.SERVER, links }, parent);
    if (span.isRecording()) {
      const attributes = requestAttributes(request, scheme, url, query);
      attributes['http.request.method'] = method;
      attributes['url.scheme'] = scheme;
      attributes['url.path'] = path;
      span.setAttributes(attributes);
    }
    const rpc: RPCMetadata = { type: RPCType.HTTP, span };
    const requestContext = requestContextOf(parent, span, rpc);
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
    if (!serverDuration.active) return;
    const { scheme } = state;
    const version = state.request.httpVersion;
    // The series' key: every attribute, the route last (the only one that may contain anything).
    const key = `${method}\u0000${scheme}\u0000${version}\u0000${status ?? ''}\u0000${errorType ?? ''}\u0000${route ?? '\u0001'}`;
    serverDuration.record((performance.now() - state.startedAt) / 1000, key, () => {
      const attributes: Attributes = { 'http.request.method': method, 'url.scheme': scheme, 'network.protocol.version': version };
      if (status !== undefined) attributes['http.response.status_code'] = status;
      if (route !== undefined) attributes['http.route'] = route;
      if (errorType !== undefined) attributes['error.type'] = errorType;
      return attributes;
    });
  }
}

/**
 * The context a request's span starts in. Trusted, the caller's: its trace, its sampled flag (which
 * a parent-based sampler follows) and its baggage. Not trusted (an edge facing the internet), none
 * of it: a new trace, sampled by this service's root sampler, so a client cannot raise the sampling
 * rate by sending `sampled`, nor put baggage into our context; the caller's span stays as a link.
 */
function callerContext(headers: IncomingMessage['headers'], policy: IncomingTraceContext | undefined): { parent: Context; links: Link[] | undefined } {
  const extracted = propagation.extract(ROOT_CONTEXT, headers);
  if (policy !== 'restart') return { parent: extracted, links: undefined };
  const caller = trace.getSpanContext(extracted);
  return { parent: ROOT_CONTEXT, links: caller !== undefined && isSpanContextValid(caller) ? [{ context: caller }] : undefined };
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
    // No listener, nothing to run in the context: entering it would cost a context frame for nothing.
    if (context.active() === requestContext || (this as EventEmitter).listenerCount(event) === 0) return original.apply(this, args);
    return context.with(requestContext, applyEmit, undefined, original, this, args);
  };
}

function applyEmit(emit: Emit, emitter: unknown, args: ArrayLike<unknown>): boolean {
  return emit.apply(emitter, args as unknown as [string | symbol, ...unknown[]]);
}

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: boolean }).__wrapped === true;
}
