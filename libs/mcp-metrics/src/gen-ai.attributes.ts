import type { Attributes } from '@opentelemetry/api';
import { cappedSpanValue, nonNegative } from './bounded-attribute.util';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_FINISH_REASON_VALUE_STOP,
  GEN_AI_MAX_CAPTURED_CONTENT_CHARS,
} from './gen-ai.semconv';

/** What a model answer tells about itself, as the GenAI conventions record it. Every field is optional. */
export interface GenAiUsage {
  /** Prompt tokens (`gen_ai.usage.input_tokens`). */
  inputTokens?: number;
  /** Completion tokens (`gen_ai.usage.output_tokens`). */
  outputTokens?: number;
  /** The model that answered (`gen_ai.response.model`). */
  responseModel?: string;
  /** The answer text: recorded only when message content capture is on, else only its length. */
  responseText?: string;
}

/**
 * The usage of a model-router answer (`RouteResponse`, or what StreamRoute's handler returns): the
 * snake_case fields of the wire format. Anything else reads as "not known".
 */
export function routeAnswerUsage(result: unknown): GenAiUsage {
  if (typeof result !== 'object' || result === null) return {};
  const { prompt_tokens, completion_tokens, model_type, response } = result as Record<string, unknown>;
  return {
    inputTokens: nonNegative(prompt_tokens),
    outputTokens: nonNegative(completion_tokens),
    responseModel: typeof model_type === 'string' && model_type !== '' ? model_type : undefined,
    responseText: typeof response === 'string' ? response : undefined,
  };
}

function capContent(text: string): string {
  return text.length > GEN_AI_MAX_CAPTURED_CONTENT_CHARS ? text.slice(0, GEN_AI_MAX_CAPTURED_CONTENT_CHARS) : text;
}

/**
 * `gen_ai.input.messages` for one prompt, in the conventions' input-messages JSON schema (as a JSON
 * string: span attributes cannot hold structures), the text cut at {@link GEN_AI_MAX_CAPTURED_CONTENT_CHARS}.
 */
export function inputMessagesAttribute(prompt: string): Attributes {
  return { [ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: capContent(prompt) }] }]) };
}

/** The GenAI attributes of a completed answer; the answer text only when `captureContent`. */
export function responseAttributes(usage: GenAiUsage, captureContent: boolean): Attributes {
  const attributes: Attributes = { [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: [GEN_AI_FINISH_REASON_VALUE_STOP] };
  if (usage.responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = cappedSpanValue(usage.responseModel);
  const input = nonNegative(usage.inputTokens);
  const output = nonNegative(usage.outputTokens);
  if (input !== undefined) attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = input;
  if (output !== undefined) attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = output;
  if (captureContent && usage.responseText !== undefined) {
    attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] = JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: capContent(usage.responseText) }], finish_reason: GEN_AI_FINISH_REASON_VALUE_STOP },
    ]);
  }
  return attributes;
}

/** Reads usage with `reader`; a throwing reader counts as "nothing known" (telemetry must not fail a call). */
export function readSafely<T, U extends object>(reader: (result: T) => U, result: T): Partial<U> {
  try {
    return reader(result);
  } catch {
    return {};
  }
}
