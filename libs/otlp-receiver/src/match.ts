import type { AttrValue, Attributes } from './types';

/** Structural equality of two decoded attribute values (bytes compared by content). */
export function attrValueEquals(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => attrValueEquals(v, b[i]));
  }
  const aKeys = Object.keys(a);
  return aKeys.length === Object.keys(b).length && aKeys.every((k) => k in b && attrValueEquals(a[k], b[k]));
}

/** True when every key of `expected` is in `actual` with an equal value (other keys are ignored). */
export function attributesInclude(actual: Attributes, expected: Attributes | undefined): boolean {
  if (!expected) return true;
  return Object.entries(expected).every(([key, value]) => key in actual && attrValueEquals(actual[key], value));
}

/** Renders an attribute value compactly for messages (bigint-safe, bytes as hex). */
export function formatValue(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
    if (v instanceof RegExp) return String(v);
    return v;
  });
}

/** Shortens text for one-line messages. */
export function truncate(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
