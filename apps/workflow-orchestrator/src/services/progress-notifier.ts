import { INTERNAL_SECRET_HEADER, type WorkflowProgressEvent } from '@mcp/contracts';
import type { Logger } from 'pino';
import { context, metrics, ValueType, type Counter } from '@opentelemetry/api';

export const METRIC_PROGRESS_EVENTS_TOTAL = 'mcp_workflow_progress_events_total';

/** The progress events of one run, delivered in order. */
export interface RunProgress {
  /** Queues an event; never blocks, never throws. */
  send(event: WorkflowProgressEvent): void;
  /** Resolves when every queued event was delivered or given up on, or after `maxWaitMs`. */
  settled(maxWaitMs: number): Promise<void>;
}

const NO_PROGRESS: RunProgress = { send: () => undefined, settled: () => Promise.resolve() };

export interface ProgressNotifierOptions {
  /** Base URL of the collaboration-hub, without a trailing slash. */
  hubUrl: string;
  secret: string;
  /** Timeout of one POST. */
  timeoutMs: number;
  logger: Logger;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * Sends workflow progress to the collaboration-hub (`POST /internal/sessions/:id/events`). The hub
 * is a nice-to-have for a run: a POST that fails or exceeds its timeout is logged and counted,
 * never thrown, and the run never waits on it (only the response waits, at most one timeout, for
 * the last events). Events of a run go one after another, so the hub sees them in order.
 */
export class ProgressNotifier {
  private readonly counter: Counter;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: ProgressNotifierOptions) {
    this.counter = metrics.getMeter('workflow-orchestrator').createCounter(METRIC_PROGRESS_EVENTS_TOTAL, {
      description: 'Workflow progress events sent to the collaboration-hub, by outcome (delivered or failed)',
      unit: '{event}',
      valueType: ValueType.INT,
    });
  }

  /** The progress channel of a run; a no-op without a session. */
  forRun(sessionId: string | undefined): RunProgress {
    if (sessionId === undefined) return NO_PROGRESS;
    const url = `${this.options.hubUrl}/internal/sessions/${encodeURIComponent(sessionId)}/events`;
    let queue: Promise<void> = Promise.resolve();
    return {
      send: (event) => {
        // The POST runs in the context of the code that queued the event (the run's span), not in
        // whatever context the previous POST of the chain finished in.
        const parent = context.active();
        queue = queue.then(() => context.with(parent, () => this.post(url, event)));
        const tracked = queue;
        this.inFlight.add(tracked);
        void tracked.finally(() => this.inFlight.delete(tracked));
      },
      settled: (maxWaitMs) => Promise.race([queue, delay(maxWaitMs)]),
    };
  }

  /** For shutdown: waits (bounded) for events still queued. */
  async drain(maxWaitMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inFlight]), delay(maxWaitMs)]);
  }

  private async post(url: string, event: WorkflowProgressEvent): Promise<void> {
    const outcome = { 'mcp.progress_event_type': event.type };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_SECRET_HEADER]: this.options.secret },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      // Read the (small) answer so the connection goes back to the pool.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) {
        this.counter.add(1, { ...outcome, 'mcp.delivery': 'failed' });
        this.options.logger.warn({ progress_id: event.progress_id, event: event.type, status: response.status }, 'collaboration-hub rejected a progress event');
        return;
      }
      this.counter.add(1, { ...outcome, 'mcp.delivery': 'delivered' });
    } catch (error) {
      this.counter.add(1, { ...outcome, 'mcp.delivery': 'failed' });
      this.options.logger.warn({ progress_id: event.progress_id, event: event.type, reason: reasonOf(error) }, 'collaboration-hub unreachable; progress event dropped');
    }
  }
}
