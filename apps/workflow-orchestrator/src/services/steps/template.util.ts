import type { WorkflowData } from './step.types';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g;

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * Fills `{key}` placeholders from the data: strings as they are, numbers and booleans as text,
 * objects and arrays as JSON. A key that is missing (or null) stays as written, `{key}`.
 * Returns undefined as soon as the text would exceed `maxChars`: a short template of repeated
 * placeholders over a long value must not build its (huge) result before it is refused.
 */
export function fillTemplate(template: string, data: WorkflowData, maxChars: number): string | undefined {
  const parts: string[] = [];
  let length = 0;
  let last = 0;
  const add = (text: string): boolean => {
    length += text.length;
    if (length > maxChars) return false;
    parts.push(text);
    return true;
  };
  for (const match of template.matchAll(PLACEHOLDER)) {
    const [placeholder, key] = match as unknown as [string, string];
    const value = Object.hasOwn(data, key) ? asText(data[key]) : undefined;
    if (!add(template.slice(last, match.index)) || !add(value ?? placeholder)) return undefined;
    last = match.index + placeholder.length;
  }
  return add(template.slice(last)) ? parts.join('') : undefined;
}
