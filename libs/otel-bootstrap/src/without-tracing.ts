import { load } from './packages';

/**
 * Runs `fn` (and everything it starts) without creating spans: for work that should not become
 * traces of its own, such as the dependency calls of a readiness probe, which is itself untraced
 * and would otherwise start a new root trace per call every few seconds.
 */
export function withoutTracing<T>(fn: () => T): T {
  const { context } = load.api();
  const { suppressTracing } = load.core();
  return context.with(suppressTracing(context.active()), fn);
}
