import type { Context, Span, TextMapPropagator } from '@opentelemetry/api';
import type { RPCMetadata } from '@opentelemetry/core';
import type { ResolvedConfig } from './config';
import { load } from './packages';
import { holdTickObjectMaps } from './tick-maps';

/**
 * The context manager (AsyncLocalStorage) and the propagators of OTEL_PROPAGATORS, as the globals.
 * First, one of Node's tick objects is held, so that `process.nextTick` stays on its fast path however
 * many full GCs run between ticks (tick-maps.ts).
 */
export function installContextAndPropagation(config: ResolvedConfig): void {
  holdTickObjectMaps();
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

/**
 * The keys of `trace.setSpan` and of core's `setRPCMetadata`: neither package exports them, and the
 * API's `createContextKey` is `Symbol.for` the description (the same key in every copy of the API;
 * read here without loading the API). context.test.ts proves them through the API's and core's getters.
 */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');
const NO_KEY = Symbol('no key');

/**
 * A context that adds up to two values to its parent's and reads the rest through to it. The API's
 * contexts copy their parent on every value set (a Map and three closures each): a request's span
 * and RPC metadata cost two such copies per request this way, one small object here. A value set
 * or deleted on it is one more such layer.
 */
class ContextLayer implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
    private readonly secondKey: symbol,
    private readonly secondValue: unknown,
  ) {}

  getValue(key: symbol): unknown {
    if (key === this.key) return this.value;
    if (key === this.secondKey) return this.secondValue;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ContextLayer(this, key, value, NO_KEY, undefined);
  }

  deleteValue(key: symbol): Context {
    return new ContextLayer(this, key, undefined, NO_KEY, undefined);
  }
}

/** `setRPCMetadata(trace.setSpan(parent, span), rpc)`, as one layer on `parent`. @internal */
export function requestContextOf(parent: Context, span: Span, rpc: RPCMetadata): Context {
  return new ContextLayer(parent, SPAN_KEY, span, RPC_METADATA_KEY, rpc);
}
