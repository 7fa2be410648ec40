import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelClientTracer } from '../src/index';
import { histogramPoints, metricNamed, startOtelHarness } from './support/otel-test.harness';
import type { OtelHarness } from './support/otel-test.harness';

const PROMPT = 'Summarise the secret plan Heron';
const ANSWER = { model_type: 'stub-small', response: 'A short summary.', tokens_used: 11, prompt_tokens: 7, completion_tokens: 4, processing_time_ms: 3 };

let otel: OtelHarness;
let client: ModelClientTracer;

beforeAll(() => {
  otel = startOtelHarness();
  client = new ModelClientTracer({ serverAddress: '127.0.0.1:50051', errorType: (error) => (error as { grpcName?: string }).grpcName });
});
afterAll(async () => {
  await otel.shutdown();
});
beforeEach(async () => {
  await otel.reset();
});

describe('ModelClientTracer.traceCompletion', () => {
  it('wraps the call in a CLIENT span "text_completion <model>" with the GenAI attributes, the transport span under it', async () => {
    const result = await client.traceCompletion('stub-small', PROMPT, async () => {
      trace.getTracer('test').startSpan('grpc.Route').end();
      return ANSWER;
    });

    expect(result).toBe(ANSWER);
    const byName = new Map(otel.spans().map((span) => [span.name, span]));
    const span = byName.get('text_completion stub-small');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toEqual({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'mcp_model_router',
      'gen_ai.request.model': 'stub-small',
      'gen_ai.response.model': 'stub-small',
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.response.finish_reasons': ['stop'],
      'server.address': '127.0.0.1',
      'server.port': 50051,
    });
    expect(byName.get('grpc.Route')?.parentSpanContext?.spanId).toBe(span?.spanContext().spanId);
    expect(JSON.stringify(otel.spans().map((s) => s.attributes))).not.toContain('Heron');
  });

  it('records gen_ai.client.operation.duration and gen_ai.client.token.usage by token type, with the advised buckets', async () => {
    await client.traceCompletion('stub-small', PROMPT, () => Promise.resolve(ANSWER));
    await client.traceCompletion('stub-small', PROMPT, () => Promise.resolve(ANSWER));

    const collected = await otel.collect();
    const attributes = {
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'mcp_model_router',
      'gen_ai.request.model': 'stub-small',
      'gen_ai.response.model': 'stub-small',
      'server.address': '127.0.0.1',
      'server.port': 50051,
    };
    const duration = metricNamed(collected, 'gen_ai.client.operation.duration');
    expect(duration.metric.descriptor.unit).toBe('s');
    expect(histogramPoints(duration)).toEqual([
      { attributes, count: 2, boundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92], sum: expect.any(Number) },
    ]);
    const tokens = metricNamed(collected, 'gen_ai.client.token.usage');
    expect(tokens.metric.descriptor.unit).toBe('{token}');
    expect(histogramPoints(tokens).map((p) => [p.attributes['gen_ai.token.type'], p.count, p.sum])).toEqual([
      ['input', 2, 14],
      ['output', 2, 8],
    ]);
    expect(histogramPoints(tokens)[0]?.boundaries).toEqual([1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]);
  });

  it('marks a failed call with the error type the service names, and records no tokens', async () => {
    const failure = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { grpcName: 'UNAVAILABLE' });
    await expect(client.traceCompletion('stub-small', PROMPT, () => Promise.reject(failure))).rejects.toBe(failure);

    const [span] = otel.spans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('UNAVAILABLE');
    const collected = await otel.collect();
    expect(histogramPoints(metricNamed(collected, 'gen_ai.client.operation.duration'))[0]?.attributes['error.type']).toBe('UNAVAILABLE');
    expect(collected.map((entry) => entry.metric.descriptor.name)).not.toContain('gen_ai.client.token.usage');
  });

  it.each([
    { name: 'an error the reader does not know', error: new Error('x'), expected: '_OTHER' },
    { name: 'a reader that throws', error: { get grpcName(): string { throw new Error('bad'); } }, expected: '_OTHER' },
  ])('falls back to _OTHER for $name', async ({ error, expected }) => {
    await expect(client.traceCompletion('stub-small', PROMPT, () => Promise.reject(error))).rejects.toBe(error);
    expect(otel.spans()[0]?.attributes['error.type']).toBe(expected);
  });

  it('counts a failed call to a model no server has answered for under "other", never under the invented name', async () => {
    const failure = Object.assign(new Error('5 NOT_FOUND'), { grpcName: 'NOT_FOUND' });
    for (let i = 0; i < 20; i += 1) await expect(client.traceCompletion(`invented-${i}`, PROMPT, () => Promise.reject(failure))).rejects.toBe(failure);
    await expect(client.traceCompletion('stub-large', PROMPT, () => Promise.reject(failure))).rejects.toBe(failure);

    const points = histogramPoints(metricNamed(await otel.collect(), 'gen_ai.client.operation.duration'));
    expect(points.map((p) => [p.attributes['gen_ai.request.model'], p.count])).toEqual([
      ['other', 20],
      ['stub-large', 1],
    ]);
    // The span still names what was asked for (capped): spans are per request.
    expect(otel.spans()[0]?.attributes['gen_ai.request.model']).toBe('invented-0');
  });

  it('records the prompt and answer only when content capture is on', async () => {
    const capturing = new ModelClientTracer({ captureMessageContent: true });
    await capturing.traceCompletion('stub-small', PROMPT, () => Promise.resolve(ANSWER));

    const attributes = otel.spans()[0]?.attributes ?? {};
    expect(JSON.parse(String(attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]);
    expect(JSON.parse(String(attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'A short summary.' }], finish_reason: 'stop' },
    ]);
  });
});
