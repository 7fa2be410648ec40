import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** Options every tracer and metrics class of this lib accepts. */
export interface McpTelemetryOptions {
  /**
   * Where spans go. Default: the global tracer provider, which `@mcp/otel-bootstrap`'s preload
   * registers before the app loads. Tests pass their own.
   */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go. Default: the global meter provider *at construction time*. Unlike traces, the
   * metrics API has no proxy provider: instruments created before the SDK is registered stay no-ops
   * for good, so construct these classes after telemetry has started (the preload guarantees that).
   */
  meterProvider?: MeterProvider;
  /**
   * How many distinct caller-supplied values each metric attribute (model type, workflow type, step
   * type, user type, error type) may take, besides the known ones, before new values fold into
   * `'other'` (`'_OTHER'` for `error.type`). Default: {@link DEFAULT_MAX_ATTRIBUTE_VALUES}.
   */
  maxAttributeValues?: number;
}

/** Default of {@link McpTelemetryOptions.maxAttributeValues}. */
export const DEFAULT_MAX_ATTRIBUTE_VALUES = 50;

/** Model types DESIGN.md names; they never count against the limit. */
export const KNOWN_MODEL_TYPES: readonly string[] = ['stub-small', 'stub-medium', 'stub-large'];
