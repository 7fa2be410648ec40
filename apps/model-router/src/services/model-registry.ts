/**
 * A stub model: how long it takes, what it costs, how long a prompt it takes and how much it says.
 * Latencies are before `MODEL_LATENCY_SCALE`; they are kept small so tests and demos stay quick.
 */
export interface StubModelProfile {
  /** The `model_type` callers ask for. */
  readonly name: string;
  readonly description: string;
  /** Time to the first token, in ms. */
  readonly baseLatencyMs: number;
  /** Time per completion token after the first, in ms. */
  readonly perTokenLatencyMs: number;
  /** Longest prompt the model accepts, in characters (never above the contracts' LIMITS.promptChars). */
  readonly maxPromptChars: number;
  /** Price of 1000 tokens (prompt + completion), in USD. */
  readonly costPer1kTokensUsd: number;
  /** How many sentences an answer has: a deterministic pick in [min, max] per prompt. */
  readonly answerSentences: readonly [min: number, max: number];
}

/** The models of DESIGN.md: a cheap fast one, a middle one and an expensive slow one. */
export const STUB_MODELS: readonly StubModelProfile[] = [
  {
    name: 'stub-small',
    description: 'Small, fast and cheap stub model: short answers',
    baseLatencyMs: 10,
    perTokenLatencyMs: 0.2,
    maxPromptChars: 4_096,
    costPer1kTokensUsd: 0.0005,
    answerSentences: [1, 2],
  },
  {
    name: 'stub-medium',
    description: 'Balanced stub model: answers of a few sentences',
    baseLatencyMs: 25,
    perTokenLatencyMs: 0.5,
    maxPromptChars: 16_384,
    costPer1kTokensUsd: 0.002,
    answerSentences: [2, 4],
  },
  {
    name: 'stub-large',
    description: 'Large, slow and expensive stub model: long answers',
    baseLatencyMs: 60,
    perTokenLatencyMs: 1,
    maxPromptChars: 32_768,
    costPer1kTokensUsd: 0.01,
    answerSentences: [4, 7],
  },
];

/** The models this process serves, by name. */
export interface ModelRegistry {
  /** Every model, in a stable order. */
  list(): readonly StubModelProfile[];
  get(name: string): StubModelProfile | undefined;
  names(): string[];
}

export function createModelRegistry(models: readonly StubModelProfile[] = STUB_MODELS): ModelRegistry {
  const byName = new Map(models.map((model) => [model.name, model]));
  if (byName.size !== models.length) throw new Error('model names must be unique');
  return {
    list: () => models,
    get: (name) => byName.get(name),
    names: () => models.map((model) => model.name),
  };
}
