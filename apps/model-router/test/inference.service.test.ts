import { LIMITS } from '@mcp/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InferenceService, costOf } from '../src/services/inference.service.js';
import { ModelRouterError } from '../src/services/model-router.errors.js';
import { STUB_MODELS, createModelRegistry } from '../src/services/model-registry.js';
import type { StubModelProfile } from '../src/services/model-registry.js';
import { countTokens, tokenize } from '../src/services/tokenizer.util.js';

const instant = { latencyScale: 0, extraLatencyMs: 0, failureRate: 0, failureSeed: 1 };
const service = (settings = instant) => new InferenceService(createModelRegistry(), settings);
const never = new AbortController().signal;
const [small, medium, large] = STUB_MODELS as [StubModelProfile, StubModelProfile, StubModelProfile];

describe('tokenizer', () => {
  it.each([
    ['Hello, world!', ['Hello', ',', 'world', '!']],
    ['  spaced   out  ', ['spaced', 'out']],
    ['snake_case and 42-step', ['snake_case', 'and', '42', '-', 'step']],
    ['naïve café', ['naïve', 'café']],
    ['', []],
  ])('tokenize(%j)', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
    expect(countTokens(text)).toBe(tokens.length);
  });
});

describe('stub models', () => {
  it('has stub-small, stub-medium and stub-large, cheapest and fastest first, none above the contracts limit', () => {
    expect(STUB_MODELS.map((m) => m.name)).toEqual(['stub-small', 'stub-medium', 'stub-large']);
    for (const model of STUB_MODELS) expect(model.maxPromptChars).toBeLessThanOrEqual(LIMITS.promptChars);
    const prices = STUB_MODELS.map((m) => m.costPer1kTokensUsd);
    expect([...prices].sort((a, b) => a - b)).toEqual(prices);
  });

  it('plans are deterministic, add up, cost tokens × price, and never echo the prompt', () => {
    const router = service();
    fc.assert(
      fc.property(fc.constantFrom(...STUB_MODELS), fc.string({ minLength: 1, maxLength: 400 }), (model, prompt) => {
        const plan = router.plan(model, prompt);
        expect(service().plan(model, prompt)).toEqual(plan);
        expect(plan.promptTokens).toBe(countTokens(prompt));
        expect(plan.completionTokens).toBe(countTokens(plan.response));
        expect(plan.tokensUsed).toBe(plan.promptTokens + plan.completionTokens);
        expect(plan.costUsd).toBeCloseTo((plan.tokensUsed * model.costPer1kTokensUsd) / 1000, 10);
        if (prompt.trim().length >= 12) expect(plan.response).not.toContain(prompt);
      }),
      { numRuns: 200 },
    );
  });

  it('answers differ by model and by prompt', () => {
    const router = service();
    expect(router.plan(small, 'one prompt').response).not.toBe(router.plan(medium, 'one prompt').response);
    expect(router.plan(small, 'one prompt').response).not.toBe(router.plan(small, 'another prompt').response);
  });

  it('rounds cost to 10 decimals', () => {
    expect(costOf(3, 0.0005)).toBe(0.0000015);
    expect(costOf(1000, 0.01)).toBe(0.01);
  });

  it('scales latency: first token = base × scale + extra, per token = per-token × scale', () => {
    const model = large;
    const plan = service({ ...instant, latencyScale: 2, extraLatencyMs: 7 }).plan(model, 'x');
    expect(plan.firstTokenDelayMs).toBe(model.baseLatencyMs * 2 + 7);
    expect(plan.perTokenDelayMs).toBe(model.perTokenLatencyMs * 2);
  });

  it('streams chunks that concatenate to the answer, totals on the last one only', async () => {
    const router = service();
    const plan = router.plan(large, 'Tell me about streams.');
    const chunks = [];
    for await (const chunk of router.stream(plan, never)) chunks.push(chunk);
    expect(chunks.map((c) => c.text).join('')).toBe(plan.response);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    expect(chunks.filter((c) => c.done)).toEqual([chunks.at(-1)]);
    expect(chunks.at(-1)).toMatchObject({ tokens_used: plan.tokensUsed, cost_usd: plan.costUsd });
  });

  it('stops waiting at once when the signal aborts, rejecting with its reason', async () => {
    const router = service({ ...instant, extraLatencyMs: 60_000 });
    const controller = new AbortController();
    const pending = router.infer(router.plan(small, 'x'), controller.signal);
    const reason = new ModelRouterError('CANCELLED', 'gone');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('NOT_FOUND names the unknown model and lists the known ones; a prompt over the model limit is INVALID_ARGUMENT', () => {
    const router = service();
    expect(() => router.resolveModel('gpt-9')).toThrow(/unknown model "gpt-9"; known models: stub-small, stub-medium, stub-large/);
    expect(() => router.checkPrompt(small, 'x'.repeat(small.maxPromptChars + 1))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^prompt: must be at most 4096 characters/) }),
    );
  });

  it('injects failures from a seeded sequence: rate 0 never, 1 always, the same seed the same calls', async () => {
    const outcomes = async (failureRate: number, failureSeed: number) => {
      const router = service({ ...instant, failureRate, failureSeed });
      const plan = router.plan(small, 'x');
      const results: boolean[] = [];
      for (let i = 0; i < 16; i += 1) results.push(await router.infer(plan, never).then(() => true, () => false));
      return results;
    };
    expect(await outcomes(0, 1)).not.toContain(false);
    expect(await outcomes(1, 1)).not.toContain(true);
    const half = await outcomes(0.5, 7);
    expect(half).toContain(true);
    expect(half).toContain(false);
    expect(await outcomes(0.5, 7)).toEqual(half);
  });
});
