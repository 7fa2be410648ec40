// A deterministic stand-in for a model's tokenizer: a token is a run of letters/digits/underscores,
// or one punctuation or symbol character. Whitespace separates tokens and is not one.
const TOKEN_PATTERN = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;

/** The tokens of `text`, in order. `tokenize('Hello, world!')` → `['Hello', ',', 'world', '!']`. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}

/** How many tokens `text` has (see {@link tokenize}). */
export function countTokens(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(TOKEN_PATTERN)) count += 1;
  return count;
}
