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
 */
export function fillTemplate(template: string, data: WorkflowData): string {
  return template.replace(PLACEHOLDER, (placeholder, key: string) => (Object.hasOwn(data, key) ? (asText(data[key]) ?? placeholder) : placeholder));
}
