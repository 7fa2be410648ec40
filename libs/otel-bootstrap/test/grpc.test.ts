import { assertParentChild, renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

const RPC = { 'rpc.system': 'grpc', 'rpc.service': 'mcp.test.Greeter', 'rpc.method': 'SayHello' };

async function startPair(label: string) {
  const receiver = await startReceiver();
  const serverService = uniqueServiceName(`${label}-server`);
  const clientService = uniqueServiceName(`${label}-client`);
  const server = await spawnFixture('grpc-server.cjs', { endpoint: receiver.url, serviceName: serverService });
  const client = await spawnFixture('grpc-client.cjs', {
    endpoint: receiver.url,
    serviceName: clientService,
    env: { GRPC_TARGET: `127.0.0.1:${server.port}` },
  });
  return { receiver, serverService, clientService, client };
}

describe('gRPC (@grpc/grpc-js), client and server in two processes', () => {
  it('is one trace: HTTP SERVER → gRPC CLIENT → gRPC SERVER in the other process, with rpc.* attributes', async () => {
    const { receiver, serverService, clientService, client } = await startPair('grpc');

    const answer = await request(`${client.url}/greet/ada`);
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ message: 'Hello, ada' });

    const http = first(await receiver.waitForSpans(isHttpServerSpan('/greet/ada')));
    const rpcServer = first(await receiver.waitForSpans({ serviceName: serverService, kind: 'SERVER', traceId: http.traceId }));
    const rpcClient = first(await receiver.waitForSpans({ serviceName: clientService, kind: 'CLIENT', traceId: http.traceId }));
    const spans = receiver.spans();

    expect(rpcClient, renderTraceTree(spans)).toMatchObject({
      name: 'grpc.mcp.test.Greeter/SayHello',
      attributes: { ...RPC, 'rpc.grpc.status_code': 0, 'server.address': '127.0.0.1' },
    });
    expect(rpcServer, renderTraceTree(spans)).toMatchObject({
      name: 'grpc.mcp.test.Greeter/SayHello',
      attributes: { ...RPC, 'rpc.grpc.status_code': 0 },
    });
    assertParentChild(spans, http, rpcClient);
    // Across processes: the server's parent is the client span, carried in the gRPC metadata.
    assertParentChild(spans, rpcClient, rpcServer);
    expect(answer.json<{ traceparent: string }>().traceparent).toBe(`00-${http.traceId}-${rpcClient.spanId}-01`);
  });

  it('records a failed call: rpc.grpc.status_code on both sides, the client span is ERROR', async () => {
    const { receiver, serverService, clientService, client } = await startPair('grpc-fail');

    expect((await request(`${client.url}/greet/fail`)).status).toBe(502);

    const http = first(await receiver.waitForSpans(isHttpServerSpan('/greet/fail')));
    const rpcClient = first(await receiver.waitForSpans({ serviceName: clientService, kind: 'CLIENT', traceId: http.traceId }));
    const rpcServer = first(await receiver.waitForSpans({ serviceName: serverService, kind: 'SERVER', traceId: http.traceId }));
    expect(rpcClient).toMatchObject({ status: { code: 'ERROR' }, attributes: { ...RPC, 'rpc.grpc.status_code': 3 } });
    expect(rpcServer).toMatchObject({ attributes: { ...RPC, 'rpc.grpc.status_code': 3 } });
    expect(http).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'http.response.status_code': 502 } });
  });
});
