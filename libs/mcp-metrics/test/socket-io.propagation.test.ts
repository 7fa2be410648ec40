import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { Server } from 'socket.io';
import type { Socket as ServerSocket } from 'socket.io';
import { io as connect } from 'socket.io-client';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  TRACE_CONTEXT_FIELD,
  emitWithContext,
  extractHandshakeContext,
  extractTraceContext,
  handlerWithContext,
  injectTraceContext,
  splitTraceContext,
  withExtractedContext,
} from '../src/index';
import type { TraceContextCarrier } from '../src/index';
import { startOtelHarness } from './support/otel-test.harness';
import type { OtelHarness } from './support/otel-test.harness';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

let otel: OtelHarness;
const testTracer = () => trace.getTracer('test');

beforeAll(() => {
  otel = startOtelHarness();
});
afterAll(async () => {
  await otel.shutdown();
});
beforeEach(async () => {
  await otel.reset();
});

function traceIdOf(carrier: TraceContextCarrier | undefined): string | undefined {
  return TRACEPARENT.exec(carrier?.traceparent ?? '')?.[1];
}

describe('injectTraceContext / extractTraceContext', () => {
  it('writes traceparent (and baggage) of the active span and reads them back', () => {
    const span = testTracer().startSpan('client op');
    const ctx = propagation.setBaggage(trace.setSpan(ROOT_CONTEXT, span), propagation.createBaggage({ tenant: { value: 'acme' } }));
    const carrier = context.with(ctx, () => injectTraceContext());
    span.end();

    expect(carrier.traceparent).toMatch(TRACEPARENT);
    expect(traceIdOf(carrier)).toBe(span.spanContext().traceId);
    expect(carrier.baggage).toBe('tenant=acme');

    const extracted = extractTraceContext(carrier, ROOT_CONTEXT);
    expect(trace.getSpanContext(extracted)).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, isRemote: true });
    expect(propagation.getBaggage(extracted)?.getEntry('tenant')?.value).toBe('acme');
  });

  it('injects nothing when no span is active', () => {
    expect(injectTraceContext()).toEqual({});
  });

  it.each([
    { name: 'undefined', carrier: undefined },
    { name: 'a string', carrier: '00-abc' },
    { name: 'an array', carrier: ['traceparent'] },
    { name: 'a malformed traceparent', carrier: { traceparent: 'not-a-traceparent' } },
    { name: 'a non-string traceparent', carrier: { traceparent: 42 } },
    { name: 'an over-long traceparent', carrier: { traceparent: `00-${'a'.repeat(9000)}` } },
  ])('returns the base context for $name', ({ carrier }) => {
    expect(extractTraceContext(carrier, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
  });

  it('runs a callback in the extracted context', () => {
    const parent = testTracer().startSpan('remote parent');
    const carrier = context.with(trace.setSpan(ROOT_CONTEXT, parent), () => injectTraceContext());
    parent.end();

    withExtractedContext(carrier, () => testTracer().startSpan('continued').end());
    const continued = otel.spans().find((span) => span.name === 'continued');
    expect(continued?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(continued?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });
});

describe('splitTraceContext', () => {
  it('removes _otel without touching the original payload', () => {
    const original = { text: 'hi', [TRACE_CONTEXT_FIELD]: { traceparent: '00-x', junk: 1 } };
    const { carrier, payload } = splitTraceContext(original);
    expect(payload).toEqual({ text: 'hi' });
    expect(carrier).toEqual({ traceparent: '00-x' });
    expect(original).toHaveProperty(TRACE_CONTEXT_FIELD);
  });

  it.each([['a string', 'hello'], ['an array', [1, 2]], ['null', null], ['an object without _otel', { a: 1 }]])(
    'passes %s through unchanged',
    (_name, value) => {
      expect(splitTraceContext(value)).toEqual({ carrier: {}, payload: value });
    },
  );
});

describe('handlerWithContext (in-process)', () => {
  it('marks the process span failed and rethrows when the handler throws', () => {
    const handler = handlerWithContext('session:leave', () => {
      throw new TypeError('bad payload');
    });
    expect(() => handler({})).toThrow('bad payload');
    const [span] = otel.spans();
    expect(span?.name).toBe('process session:leave');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('TypeError');
  });

  it('ends the span when an async handler settles and passes the rejection on', async () => {
    const handler = handlerWithContext('session:leave', async (_payload: object, ack: (ok: boolean) => void) => {
      await Promise.resolve();
      ack(false);
      throw new Error('room gone');
    });
    const acks: boolean[] = [];
    await expect(handler({}, (ok) => acks.push(ok))).rejects.toThrow('room gone');
    expect(acks).toEqual([false]);
    expect(otel.spans()[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'room gone' });
  });

  it('starts a new trace for a payload without _otel instead of joining the ambient span', () => {
    const ambient = testTracer().startSpan('connection');
    context.with(trace.setSpan(context.active(), ambient), () => handlerWithContext('ping', () => undefined)({}));
    ambient.end();
    const processed = otel.spans().find((span) => span.name === 'process ping');
    expect(processed?.parentSpanContext).toBeUndefined();
    expect(processed?.spanContext().traceId).not.toBe(ambient.spanContext().traceId);
  });

  it('takes SERVER as the span kind when asked', () => {
    handlerWithContext('rpc', () => undefined, { kind: SpanKind.SERVER })({});
    expect(otel.spans()[0]?.kind).toBe(SpanKind.SERVER);
  });
});

describe('extractHandshakeContext', () => {
  const fromAuth = '00-11111111111111111111111111111111-1111111111111111-01';
  const fromHeader = '00-22222222222222222222222222222222-2222222222222222-01';
  it.each([
    { name: 'prefers handshake.auth', handshake: { auth: { traceparent: fromAuth }, headers: { traceparent: fromHeader } }, traceId: '1'.repeat(32) },
    { name: 'falls back to the headers', handshake: { auth: {}, headers: { traceparent: fromHeader } }, traceId: '2'.repeat(32) },
    { name: 'takes the first of repeated headers', handshake: { headers: { traceparent: [fromHeader, fromAuth] } }, traceId: '2'.repeat(32) },
    { name: 'gives no parent without either', handshake: { auth: { token: 'x' }, headers: { host: 'localhost' } }, traceId: undefined },
  ])('$name', ({ handshake, traceId }) => {
    expect(trace.getSpanContext(extractHandshakeContext({ handshake }))?.traceId).toBe(traceId);
  });
});

describe('Socket.IO over a real connection', () => {
  let ioServer: Server;
  let url: string;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    const httpServer = createServer();
    ioServer = new Server(httpServer);
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
    ioServer.removeAllListeners('connection');
  });

  afterAll(async () => {
    await ioServer.close();
  });

  function openClient(auth: TraceContextCarrier = {}): ClientSocket {
    const client = connect(url, { transports: ['websocket'], auth: { ...auth }, reconnection: false, forceNew: true });
    clients.push(client);
    return client;
  }

  function nextConnection(): Promise<ServerSocket> {
    return new Promise((resolve) => ioServer.once('connection', resolve));
  }

  it('continues the client trace from the handshake auth in the connection handler', async () => {
    const connected = nextConnection();
    let clientSpan: Span | undefined;
    testTracer().startActiveSpan('client connect', (span) => {
      clientSpan = span;
      openClient(injectTraceContext());
      span.end();
    });

    const socket = await connected;
    const ctx = extractHandshakeContext(socket);
    expect(trace.getSpanContext(ctx)?.traceId).toBe(clientSpan?.spanContext().traceId);
    expect(trace.getSpanContext(ctx)?.spanId).toBe(clientSpan?.spanContext().spanId);
  });

  it('carries a client span into the server handler and the server reply back to the client', async () => {
    const received: unknown[] = [];
    const rawReplies: unknown[] = [];
    const connected = nextConnection();
    const client = openClient();
    const server = await connected;
    if (!client.connected) await new Promise((resolve) => client.once('connect', () => resolve(undefined)));

    server.on(
      'session:join',
      handlerWithContext('session:join', (payload: { sessionId: string }, ack: (reply: { ok: boolean }) => void) => {
        received.push(payload);
        // The reply is caused by the join, so it carries the join's trace back.
        emitWithContext(server, 'session:joined', { sessionId: payload.sessionId, participants: 2 });
        ack({ ok: true });
      }),
    );
    client.on('session:joined', (raw: unknown) => rawReplies.push(raw));
    const replied = new Promise<unknown>((resolve) => {
      client.on('session:joined', handlerWithContext('session:joined', (payload: unknown) => resolve(payload)));
    });

    let clientSpan: Span | undefined;
    const acked = new Promise<unknown>((resolve) => {
      testTracer().startActiveSpan('user clicks join', (span) => {
        clientSpan = span;
        emitWithContext(client, 'session:join', { sessionId: 's-1' }, resolve);
        span.end();
      });
    });

    expect(await acked).toEqual({ ok: true });
    expect(await replied).toEqual({ sessionId: 's-1', participants: 2 });
    expect(received).toEqual([{ sessionId: 's-1' }]);

    const traceId = clientSpan?.spanContext().traceId;
    const byName = new Map(otel.spans().map((span) => [span.name, span]));
    const send = byName.get('send session:join');
    const process = byName.get('process session:join');
    const reply = byName.get('send session:joined');
    const processReply = byName.get('process session:joined');

    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.attributes).toEqual({
      'messaging.system.name': 'socket.io',
      'messaging.destination.name': 'session:join',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
    });
    expect(process?.spanContext().traceId).toBe(traceId);
    expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(reply?.parentSpanContext?.spanId).toBe(process?.spanContext().spanId);
    expect(processReply?.parentSpanContext?.spanId).toBe(reply?.spanContext().spanId);
    expect(processReply?.spanContext().traceId).toBe(traceId);

    const [raw] = rawReplies as { _otel?: TraceContextCarrier }[];
    expect(traceIdOf(raw?._otel)).toBe(traceId);
  });

  it('carries context on broadcasts to a room', async () => {
    const connected = nextConnection();
    const client = openClient();
    const server = await connected;
    if (!client.connected) await new Promise((resolve) => client.once('connect', () => resolve(undefined)));
    await server.join('room-1');

    const progress = new Promise<{ _otel?: TraceContextCarrier }>((resolve) => client.on('workflow:progress', resolve));
    let cause: Span | undefined;
    testTracer().startActiveSpan('POST /internal/sessions/room-1/events', (span) => {
      cause = span;
      emitWithContext(ioServer.to('room-1'), 'workflow:progress', { step: 1 });
      span.end();
    });

    const raw = await progress;
    expect(traceIdOf(raw._otel)).toBe(cause?.spanContext().traceId);
  });
});
