import { metrics, trace } from '@opentelemetry/api';
import type { Meter, Tracer } from '@opentelemetry/api';
import { boundedAttribute } from './bounded-attribute.util';
import type { BoundedAttribute } from './bounded-attribute.util';
import { ERROR_TYPE_VALUE_OTHER } from './semconv';
import { DEFAULT_MAX_ATTRIBUTE_VALUES } from './telemetry-options.types';
import type { McpTelemetryOptions } from './telemetry-options.types';
import { MCP_METRICS_VERSION } from './version.const';

/** What one of this lib's classes records with, resolved once from its options. */
export interface TelemetryScope {
  /** The tracer of the scope, at this lib's version. */
  tracer: Tracer;
  /** The meter of the scope, at this lib's version (from the provider current at construction). */
  meter: Meter;
  /** How many caller-supplied values each of its metric attributes may take. */
  maxValues: number;
  /** `error.type` bounded to `maxValues`, folding the rest (and a missing type) into `_OTHER`. */
  errorType: BoundedAttribute;
}

/**
 * The instrumentation scope `scopeName`: tracer and meter from the providers in `options` (default
 * the global ones), and the attribute bound `options.maxAttributeValues` (default
 * {@link DEFAULT_MAX_ATTRIBUTE_VALUES}).
 */
export function telemetryScope(options: McpTelemetryOptions, scopeName: string): TelemetryScope {
  const maxValues = options.maxAttributeValues ?? DEFAULT_MAX_ATTRIBUTE_VALUES;
  return {
    tracer: (options.tracerProvider ?? trace.getTracerProvider()).getTracer(scopeName, MCP_METRICS_VERSION),
    meter: (options.meterProvider ?? metrics.getMeterProvider()).getMeter(scopeName, MCP_METRICS_VERSION),
    maxValues,
    errorType: boundedAttribute({ maxValues, overflowValue: ERROR_TYPE_VALUE_OTHER, missingValue: ERROR_TYPE_VALUE_OTHER }),
  };
}
