import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';

export interface WebTracingOptions {
  /** `service.name` of the browser's spans, e.g. `web`. */
  serviceName: string;
  serviceVersion?: string;
  /** OTLP/HTTP trace endpoint, absolute or relative to the page (the frontend's proxy: `/otlp/v1/traces`). */
  collectorUrl: string;
  /**
   * Cross-origin URLs that also get `traceparent` (same-origin requests always do). Only list
   * servers that allow the header in CORS, or the browser refuses the request.
   */
  propagateTraceHeaderCorsUrls?: Array<string | RegExp>;
  /** Longest wait before a batch is exported (default 2000 ms; the page is short-lived). */
  scheduledDelayMillis?: number;
}

export interface WebTracing {
  /** Exports what is buffered now (call before the page goes away). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

let started: WebTracing | undefined;

function absolute(url: string): string {
  return typeof location === 'undefined' ? url : new URL(url, location.href).href;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Starts browser tracing once (idempotent): a tracer provider with a batch processor exporting to
 * `collectorUrl`, the stack context manager, W3C trace-context + baggage propagators, and the fetch
 * and document-load instrumentations. Exports themselves are not traced.
 */
export function startWebTracing(options: WebTracingOptions): WebTracing {
  if (started) return started;
  const collectorUrl = absolute(options.collectorUrl);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
      'telemetry.sdk.language': 'webjs',
    }),
    spanProcessors: [
      // The browser build also flushes when the page is hidden (tab closed, navigation).
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: collectorUrl }),
        scheduledDelayMillis: options.scheduledDelayMillis ?? 2_000,
        maxExportBatchSize: 256,
        maxQueueSize: 2_048,
        exportTimeoutMillis: 10_000,
      }),
    ],
  });
  context.setGlobalContextManager(new StackContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);

  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new FetchInstrumentation({
        // Our own exports must not make spans (each export would trace the last one).
        ignoreUrls: [new RegExp(`^${escapeRegExp(collectorUrl)}`)],
        propagateTraceHeaderCorsUrls: options.propagateTraceHeaderCorsUrls ?? [],
        clearTimingResources: true,
      }),
      // Only in a page (it reads window.performance at enable).
      ...(typeof window !== 'undefined' ? [new DocumentLoadInstrumentation()] : []),
    ],
  });

  started = {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      started = undefined;
    },
  };
  return started;
}
