import { assertParentChild, renderTraceTree, type ReceivedSpan } from '@mcp/otlp-receiver';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { first, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

function connect(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, timeout: 5_000 });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** The messaging keys of the current conventions: all a Socket.IO span carries, as the hub's own (@mcp/mcp-metrics). */
const CURRENT_KEYS = ['messaging.destination.name', 'messaging.operation.name', 'messaging.operation.type', 'messaging.system.name'];

/** A span's `messaging.*` attributes. */
function messagingOf(span: ReceivedSpan): Record<string, unknown> {
  return Object.fromEntries(Object.entries(span.attributes).filter(([key]) => key.startsWith('messaging.')));
}

/** Starts the fixture server, joins room-1 and sends a message there, which the server broadcasts back. */
async function chat(env: Record<string, string> = {}) {
  const receiver = await startReceiver();
  const serviceName = uniqueServiceName('socketio');
  const server = await spawnFixture('socketio-server.cjs', { endpoint: receiver.url, serviceName, env });

  const socket = await connect(server.url);
  const echoed = new Promise<unknown>((resolve) => socket.once('chat:echo', resolve));
  expect(await socket.timeout(5_000).emitWithAck('session:join', 'room-1')).toEqual({ joined: 'room-1' });
  expect(await socket.timeout(5_000).emitWithAck('chat:message', { sessionId: 'room-1', text: 'hello' })).toEqual({ ok: true });
  expect(await echoed).toEqual({ text: 'hello' });
  return { receiver, serviceName };
}

describe('Socket.IO 4 server with a socket.io-client', () => {
  it('exports a CONSUMER span per received event and a PRODUCER span for the broadcast, inside the receive, in the current messaging conventions', async () => {
    const { receiver, serviceName } = await chat();
    // What the upstream instrumentation writes (`messaging.system`, the namespace as `messaging.destination`,
    // `messaging.socket.io.*`, spans `receive /` and `send /`) arrives as the hub's own spans have it.
    const eventSpan = (operation: 'process' | 'send', event: string) => ({
      serviceName,
      name: `${operation} ${event}`,
      kind: operation === 'send' ? ('PRODUCER' as const) : ('CONSUMER' as const),
      attributes: { 'messaging.system.name': 'socket.io', 'messaging.destination.name': event, 'messaging.operation.type': operation, 'messaging.operation.name': operation },
    });
    first(await receiver.waitForSpans(eventSpan('process', 'connection')));
    first(await receiver.waitForSpans(eventSpan('process', 'session:join')));
    const message = first(await receiver.waitForSpans(eventSpan('process', 'chat:message')));
    const broadcast = first(await receiver.waitForSpans(eventSpan('send', 'chat:echo')));
    const spans = spansOf(receiver, serviceName);

    // One generation of keys: no old messaging key, no socket.io-specific one (the rooms name sessions), on any span.
    const messagingSpans = spans.filter((span) => Object.keys(messagingOf(span)).length > 0);
    expect(messagingSpans.length, renderTraceTree(spans)).toBeGreaterThanOrEqual(4);
    for (const span of messagingSpans) expect(Object.keys(messagingOf(span)).sort(), span.name).toEqual(CURRENT_KEYS);
    // The broadcast happens in the handler of chat:message, so it is that receive's child.
    assertParentChild(spans, message, broadcast);
  });

  it('OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup: the upstream keys too, for dashboards being migrated', async () => {
    const { receiver, serviceName } = await chat({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http,messaging/dup' });
    const broadcast = first(await receiver.waitForSpans({ serviceName, name: 'send chat:echo', kind: 'PRODUCER' }));
    expect(messagingOf(broadcast)).toEqual({
      'messaging.system.name': 'socket.io',
      'messaging.destination.name': 'chat:echo',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.system': 'socket.io',
      'messaging.destination': '/',
      'messaging.destination_kind': 'topic',
      'messaging.socket.io.event_name': 'chat:echo',
      'messaging.socket.io.namespace': '/',
      'messaging.socket.io.rooms': ['session:room-1'],
    });
    const join = first(await receiver.waitForSpans({ serviceName, name: 'process session:join', kind: 'CONSUMER' }));
    expect(join.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.operation': 'receive', 'messaging.socket.io.event_name': 'session:join' });
  });
});
