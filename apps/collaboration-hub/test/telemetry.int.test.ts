import { matchesSpan, metricPoints, renderTraceTree } from '@mcp/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan, SpanQuery } from '@mcp/otlp-receiver';
import { serviceEntry, spawnService } from '@mcp/test-kit';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REDIS_URL, WAIT_MS, connectClient, disconnected, nextEvent, postEvent, progressEvent, request, uniqueRedisKey, useReceiverAndClients } from './support/hub.harness';

// The compiled hub as production runs it (node --require the preload), exporting to an in-process
// OTLP receiver: what these tests assert is what the hub really exports.
let receiver: OtlpReceiver;
useReceiverAndClients((started) => (receiver = started));

/** A client-side trace context, as a browser or another service would send it. */
function clientContext(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

/**
 * The hub's own Socket.IO spans (@mcp/mcp-metrics). The upstream socket.io instrumentation, on in
 * this test, names its spans the same way (`send <event>`): its emit span is the child of the hub's.
 */
const hubSpan = (query: SpanQuery) => (span: ReceivedSpan) => span.scope.name === '@mcp/mcp-metrics' && matchesSpan(span, query);

describe('collaboration-hub telemetry', () => {
  it('continues client and HTTP traces through Socket.IO, records the collaboration metrics, and exports no message text, user id or secret', async () => {
    const secret = `secret-${randomUUID()}`;
    const hub = await spawnService(serviceEntry('collaboration-hub'), {
      serviceName: 'collaboration-hub',
      endpoint: receiver.url,
      env: { PORT: '0', HOST: '127.0.0.1', INTERNAL_API_SECRET: secret, REDIS_URL, REDIS_ADAPTER_KEY: uniqueRedisKey(), LOG_LEVEL: 'debug' },
    });
    const session = `s-${randomUUID()}`;
    const alice = `user-${randomUUID()}`;
    const bob = `user-${randomUUID()}`;
    const text = `canary message ${randomUUID()}`;

    // Handshake context: the connection's span continues the client's trace.
    const handshake = clientContext();
    const client = await connectClient(hub.url, { traceparent: handshake.traceparent });
    const [connection] = await receiver.waitForSpans(hubSpan({ name: 'process connection', traceId: handshake.traceId }));
    expect(connection?.parentSpanId).toBe(handshake.spanId);

    const joinContext = clientContext();
    expect(await request(client, 'session:join', { session_id: session, user_id: alice, _otel: { traceparent: joinContext.traceparent } })).toMatchObject({ ok: true });
    const other = await connectClient(hub.url);
    expect(await request(other, 'session:join', { session_id: session, user_id: bob })).toMatchObject({ ok: true });

    // (a) A client event carrying `_otel`: `process session:message` is a child of the client's span,
    // and the broadcast it causes carries that trace on to the receivers.
    const messageContext = clientContext();
    const broadcast = nextEvent<Record<string, unknown>>(other, 'session:message');
    expect(await request(client, 'session:message', { session_id: session, text, _otel: { traceparent: messageContext.traceparent } })).toEqual({ ok: true });
    const [processMessage] = await receiver.waitForSpans(hubSpan({ name: 'process session:message', traceId: messageContext.traceId }));
    expect(processMessage?.parentSpanId).toBe(messageContext.spanId);
    expect(processMessage?.kind).toBe('CONSUMER');
    expect(processMessage?.serviceName).toBe('collaboration-hub');
    expect(processMessage?.attributes).toMatchObject({ 'messaging.system.name': 'socket.io', 'messaging.destination.name': 'session:message' });
    const [sendMessage] = await receiver.waitForSpans(hubSpan({ name: 'send session:message', traceId: messageContext.traceId }));
    expect(sendMessage?.parentSpanId).toBe(processMessage?.spanId);
    const received = await broadcast;
    expect(received['text']).toBe(text);
    expect(String((received['_otel'] as Record<string, unknown>)['traceparent'])).toBe(`00-${messageContext.traceId}-${sendMessage?.spanId}-01`);
    // The join, in its own client trace.
    const [processJoin] = await receiver.waitForSpans(hubSpan({ name: 'process session:join', traceId: joinContext.traceId }));
    expect(processJoin?.parentSpanId).toBe(joinContext.spanId);

    // (b) The orchestrator's POST with a traceparent: the HTTP server span (named after the Koa
    // route) and the `send workflow:progress` span under it are in that trace, and the client's event carries it.
    const http = clientContext();
    const progress = nextEvent<Record<string, unknown>>(client, 'workflow:progress');
    const response = await postEvent(hub.url, session, progressEvent(), { 'x-internal-secret': secret, traceparent: http.traceparent });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ delivered_to: 2 });
    const [server] = await receiver.waitForSpans({ kind: 'SERVER', traceId: http.traceId });
    expect(server?.parentSpanId).toBe(http.spanId);
    expect(server).toMatchObject({ name: 'POST /internal/sessions/:id/events' });
    expect(server?.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/internal/sessions/:id/events', 'http.response.status_code': 202 });
    const [send] = await receiver.waitForSpans(hubSpan({ name: 'send workflow:progress', kind: 'PRODUCER', traceId: http.traceId }));
    const traceSpans = receiver.spans().filter((span) => span.traceId === http.traceId);
    expect(send?.parentSpanId, renderTraceTree(traceSpans)).toBe(server?.spanId);
    const event = await progress;
    const carried = String((event['_otel'] as Record<string, unknown>)['traceparent']).match(TRACEPARENT);
    expect(carried?.[1]).toBe(http.traceId);
    expect(carried?.[2]).toBe(send?.spanId);
    // The log line of the relay is correlated with the same trace.
    await receiver.waitForLogs((log) => log.body === 'workflow progress relayed' && log.traceId === http.traceId);

    // Collaboration metrics: one session started, a participant count per join, a duration when it empties.
    await request(other, 'session:leave', { session_id: session });
    await request(client, 'session:leave', { session_id: session });
    await receiver.waitForMetric('mcp_collaboration_sessions_total', { predicate: (p) => p.serviceName === 'collaboration-hub' && p.value === 1 });
    const participants = await receiver.waitForMetric('mcp_collaboration_participants', { predicate: (p) => (p.histogram?.count ?? 0) >= 2 });
    expect(participants.histogram).toMatchObject({ count: 2, sum: 3 });
    expect(participants.unit).toBe('{participant}');
    // One series, on the business meter, with no attributes (no session or user id).
    expect(new Set(metricPoints(receiver.metrics(), 'mcp_collaboration_participants').map((p) => `${p.scope.name} ${JSON.stringify(p.attributes)}`))).toEqual(
      new Set(['mcp-business-metrics {}']),
    );
    const duration = await receiver.waitForMetric('mcp_collaboration_duration_seconds', { predicate: (p) => (p.histogram?.count ?? 0) >= 1 });
    expect(duration.attributes).toEqual({});

    // Ordered shutdown: the client is disconnected, the process exits cleanly, telemetry is flushed.
    const gone = disconnected(client);
    hub.kill('SIGTERM');
    expect(await gone).toMatch(/transport close|io server disconnect/);
    expect(await hub.waitForExit(WAIT_MS * 3), hub.describe()).toEqual({ code: 0, signal: null });

    // (c) Nothing exported carries the message text, a user id or the secret.
    expect(receiver.scanFor(text)).toEqual([]);
    expect(receiver.scanFor(secret)).toEqual([]);
    expect(receiver.scanFor(alice)).toEqual([]);
    expect(receiver.scanFor(bob)).toEqual([]);
    // The session id is in the request path and (cut at 50 characters) the Redis instrumentation's
    // PUBLISH statement: never in an attribute or log of the hub's own, nor in a messaging key (the
    // preload drops the socket.io instrumentation's room list).
    const sessionHits = receiver.scanFor(session).map((hit) => hit.path);
    expect(sessionHits.every((path) => /\["(url\.path|db\.query\.text|db\.statement)"\]/.test(path)), sessionHits.join('\n')).toBe(true);

    // (d) One generation of messaging keys: the hub's own Socket.IO spans and those of the upstream
    // socket.io instrumentation (on here: this test does not take deploy/apps.json's telemetryEnv,
    // which turns it off) carry the same current keys and nothing older.
    const messagingKeys = (span: ReceivedSpan) => Object.keys(span.attributes).filter((key) => key.startsWith('messaging.')).sort();
    const messagingSpans = receiver.spans().filter((span) => messagingKeys(span).length > 0);
    expect(new Set(messagingSpans.map((span) => span.scope.name))).toEqual(new Set(['@mcp/mcp-metrics', '@opentelemetry/instrumentation-socket.io']));
    for (const span of messagingSpans) {
      expect(messagingKeys(span), `${span.scope.name}: ${span.name}`).toEqual(['messaging.destination.name', 'messaging.operation.name', 'messaging.operation.type', 'messaging.system.name']);
    }
  });
});
