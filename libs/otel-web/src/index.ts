export { startWebTracing } from './start-web-tracing';
export type { WebTracing, WebTracingOptions } from './start-web-tracing';
export { TRACE_CONTEXT_FIELD, extractTraceContext, injectTraceContext, withTraceContext } from './socket-context';
export type { TraceCarrier } from './socket-context';
