import { assertParentChild, renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

// The stable RPC conventions (semantic conventions 1.45); the preload rewrites what the instrumentation writes.
const RPC = { 'rpc.system.name': 'grpc', 'rpc.method': 'mcp.test.Greeter/SayHello' };
const OLD_RPC_KEYS = ['rpc.system', 'rpc.service', 'rpc.grpc.status_code'];

async function startPair(label: string, env: Record<string, string> = {}) {
  const receiver = await startReceiver();
  const serverService = uniqueServiceName(`${label}-server`);
  const clientService = uniqueServiceName(`${label}-client`);
  const server = await spawnFixture('grpc-server.cjs', { endpoint: receiver.url, serviceName: serverService, env });
  const client = await spawnFixture('grpc-client.cjs', {
    endpoint: receiver.url,
    serviceName: clientService,
    env: { GRPC_TARGET: `127.0.0.1:${server.port}`, ...env },
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
      attributes: { ...RPC, 'rpc.status_code': 'OK', 'server.address': '127.0.0.1' },
    });
    expect(rpcServer, renderTraceTree(spans)).toMatchObject({
      name: 'grpc.mcp.test.Greeter/SayHello',
      attributes: { ...RPC, 'rpc.status_code': 'OK' },
    });
    for (const span of [rpcClient, rpcServer]) {
      expect(Object.keys(span.attributes).filter((key) => OLD_RPC_KEYS.includes(key) || key.startsWith('grpc.'))).toEqual([]);
      expect(span.attributes).not.toHaveProperty('error.type');
    }
    assertParentChild(spans, http, rpcClient);
    // Across processes: the server's parent is the client span, carried in the gRPC metadata.
    assertParentChild(spans, rpcClient, rpcServer);
    expect(answer.json<{ traceparent: string }>().traceparent).toBe(`00-${http.traceId}-${rpcClient.spanId}-01`);
  });

  it('records a failed call: rpc.status_code on both sides, error.type where the code is a failure of that side', async () => {
    const { receiver, serverService, clientService, client } = await startPair('grpc-fail');

    expect((await request(`${client.url}/greet/fail`)).status).toBe(502);

    const http = first(await receiver.waitForSpans(isHttpServerSpan('/greet/fail')));
    const rpcClient = first(await receiver.waitForSpans({ serviceName: clientService, kind: 'CLIENT', traceId: http.traceId }));
    const rpcServer = first(await receiver.waitForSpans({ serviceName: serverService, kind: 'SERVER', traceId: http.traceId }));
    expect(rpcClient).toMatchObject({ status: { code: 'ERROR' }, attributes: { ...RPC, 'rpc.status_code': 'INVALID_ARGUMENT', 'error.type': 'INVALID_ARGUMENT' } });
    // INVALID_ARGUMENT is the caller's mistake: not a failure of the server.
    expect(rpcServer).toMatchObject({ attributes: { ...RPC, 'rpc.status_code': 'INVALID_ARGUMENT' } });
    expect(rpcServer.attributes).not.toHaveProperty('error.type');
    // The upstream instrumentation's error name and message (no convention; the message can quote a request) are removed.
    expect(Object.keys(rpcClient.attributes).filter((key) => key.startsWith('grpc.'))).toEqual([]);
    expect(http).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'http.response.status_code': 502 } });
  });

  it('OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup: the pre-stable keys too, for dashboards being migrated', async () => {
    const { receiver, serverService, clientService, client } = await startPair('grpc-dup', { OTEL_SEMCONV_STABILITY_OPT_IN: 'http,rpc/dup' });

    expect((await request(`${client.url}/greet/grace`)).status).toBe(200);
    const http = first(await receiver.waitForSpans(isHttpServerSpan('/greet/grace')));
    for (const [serviceName, kind] of [[clientService, 'CLIENT'], [serverService, 'SERVER']] as const) {
      const span = first(await receiver.waitForSpans({ serviceName, kind, traceId: http.traceId }));
      // RPC's fully-qualified `rpc.method`: one key in both generations, so the old short value (`SayHello`) is not restored.
      expect(span.attributes).toMatchObject({
        ...RPC,
        'rpc.status_code': 'OK',
        'rpc.system': 'grpc',
        'rpc.service': 'mcp.test.Greeter',
        'rpc.grpc.status_code': 0,
      });
    }
  });
});
