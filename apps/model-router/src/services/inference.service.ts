import type { ModelInfo, RouteChunk, RouteResponse } from '@mcp/contracts';
import { cancellableDelay } from './latency.util.js';
import { ModelRouterError } from './model-router.errors.js';
import type { ModelRegistry, StubModelProfile } from './model-registry.js';
import { generateResponse } from './response-generator.js';
import { seededRandom } from './seeded-random.util.js';
import { countTokens } from './tokenizer.util.js';

/** How the stub models behave in this process (from the environment, see config.ts). */
export interface InferenceSettings {
  /** Multiplies each model's latency profile; 0 answers at once. */
  latencyScale: number;
  /** Added before the first token of every inference, in ms. */
  extraLatencyMs: number;
  /** Share of inferences that fail with UNAVAILABLE, in [0, 1]. */
  failureRate: number;
  /** Seed of the failure draws. */
  failureSeed: number;
}

/** Everything about one inference that follows from model and prompt alone: deterministic. */
export interface InferencePlan {
  readonly model: StubModelProfile;
  readonly response: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly tokensUsed: number;
  readonly costUsd: number;
  /** Time to the first token, in ms (scaled, plus the extra latency). */
  readonly firstTokenDelayMs: number;
  /** Time per completion token, in ms (scaled). */
  readonly perTokenDelayMs: number;
}

/** Words per streamed chunk. */
const CHUNK_WORDS = 3;

/** Cost in USD of `tokens` at `per1k` USD per 1000 tokens, rounded to 10 decimals (no float noise). */
export function costOf(tokens: number, per1k: number): number {
  return Math.round(((tokens * per1k) / 1000) * 1e10) / 1e10;
}

function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/**
 * The stub models at work: resolve and check a request, plan the deterministic answer, and play it
 * out with the model's latency, cancellable at any point through an AbortSignal. Knows nothing of gRPC.
 */
export class InferenceService {
  private readonly nextDraw: () => number;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly settings: InferenceSettings,
  ) {
    this.nextDraw = seededRandom(settings.failureSeed);
  }

  /** The models as ListModels reports them; `typical_latency_ms` is for a median-length answer. */
  listModels(): ModelInfo[] {
    return this.registry.list().map((model) => {
      const typicalTokens = 15 + 14 * ((model.answerSentences[0] + model.answerSentences[1]) / 2);
      return {
        name: model.name,
        description: model.description,
        cost_per_1k_tokens_usd: model.costPer1kTokensUsd,
        typical_latency_ms: Math.round(this.firstTokenDelay(model) + model.perTokenLatencyMs * this.settings.latencyScale * typicalTokens),
        max_prompt_chars: model.maxPromptChars,
      };
    });
  }

  /** The model named `modelType`, or NOT_FOUND listing the known ones. */
  resolveModel(modelType: string): StubModelProfile {
    const model = this.registry.get(modelType);
    if (!model) {
      throw new ModelRouterError('NOT_FOUND', `model_type: unknown model "${modelType}"; known models: ${this.registry.names().join(', ')}`);
    }
    return model;
  }

  /** INVALID_ARGUMENT when the prompt is longer than this model takes. */
  checkPrompt(model: StubModelProfile, prompt: string): void {
    if (prompt.length > model.maxPromptChars) {
      throw new ModelRouterError('INVALID_ARGUMENT', `prompt: must be at most ${model.maxPromptChars} characters for ${model.name} (got ${prompt.length})`);
    }
  }

  /** The answer, its token counts and cost, and its timing; the same for the same model and prompt. */
  plan(model: StubModelProfile, prompt: string): InferencePlan {
    const response = generateResponse(model, prompt);
    const promptTokens = countTokens(prompt);
    const completionTokens = countTokens(response);
    const tokensUsed = promptTokens + completionTokens;
    return {
      model,
      response,
      promptTokens,
      completionTokens,
      tokensUsed,
      costUsd: costOf(tokensUsed, model.costPer1kTokensUsd),
      firstTokenDelayMs: this.firstTokenDelay(model),
      perTokenDelayMs: model.perTokenLatencyMs * this.settings.latencyScale,
    };
  }

  /** Plays the plan out as one answer: first-token delay, then the time of every completion token. */
  async infer(plan: InferencePlan, signal: AbortSignal): Promise<RouteResponse> {
    const start = performance.now();
    await this.beginOrFail(plan, signal);
    await cancellableDelay(plan.perTokenDelayMs * plan.completionTokens, signal);
    return {
      model_type: plan.model.name,
      response: plan.response,
      tokens_used: plan.tokensUsed,
      prompt_tokens: plan.promptTokens,
      completion_tokens: plan.completionTokens,
      processing_time_ms: elapsedMs(start),
      cost_usd: plan.costUsd,
    };
  }

  /**
   * Plays the plan out as chunks of a few words, each after the time of its tokens; their texts
   * concatenate to the unary answer. The last chunk has `done` and the totals.
   */
  async *stream(plan: InferencePlan, signal: AbortSignal): AsyncGenerator<RouteChunk> {
    const start = performance.now();
    await this.beginOrFail(plan, signal);
    const words = plan.response.match(/\S+\s*/g) ?? [plan.response];
    const chunkCount = Math.ceil(words.length / CHUNK_WORDS);
    for (let index = 0; index < chunkCount; index += 1) {
      const text = words.slice(index * CHUNK_WORDS, (index + 1) * CHUNK_WORDS).join('');
      await cancellableDelay(plan.perTokenDelayMs * countTokens(text), signal);
      const done = index === chunkCount - 1;
      yield done
        ? { text, index, done, tokens_used: plan.tokensUsed, cost_usd: plan.costUsd, processing_time_ms: elapsedMs(start) }
        : { text, index, done, tokens_used: 0, cost_usd: 0, processing_time_ms: 0 };
    }
  }

  private firstTokenDelay(model: StubModelProfile): number {
    return model.baseLatencyMs * this.settings.latencyScale + this.settings.extraLatencyMs;
  }

  /**
   * The time to the first token; an injected failure takes that time too, as a backend that
   * accepted the request and then gave up would. The draw happens up front, so the sequence of
   * failures depends only on the seed and the order of calls.
   */
  private async beginOrFail(plan: InferencePlan, signal: AbortSignal): Promise<void> {
    const fails = this.settings.failureRate > 0 && this.nextDraw() < this.settings.failureRate;
    await cancellableDelay(plan.firstTokenDelayMs, signal);
    if (fails) {
      throw new ModelRouterError('UNAVAILABLE', `model ${plan.model.name} is unavailable (injected failure, MODEL_FAILURE_RATE=${this.settings.failureRate}); retry later`);
    }
  }
}
