import { LIMITS, type DataProcessingOperation } from '@mcp/contracts';
import { fillTemplate } from './template.util';
import { StepError, tooLarge, type StepExecutor, type StepOfType, type WorkflowData } from './step.types';

export const DEFAULT_KEYWORD_LIMIT = 5;
export const DEFAULT_SENTENCE_LIMIT = 3;

/** Where each operation writes when the step gives no `output_key`. */
export const DEFAULT_OUTPUT_KEYS: Record<DataProcessingOperation, string> = {
  uppercase: 'processed_text',
  lowercase: 'processed_text',
  trim: 'processed_text',
  word_count: 'word_count',
  char_count: 'char_count',
  extract_keywords: 'keywords',
  summarize: 'summary',
  template: 'text',
  pick: 'picked',
};

/** Common English function words, dropped by extract_keywords. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are aren\'t as at be because been before being below between both but by ' +
    'can can\'t cannot could couldn\'t did didn\'t do does doesn\'t doing don\'t down during each few for from further had hadn\'t has ' +
    'hasn\'t have haven\'t having he he\'d he\'ll he\'s her here here\'s hers herself him himself his how how\'s i i\'d i\'ll i\'m i\'ve ' +
    'if in into is isn\'t it it\'s its itself let\'s me more most mustn\'t my myself no nor not of off on once only or other ought our ' +
    'ours ourselves out over own same shan\'t she she\'d she\'ll she\'s should shouldn\'t so some such than that that\'s the their theirs ' +
    'them themselves then there there\'s these they they\'d they\'ll they\'re they\'ve this those through to too under until up very was ' +
    'wasn\'t we we\'d we\'ll we\'re we\'ve were weren\'t what what\'s when when\'s where where\'s which while who who\'s whom why why\'s ' +
    'will with won\'t would wouldn\'t you you\'d you\'ll you\'re you\'ve your yours yourself yourselves also just may might must shall ' +
    'us via etc yes'
  ).split(' '),
);

// Pure functions, one per operation: deterministic, no I/O, no clock.

export const uppercase = (text: string): string => text.toUpperCase();
export const lowercase = (text: string): string => text.toLowerCase();
export const trim = (text: string): string => text.trim();

/** Whitespace-separated words. */
export function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/u).length;
}

/** Unicode code points (an emoji is one character, not two UTF-16 units). */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;
const HAS_LETTER = /\p{L}/u;

/**
 * The `limit` most frequent words: lower-cased, typographic apostrophes normalised, stopwords,
 * one-character words and words without a letter dropped; ties broken alphabetically (by code point).
 */
export function extractKeywords(text: string, limit = DEFAULT_KEYWORD_LIMIT): string[] {
  const counts = new Map<string, number>();
  for (const [word] of text.toLowerCase().replace(/[\u2018\u2019]/g, "'").matchAll(WORD)) {
    if (charCount(word) < 2 || !HAS_LETTER.test(word) || STOPWORDS.has(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([word]) => word);
}

/**
 * The first `limit` sentences, whitespace collapsed. A sentence ends with `.`, `!` or `?` followed by
 * whitespace (so `3.14` does not split); text without one is a single sentence.
 */
export function summarize(text: string, limit = DEFAULT_SENTENCE_LIMIT): string {
  const normalized = text.replace(/\s+/gu, ' ').trim();
  if (normalized === '') return '';
  return normalized.split(/(?<=[.!?])\s+/u).slice(0, limit).join(' ');
}

/** The listed keys of the data that exist, in the order listed. */
export function pick(data: WorkflowData, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (Object.hasOwn(data, key)) picked[key] = data[key];
  return picked;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The text an operation works on: `input_key`, else `response`, else `text`. */
function inputText(step: StepOfType<'data_processing'>, data: WorkflowData): string {
  const key = step.input_key ?? (Object.hasOwn(data, 'response') ? 'response' : 'text');
  if (!Object.hasOwn(data, key)) {
    throw new StepError('INPUT_MISSING', `input key "${key}" is not in the workflow data${step.input_key ? '' : ' (default: "response", else "text"; set input_key)'}`);
  }
  const value = data[key];
  if (typeof value !== 'string') throw new StepError('INPUT_NOT_TEXT', `input key "${key}" holds ${describeType(value)}, operation ${step.operation} needs a string`);
  return value;
}

/** Runs one operation on the data; the result is the value written to the output key. */
export function applyOperation(step: StepOfType<'data_processing'>, data: WorkflowData): unknown {
  switch (step.operation) {
    case 'uppercase':
      return uppercase(inputText(step, data));
    case 'lowercase':
      return lowercase(inputText(step, data));
    case 'trim':
      return trim(inputText(step, data));
    case 'word_count':
      return wordCount(inputText(step, data));
    case 'char_count':
      return charCount(inputText(step, data));
    case 'extract_keywords':
      return extractKeywords(inputText(step, data), step.limit ?? DEFAULT_KEYWORD_LIMIT);
    case 'summarize':
      return summarize(inputText(step, data), step.limit ?? DEFAULT_SENTENCE_LIMIT);
    case 'template':
      // The schema requires `template` for this operation; the check keeps the types honest.
      if (step.template === undefined) throw new StepError('INVALID_STEP', 'operation template needs "template"');
      return fillTemplate(step.template, data, LIMITS.stepOutputBytes) ?? tooLarge(`the filled template has more than ${LIMITS.stepOutputBytes} characters`);
    case 'pick':
      if (step.keys === undefined) throw new StepError('INVALID_STEP', 'operation pick needs "keys"');
      return pick(data, step.keys);
  }
}

/** `data_processing`: one deterministic transform; output `{ [output_key ?? default]: result }`. */
export function dataProcessingStep(): StepExecutor<'data_processing'> {
  return async (step, data) => ({ [step.output_key ?? DEFAULT_OUTPUT_KEYS[step.operation]]: applyOperation(step, data) });
}
