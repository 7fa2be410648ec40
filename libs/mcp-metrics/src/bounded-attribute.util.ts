/** Options of {@link boundedAttribute}. */
export interface BoundedAttributeOptions {
  /**
   * How many distinct values, besides `knownValues`, pass through unchanged. Values first seen after
   * that many fold into `overflowValue`. A negative or fractional number is floored at 0.
   */
  maxValues: number;
  /** Values that always pass through and do not count against `maxValues`. Default: none. */
  knownValues?: readonly string[];
  /**
   * Values longer than this fold into `overflowValue`: a long "name" is usually free text pasted into
   * the wrong field, and truncating it would still make a new series per text. Default: 64.
   */
  maxLength?: number;
  /** What values beyond the limits become. Default: `'other'`. */
  overflowValue?: string;
  /** What missing, empty or non-string values become. Default: `'unknown'`. */
  missingValue?: string;
}

/** Maps a caller-supplied value to one of a bounded set of strings; see {@link boundedAttribute}. */
export type BoundedAttribute = (value: unknown) => string;

/** Default cap on the length of a caller-supplied value used as a metric attribute. */
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = 64;

/**
 * A guard for one metric attribute whose values come from callers (model type from a request body,
 * user type, workflow type…). Each distinct attribute set is a time series that lives until the
 * process exits; the SDK folds everything beyond 2000 sets per instrument into one
 * `otel.metric.overflow` series, which then hides every label. Folding only the unexpected values into
 * `'other'` keeps the expected ones readable and the memory bounded.
 *
 * The first `maxValues` distinct values win (first come, first served), so a flood of junk after start
 * cannot push out the real names that arrived earlier.
 */
export function boundedAttribute(options: BoundedAttributeOptions): BoundedAttribute {
  const maxValues = Math.max(0, Math.floor(options.maxValues));
  const maxLength = options.maxLength ?? DEFAULT_MAX_ATTRIBUTE_LENGTH;
  const overflowValue = options.overflowValue ?? 'other';
  const missingValue = options.missingValue ?? 'unknown';
  const known = new Set(options.knownValues ?? []);
  const admitted = new Set<string>();

  return (value: unknown): string => {
    if (typeof value !== 'string' || value.length === 0) return missingValue;
    if (known.has(value) || admitted.has(value)) return value;
    if (value.length > maxLength || admitted.size >= maxValues) return overflowValue;
    admitted.add(value);
    return value;
  };
}

/**
 * Caps a caller-supplied string for a span attribute. Spans are per request, so their values may be
 * many, but not long: the SDK keeps attribute values whole unless a length limit is configured.
 */
export function cappedSpanValue(value: unknown, maxLength: number = DEFAULT_MAX_ATTRIBUTE_LENGTH): string {
  if (typeof value !== 'string') return '';
  return value.length > maxLength ? value.slice(0, maxLength) : value;
}

/** A non-negative finite number, or undefined: counters reject negative increments, and NaN poisons sums. */
export function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
