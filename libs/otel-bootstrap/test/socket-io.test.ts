import { assertParentChild, renderTraceTree } from '@mcp/otlp-receiver';
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

describe('Socket.IO 4 server with a socket.io-client', () => {
  it('exports a CONSUMER span per received event and a PRODUCER span for the broadcast, inside the receive', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('socketio');
    const server = await spawnFixture('socketio-server.cjs', { endpoint: receiver.url, serviceName });

    const socket = await connect(server.url);
    const echoed = new Promise<unknown>((resolve) => socket.once('chat:echo', resolve));
    expect(await socket.timeout(5_000).emitWithAck('session:join', 'room-1')).toEqual({ joined: 'room-1' });
    expect(await socket.timeout(5_000).emitWithAck('chat:message', { sessionId: 'room-1', text: 'hello' })).toEqual({ ok: true });
    expect(await echoed).toEqual({ text: 'hello' });

    const eventSpan = (event: string, kind: 'CONSUMER' | 'PRODUCER') => ({
      serviceName,
      kind,
      attributes: { 'messaging.system': 'socket.io', 'messaging.socket.io.event_name': event },
    });
    const connection = first(await receiver.waitForSpans(eventSpan('connection', 'CONSUMER')));
    const join = first(await receiver.waitForSpans(eventSpan('session:join', 'CONSUMER')));
    const message = first(await receiver.waitForSpans(eventSpan('chat:message', 'CONSUMER')));
    const broadcast = first(await receiver.waitForSpans(eventSpan('chat:echo', 'PRODUCER')));
    const spans = spansOf(receiver, serviceName);

    expect(connection.attributes).toMatchObject({ 'messaging.destination': '/' });
    expect(join.name).toMatch(/receive/);
    expect(broadcast.attributes, renderTraceTree(spans)).toMatchObject({
      'messaging.socket.io.namespace': '/',
      'messaging.socket.io.rooms': ['session:room-1'],
    });
    // The broadcast happens in the handler of chat:message, so it is that receive's child.
    assertParentChild(spans, message, broadcast);
  });
});
