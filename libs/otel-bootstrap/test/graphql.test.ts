import { assertParentChild, renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('GraphQL 16 (graphql-http on Express 5)', () => {
  it('exports parse, validate, execute and the non-trivial resolvers only; variable values stay out', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('graphql');
    const app = await spawnFixture('graphql-app.cjs', { endpoint: receiver.url, serviceName });
    const canary = `author-canary-${Date.now()}`;

    const answer = await request(`${app.url}/graphql`, {
      json: {
        query: 'query AuthorWithBooks($id: ID!) { author(id: $id) { id name books { title year } } }',
        variables: { id: canary },
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ data: { author: { id: canary, books: [{ year: 1843 }, { year: 1842 }] } } });

    const http = first(await receiver.waitForSpans(isHttpServerSpan('/graphql')));
    const execute = first(await receiver.waitForSpans({ serviceName, traceId: http.traceId, name: 'query AuthorWithBooks' }));
    await receiver.waitForSpans({ serviceName, traceId: http.traceId, name: 'graphql.resolve author.books' });
    const trace = spansOf(receiver, serviceName).filter((span) => span.traceId === http.traceId);
    const names = trace.map((span) => span.name);
    const tree = renderTraceTree(trace);

    expect(http.attributes).toMatchObject({ 'http.route': '/graphql', 'http.request.method': 'POST' });
    expect(names, tree).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'query AuthorWithBooks', 'graphql.resolve author', 'graphql.resolve author.books']));
    expect(execute.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'AuthorWithBooks' });
    // id, name, title and year are property reads: no span for any of them.
    expect(names.filter((name) => name.startsWith('graphql.resolve')).sort(), tree).toEqual(['graphql.resolve author', 'graphql.resolve author.books']);
    assertParentChild(trace, execute, { name: 'graphql.resolve author' });
    assertParentChild(trace, { name: 'graphql.resolve author' }, { name: 'graphql.resolve author.books' });
    expect(receiver.scanFor(canary)).toEqual([]);
  });
});
