import type { TextMapPropagator } from '@opentelemetry/api';
import type { ResolvedConfig } from './config';
import { load } from './packages';

/** The context manager (AsyncLocalStorage) and the propagators of OTEL_PROPAGATORS, as the globals. */
export function installContextAndPropagation(config: ResolvedConfig): void {
  const api = load.api();
  const { AsyncLocalStorageContextManager } = load.contextAsyncHooks();
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator = createPropagator(config.propagators);
  if (propagator) api.propagation.setGlobalPropagator(propagator);
}

function createPropagator(names: ResolvedConfig['propagators']): TextMapPropagator | undefined {
  const core = load.core();
  const propagators: TextMapPropagator[] = names.map((name) => {
    switch (name) {
      case 'tracecontext':
        return new core.W3CTraceContextPropagator();
      case 'baggage':
        return new core.W3CBaggagePropagator();
      case 'b3':
      case 'b3multi': {
        const b3 = load.b3();
        return new b3.B3Propagator(name === 'b3multi' ? { injectEncoding: b3.B3InjectEncoding.MULTI_HEADER } : {});
      }
    }
  });
  if (propagators.length === 0) return undefined;
  return propagators.length === 1 ? propagators[0] : new core.CompositePropagator({ propagators });
}
