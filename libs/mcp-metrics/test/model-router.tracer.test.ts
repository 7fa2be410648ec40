import { SpanKind, SpanStatusCode, ValueType, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelRouterTracer } from '../src/index';
import {
  createIsolatedMeterProvider,
  histogramPoints,
  instrumentKind,
  metricNamed,
  startOtelHarness,
  sumPoints,
} from './support/otel-test.harness';
import type { OtelHarness } from './support/otel-test.harness';

const PROMPT = 'Write a haiku about secret project Falcon';

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

let otel: OtelHarness;
let tracer: ModelRouterTracer;

beforeAll(() => {
  otel = startOtelHarness();
  tracer = new ModelRouterTracer();
});
afterAll(async () => {
  await otel.shutdown();
});
beforeEach(async () => {
  await otel.reset();
});

describe('ModelRouterTracer.traceModelInference on success', () => {
  it('records a model_inference span with the seed attributes, the prompt length and never the prompt', async () => {
    const result = await tracer.traceModelInference('stub-small', PROMPT, () => ({
      response: 'five seven five',
      tokens_used: 42,
      processing_time_ms: 120,
    }));

    expect(result.tokens_used).toBe(42);
    const [span] = otel.spans();
    expect(span?.name).toBe('model_inference');
    expect(span?.kind).toBe(SpanKind.INTERNAL);
    expect(span?.instrumentationScope.name).toBe('model-router');
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toEqual({
      'mcp.model_type': 'stub-small',
      'mcp.prompt_length': PROMPT.length,
      'mcp.operation': 'model_inference',
      'mcp.service': 'model-router',
      'mcp.inference_success': true,
      'mcp.response_length': 'five seven five'.length,
      'mcp.tokens_used': 42,
      'mcp.processing_time_ms': 120,
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'mcp_model_router',
      'gen_ai.request.model': 'stub-small',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span?.events.map((event) => [event.name, event.attributes])).toEqual([
      ['Model inference completed', { 'mcp.tokens_used': 42, 'mcp.processing_time_ms': 120 }],
    ]);
    expect(JSON.stringify(span?.attributes)).not.toContain('Falcon');
  });

  it('records the inference metrics with their units, types and bounded attributes', async () => {
    await tracer.traceModelInference('stub-medium', PROMPT, () => ({ response: 'ok', tokens_used: 7 }));
    await tracer.traceModelInference('stub-medium', PROMPT, () => ({ response: 'ok', tokens_used: 5 }));

    const collected = await otel.collect();
    const labels = { 'mcp.model_type': 'stub-medium', 'mcp.service': 'model-router' };

    const total = metricNamed(collected, 'mcp_model_inference_total');
    expect(total.scope).toBe('model-router');
    expect(total.metric.descriptor).toMatchObject({ unit: '{request}', valueType: ValueType.INT });
    expect(instrumentKind(total)).toBe('counter');
    expect(sumPoints(total)).toEqual([{ attributes: labels, value: 2 }]);

    const duration = metricNamed(collected, 'mcp_model_inference_duration_seconds');
    expect(duration.metric.descriptor.unit).toBe('s');
    expect(instrumentKind(duration)).toBe('histogram');
    expect(histogramPoints(duration)).toEqual([
      {
        attributes: labels,
        count: 2,
        boundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
        sum: expect.any(Number),
      },
    ]);

    const tokens = metricNamed(collected, 'mcp_model_token_usage_total');
    expect(tokens.metric.descriptor.unit).toBe('{token}');
    expect(sumPoints(tokens)).toEqual([{ attributes: labels, value: 12 }]);

    const active = metricNamed(collected, 'mcp_active_inferences');
    expect(active.metric.descriptor.unit).toBe('{request}');
    expect(instrumentKind(active)).toBe('updowncounter');
    expect(sumPoints(active)).toEqual([{ attributes: labels, value: 0 }]);

    expect(collected.map((entry) => entry.metric.descriptor.name)).not.toContain('mcp_model_inference_errors_total');
  });

  it('counts an inference as active while it runs', async () => {
    let release: () => void = () => undefined;
    const running = tracer.traceModelInference('stub-large', PROMPT, () => new Promise<void>((resolve) => (release = resolve)));

    const during = await otel.collect();
    expect(sumPoints(metricNamed(during, 'mcp_active_inferences'))).toEqual([
      { attributes: { 'mcp.model_type': 'stub-large', 'mcp.service': 'model-router' }, value: 1 },
    ]);

    release();
    await running;
    const after = await otel.collect();
    expect(sumPoints(metricNamed(after, 'mcp_active_inferences'))[0]?.value).toBe(-1);
  });

  it('reads usage with a custom reader and survives one that throws', async () => {
    await tracer.traceModelInference('stub-small', PROMPT, () => ({ usage: { total: 9 } }), {
      usage: (result) => ({ tokensUsed: result.usage.total, responseLength: 3 }),
    });
    await tracer.traceModelInference('stub-small', PROMPT, () => 'plain text', {
      usage: () => {
        throw new Error('bad reader');
      },
    });

    const [custom, throwing] = otel.spans();
    expect(custom?.attributes).toMatchObject({ 'mcp.tokens_used': 9, 'mcp.response_length': 3 });
    expect(throwing?.attributes).toMatchObject({ 'mcp.inference_success': true, 'mcp.tokens_used': 0 });
    expect(throwing?.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('ModelRouterTracer GenAI conventions', () => {
  const answer = { model_type: 'stub-small', response: 'five seven five', tokens_used: 12, prompt_tokens: 9, completion_tokens: 3, processing_time_ms: 5 };

  it('puts the GenAI request and response attributes on the model_inference span, never the text by default', async () => {
    await tracer.traceModelInference('stub-small', PROMPT, () => answer);

    const [span] = otel.spans();
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'mcp_model_router',
      'gen_ai.request.model': 'stub-small',
      'gen_ai.response.model': 'stub-small',
      'gen_ai.usage.input_tokens': 9,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span?.attributes).not.toHaveProperty('gen_ai.input.messages');
    expect(span?.attributes).not.toHaveProperty('gen_ai.output.messages');
    expect(JSON.stringify(span?.attributes)).not.toContain('five seven');
  });

  it('records prompt and answer as input/output messages when content capture is on, cut at 4096 characters', async () => {
    const capturing = new ModelRouterTracer({ captureMessageContent: true });
    const longPrompt = `${PROMPT} ${'p'.repeat(5000)}`;
    await capturing.traceModelInference('stub-small', longPrompt, () => answer);

    const attributes = otel.spans()[0]?.attributes ?? {};
    const input = JSON.parse(String(attributes['gen_ai.input.messages'])) as Array<{ role: string; parts: Array<{ type: string; content: string }> }>;
    expect(input).toEqual([{ role: 'user', parts: [{ type: 'text', content: longPrompt.slice(0, 4096) }] }]);
    expect(JSON.parse(String(attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'five seven five' }], finish_reason: 'stop' },
    ]);
  });

  it('records gen_ai.server.request.duration for every inference, with error.type on a failure', async () => {
    await tracer.traceModelInference('stub-small', PROMPT, () => answer);
    await expect(tracer.traceModelInference('stub-small', PROMPT, () => Promise.reject(Object.assign(new Error('down'), { code: 'UNAVAILABLE' })))).rejects.toThrow('down');

    const duration = metricNamed(await otel.collect(), 'gen_ai.server.request.duration');
    expect(duration.metric.descriptor.unit).toBe('s');
    const base = { 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'mcp_model_router', 'gen_ai.request.model': 'stub-small' };
    expect(histogramPoints(duration)).toEqual([
      { attributes: { ...base, 'gen_ai.response.model': 'stub-small' }, count: 1, boundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92], sum: expect.any(Number) },
      { attributes: { ...base, 'error.type': 'UNAVAILABLE' }, count: 1, boundaries: expect.any(Array), sum: expect.any(Number) },
    ]);
  });

  it('records time to first token and per output token only when the model loop marks its first token', async () => {
    await tracer.traceModelInference('stub-small', PROMPT, () => answer);
    let collected = await otel.collect();
    expect(collected.map((entry) => entry.metric.descriptor.name)).not.toContain('gen_ai.server.time_to_first_token');

    await tracer.traceModelInference('stub-small', PROMPT, async (_span, progress) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      progress.firstToken();
      progress.firstToken();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return answer;
    });
    collected = await otel.collect();
    const [ttft] = histogramPoints(metricNamed(collected, 'gen_ai.server.time_to_first_token'));
    const [tpot] = histogramPoints(metricNamed(collected, 'gen_ai.server.time_per_output_token'));
    const [total] = histogramPoints(metricNamed(collected, 'gen_ai.server.request.duration'));
    expect(ttft?.count).toBe(1);
    expect(ttft?.boundaries).toEqual([0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(tpot?.boundaries).toEqual([0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5]);
    // The decode time (total − first token) spread over the 2 tokens after the first.
    expect(tpot?.sum).toBeCloseTo(((total?.sum ?? 0) - (ttft?.sum ?? 0)) / 2, 6);
    expect(ttft?.sum ?? Infinity).toBeLessThan(total?.sum ?? 0);
  });
});

describe('ModelRouterTracer span kind', () => {
  it.each([
    { name: 'defaults to INTERNAL (the gRPC instrumentation makes the SERVER span)', options: {}, call: {}, kind: SpanKind.INTERNAL },
    { name: 'takes the constructor default', options: { spanKind: SpanKind.SERVER }, call: {}, kind: SpanKind.SERVER },
    { name: 'takes the per-call kind over the default', options: { spanKind: SpanKind.SERVER }, call: { kind: SpanKind.INTERNAL }, kind: SpanKind.INTERNAL },
  ])('$name', async ({ options, call, kind }) => {
    await new ModelRouterTracer(options).traceModelInference('stub-small', PROMPT, () => ({}), call);
    expect(otel.spans()[0]?.kind).toBe(kind);
  });
});

describe('ModelRouterTracer.traceModelInference on failure', () => {
  it.each([
    { name: 'an Error subclass', error: new TimeoutError('model took too long'), errorType: 'TimeoutError' },
    {
      name: 'a Node system error (code wins)',
      error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:50051'), { code: 'ECONNREFUSED' }),
      errorType: 'ECONNREFUSED',
    },
    { name: 'a thrown string', error: 'boom', errorType: '_OTHER' },
  ])('marks the span failed and counts $name under error.type', async ({ error, errorType }) => {
    await expect(
      tracer.traceModelInference('stub-small', PROMPT, async () => {
        await Promise.resolve();
        throw error;
      }),
    ).rejects.toBe(error);

    const [span] = otel.spans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe(errorType);
    expect(span?.attributes['mcp.inference_success']).toBe(false);
    expect(span?.attributes).not.toHaveProperty('mcp.error_type');
    const exception = span?.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe(error instanceof Error ? error.message : error);

    const collected = await otel.collect();
    const failed = { 'mcp.model_type': 'stub-small', 'mcp.service': 'model-router', 'error.type': errorType };
    const errors = metricNamed(collected, 'mcp_model_inference_errors_total');
    expect(errors.metric.descriptor.unit).toBe('{error}');
    expect(sumPoints(errors)).toEqual([{ attributes: failed, value: 1 }]);
    expect(sumPoints(metricNamed(collected, 'mcp_model_inference_total'))).toEqual([{ attributes: failed, value: 1 }]);
    expect(histogramPoints(metricNamed(collected, 'mcp_model_inference_duration_seconds'))[0]?.attributes).toEqual(failed);
    expect(sumPoints(metricNamed(collected, 'mcp_active_inferences'))[0]?.value).toBe(0);
    expect(collected.map((entry) => entry.metric.descriptor.name)).not.toContain('mcp_model_token_usage_total');
  });

  it('records a synchronous throw the same way', async () => {
    await expect(
      tracer.traceModelInference('stub-small', PROMPT, () => {
        throw new RangeError('bad temperature');
      }),
    ).rejects.toThrow('bad temperature');
    expect(otel.spans()[0]?.attributes['error.type']).toBe('RangeError');
  });
});

describe('ModelRouterTracer active span nesting', () => {
  it('makes model_inference the active span, under the caller span and over the spans fn starts', async () => {
    const other = trace.getTracer('test');
    await other.startActiveSpan('POST /api/route', async (outer) => {
      await tracer.traceModelInference('stub-small', PROMPT, async (span) => {
        expect(trace.getActiveSpan()).toBe(span);
        await Promise.resolve();
        other.startSpan('grpc.Route').end();
        return {};
      });
      outer.end();
    });

    const byName = new Map(otel.spans().map((span) => [span.name, span]));
    const outer = byName.get('POST /api/route');
    const inference = byName.get('model_inference');
    const child = byName.get('grpc.Route');
    expect(inference?.spanContext().traceId).toBe(outer?.spanContext().traceId);
    expect(inference?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
    expect(child?.parentSpanContext?.spanId).toBe(inference?.spanContext().spanId);
  });
});

describe('ModelRouterTracer cache counters', () => {
  it('counts hits and misses by model and marks the active span', async () => {
    const other = trace.getTracer('test');
    other.startActiveSpan('GET cached', (span) => {
      tracer.recordCacheHit('stub-small');
      span.end();
    });
    other.startActiveSpan('GET uncached', (span) => {
      tracer.recordCacheMiss('stub-small');
      span.end();
    });
    tracer.recordCacheMiss('stub-large');

    const collected = await otel.collect();
    const hits = metricNamed(collected, 'mcp_model_cache_hits_total');
    expect(hits.metric.descriptor.unit).toBe('{request}');
    expect(sumPoints(hits)).toEqual([{ attributes: { 'mcp.model_type': 'stub-small', 'mcp.service': 'model-router' }, value: 1 }]);
    expect(sumPoints(metricNamed(collected, 'mcp_model_cache_misses_total'))).toEqual([
      { attributes: { 'mcp.model_type': 'stub-small', 'mcp.service': 'model-router' }, value: 1 },
      { attributes: { 'mcp.model_type': 'stub-large', 'mcp.service': 'model-router' }, value: 1 },
    ]);
    expect(otel.spans().map((span) => [span.name, span.attributes['mcp.cache_hit']])).toEqual([
      ['GET cached', true],
      ['GET uncached', false],
    ]);
  });
});

describe('ModelRouterTracer of another service', () => {
  it("records under that service's meter scope and mcp.service (the frontend's cache counters)", async () => {
    new ModelRouterTracer({ service: 'frontend' }).recordCacheHit('stub-small');

    const hits = metricNamed(await otel.collect(), 'mcp_model_cache_hits_total');
    expect(hits.scope).toBe('frontend');
    expect(sumPoints(hits)).toEqual([{ attributes: { 'mcp.model_type': 'stub-small', 'mcp.service': 'frontend' }, value: 1 }]);
  });
});

describe('ModelRouterTracer cardinality guard', () => {
  it('folds 10 000 distinct model names into a bounded number of series', async () => {
    const bounded = new ModelRouterTracer({ maxAttributeValues: 20 });
    for (let i = 0; i < 10_000; i += 1) bounded.recordCacheMiss(`tenant-model-${i}`);
    bounded.recordCacheMiss('stub-small');

    const points = sumPoints(metricNamed(await otel.collect(), 'mcp_model_cache_misses_total'));
    // 20 first-seen names, 'other' for the remaining 9 980, and the known stub model.
    expect(points).toHaveLength(22);
    expect(points.find((point) => point.attributes['mcp.model_type'] === 'other')?.value).toBe(9_980);
    expect(points.find((point) => point.attributes['mcp.model_type'] === 'stub-small')?.value).toBe(1);
    expect(points.reduce((sum, point) => sum + point.value, 0)).toBe(10_001);
  });

  it('keeps the exact (capped) model type on the span while the metric folds it', async () => {
    const bounded = new ModelRouterTracer({ maxAttributeValues: 0 });
    const longName = 'x'.repeat(500);
    await bounded.traceModelInference(longName, PROMPT, () => ({}));

    expect(otel.spans()[0]?.attributes['mcp.model_type']).toBe('x'.repeat(64));
    const points = sumPoints(metricNamed(await otel.collect(), 'mcp_model_inference_total'));
    expect(points.map((point) => point.attributes['mcp.model_type'])).toEqual(['other']);
  });
});

describe('ModelRouterTracer with injected providers', () => {
  it('records to the meter provider it is given instead of the global one', async () => {
    const isolated = createIsolatedMeterProvider();
    new ModelRouterTracer({ meterProvider: isolated.meterProvider }).recordCacheHit('stub-small');

    expect(await isolated.metricNames()).toContain('mcp_model_cache_hits_total');
    expect((await otel.collect()).map((entry) => entry.metric.descriptor.name)).not.toContain('mcp_model_cache_hits_total');
    await isolated.shutdown();
  });
});
