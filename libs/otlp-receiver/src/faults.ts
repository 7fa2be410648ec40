import type { OtlpSignal } from './types';

/** Which requests a fault applies to. */
export interface FaultOptions {
  /** Number of requests the fault applies to; default: all of them until `clearFaults()` or `reset()`. */
  times?: number;
  /** Signals the fault applies to; default all three. */
  signals?: OtlpSignal[];
}

/** Options of {@link OtlpReceiver.respondWith}. */
export interface RespondWithOptions extends FaultOptions {
  /** Extra response headers, e.g. `{ 'Retry-After': '1' }`. */
  headers?: Record<string, string>;
  /** Message of the `google.rpc.Status` error body. Default `injected fault: <status>`. */
  message?: string;
}

/** An injected failure: answer with an HTTP status (gRPC: its code), or never answer. */
export type Fault = { kind: 'status'; status: number; headers: Record<string, string>; message: string } | { kind: 'hang' };

const allSignals: readonly OtlpSignal[] = ['traces', 'metrics', 'logs'];

/**
 * The faults a test injects, shared by both transports: the active `respondWith`/`hang` fault
 * (one at a time, optionally for a number of requests and some signals) and the answer delay.
 */
export class FaultInjector {
  private active: { fault: Fault; remaining: number; signals: ReadonlySet<OtlpSignal> } | undefined;
  private delayMs: number;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly startDelayMs: number) {
    this.delayMs = startDelayMs;
  }

  respondWith(status: number, options: RespondWithOptions = {}): void {
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`respondWith: invalid HTTP status ${status}`);
    const fault: Fault = { kind: 'status', status, headers: options.headers ?? {}, message: options.message ?? `injected fault: ${status}` };
    this.activate(fault, options);
  }

  hang(options: FaultOptions = {}): void {
    this.activate({ kind: 'hang' }, options);
  }

  setDelay(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`setDelay: invalid delay ${ms}`);
    this.delayMs = ms;
  }

  /** Ends the active fault; keeps the delay. */
  clear(): void {
    this.active = undefined;
  }

  /** Ends the active fault and restores the start-up delay. */
  reset(): void {
    this.active = undefined;
    this.delayMs = this.startDelayMs;
  }

  /** The active fault if it applies to a request of `signal` (using up one of its `times`), else `undefined`. */
  take(signal: OtlpSignal): Fault | undefined {
    const active = this.active;
    if (!active || active.remaining <= 0 || !active.signals.has(signal)) return undefined;
    active.remaining--;
    if (active.remaining === 0) this.active = undefined;
    return active.fault;
  }

  /** Runs `send` after the current delay (at once without one); `cancelPending()` drops it. */
  later(send: () => void): void {
    if (this.delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      send();
    }, this.delayMs);
    this.pending.add(timer);
  }

  /** Drops every delayed answer not sent yet (on close). */
  cancelPending(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  private activate(fault: Fault, options: FaultOptions): void {
    this.active = { fault, remaining: options.times ?? Infinity, signals: new Set(options.signals ?? allSignals) };
  }
}
