/**
 * Where every copy of `@opentelemetry/api` 1.x keeps the process's global providers. Read directly
 * (not through the API's getters) because it also shows a provider registered through another copy
 * or version of the API, which the getters may not return but which still makes our registration
 * fail, and because the API exports no way to tell its no-op logger provider apart.
 */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

const PROVIDERS = [
  ['trace', 'tracer provider'],
  ['metrics', 'meter provider'],
  ['logs', 'logger provider'],
] as const;

/** The global providers something else registered before us, as `tracer provider (NodeTracerProvider)`. */
export function providersRegisteredBefore(): string[] {
  const registry = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBALS];
  if (registry === undefined) return [];
  return PROVIDERS.filter(([key]) => registry[key] !== undefined).map(([key, what]) => `${what} (${classOf(registry[key])})`);
}

/** The provider's class; the API registers a tracer provider behind its proxy, so the delegate's. */
function classOf(value: unknown): string {
  const delegate = (value as { getDelegate?: () => unknown } | null)?.getDelegate?.();
  if (delegate !== undefined) return classOf(delegate);
  const name = (value as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'an object';
}

/**
 * One clear message: what was found, what it means, what to do. The other SDK owns the process's
 * telemetry; starting ours too would patch every library a second time (two SERVER spans per
 * request, or ours exported nowhere, since the API answers with the first provider).
 */
export function standDownMessage(found: readonly string[]): string {
  return (
    `another OpenTelemetry SDK registered the global ${found.join(', ')} before this preload: ` +
    'this preload stands down (no exporter, no instrumentation started), and what this process ' +
    'emits is that SDK\'s. Load one SDK only: remove the other agent (an operator-injected or vendor ' +
    'preload, e.g. a --require/--import in NODE_OPTIONS), or drop this preload (OTEL_SDK_DISABLED=true silences this message).'
  );
}
