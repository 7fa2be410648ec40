import type { StubModelProfile } from './model-registry.js';
import { digestSeed, seededRandom } from './seeded-random.util.js';
import { countTokens } from './tokenizer.util.js';

// The pieces of the stub answers. An answer is a reference line and sentences drawn from these,
// seeded by a hash of model and prompt: the same prompt to the same model always gives the same
// answer, and the prompt's text never appears in it.
const OPENERS = ['In short', 'Broadly speaking', 'From what the request describes', 'As a first approximation', 'Step by step', 'On balance', 'Put plainly', 'In practice'];
const SUBJECTS = ['the system', 'a well-instrumented service', 'the workflow', 'each request', 'the trace', 'the model router', 'a careful design', 'the pipeline'];
const VERBS = ['benefits from', 'depends on', 'should favour', 'is shaped by', 'can be improved with', 'usually needs', 'tends to reward', 'is best served by'];
const OBJECTS = [
  'clear boundaries between components',
  'small, measurable steps',
  'consistent naming',
  'bounded latency',
  'explicit error handling',
  'good observability',
  'simple, deterministic rules',
  'a clear contract',
];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * The model's deterministic answer to `prompt`: a reference (model, a short digest of the input,
 * the prompt's token count) followed by a number of sentences that depends on the model.
 */
export function generateResponse(model: StubModelProfile, prompt: string): string {
  const { seed, hex } = digestSeed(model.name, prompt);
  const random = seededRandom(seed);
  const [min, max] = model.answerSentences;
  const sentences = min + Math.floor(random() * (max - min + 1));
  const parts = [`Answer ${hex} from ${model.name} to a ${countTokens(prompt)}-token prompt.`];
  for (let i = 0; i < sentences; i += 1) {
    parts.push(`${pick(OPENERS, random)}, ${pick(SUBJECTS, random)} ${pick(VERBS, random)} ${pick(OBJECTS, random)}.`);
  }
  return parts.join(' ');
}
