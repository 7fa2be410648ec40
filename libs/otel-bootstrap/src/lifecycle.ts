import { log } from './log';

/** Called at shutdown, in registration order: stop accepting, drain, close clients. */
export type ShutdownHook = (reason: string) => void | Promise<void>;

/** What the process currently has of telemetry; the no-op handle when telemetry is off or failed to start. */
export interface TelemetryHandle {
  /** True when an SDK is running; false for the no-op handle. */
  readonly enabled: boolean;
  /** Exports what is buffered now, within the shutdown deadline; never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops every provider within the shutdown deadline; idempotent, never rejects. */
  shutdown(): Promise<void>;
}

interface LifecycleState {
  handle: TelemetryHandle | undefined;
  hooks: Array<{ name: string; hook: ShutdownHook }>;
  /** The one shutdown run; resolves with whether every app hook finished cleanly. */
  shutdown: Promise<boolean> | undefined;
  draining: boolean;
  signalsInstalled: boolean;
  appShutdownTimeoutMs: number;
}

// One state per process even if this package is loaded twice (compiled preload + source in dev).
const KEY = Symbol.for('@mcp/otel-bootstrap/lifecycle');
const holder = globalThis as unknown as Record<symbol, LifecycleState | undefined>;
export const state: LifecycleState = (holder[KEY] ??= {
  handle: undefined,
  hooks: [],
  shutdown: undefined,
  draining: false,
  signalsInstalled: false,
  appShutdownTimeoutMs: 10_000,
});

export const NOOP_HANDLE: TelemetryHandle = Object.freeze({
  enabled: false,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});

/** Resolves with `true` when `work` settled in time, `false` when the deadline passed first. */
export async function withDeadline(work: Promise<unknown>, ms: number, what: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    // The deadline must never be what keeps a finished process alive.
    timer.unref();
  });
  try {
    const settled = await Promise.race([
      work.then(
        () => true,
        (error: unknown) => {
          log('error', `${what} failed: ${error instanceof Error ? error.message : String(error)}`);
          return true;
        },
      ),
      deadline,
    ]);
    if (!settled) log('warn', `${what} did not finish within ${ms} ms; going on without it`);
    return settled;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers a step of the app's ordered shutdown. On SIGTERM/SIGINT (or {@link runShutdown}) the
 * hooks run one after another within `APP_SHUTDOWN_TIMEOUT_MS`, and only then is telemetry flushed,
 * so the spans of requests drained by the app are exported too. Returns a function that unregisters.
 */
export function onShutdown(hook: ShutdownHook, name = hook.name || 'app'): () => void {
  const entry = { name, hook };
  state.hooks.push(entry);
  return () => {
    const i = state.hooks.indexOf(entry);
    if (i !== -1) state.hooks.splice(i, 1);
  };
}

/** True from the moment shutdown starts: readiness endpoints report not ready while draining. */
export function isShuttingDown(): boolean {
  return state.draining;
}

/** Flushes and stops telemetry within its deadline; safe to call any number of times. */
export function shutdownTelemetry(): Promise<void> {
  return (state.handle ?? NOOP_HANDLE).shutdown();
}

/**
 * The ordered shutdown: app hooks (bounded), then telemetry (bounded). Resolves with whether every
 * hook finished cleanly; calling it again returns the same run.
 */
export function runShutdown(reason: string): Promise<boolean> {
  state.draining = true;
  return (state.shutdown ??= (async () => {
    let clean = true;
    // Spent once a hook hits the deadline: a timer can fire a few ms before Date.now() says the
    // budget is gone (libuv measures from its cached loop time), so the clock alone is not enough.
    let spent = false;
    const started = Date.now();
    for (const { name, hook } of [...state.hooks]) {
      const remaining = state.appShutdownTimeoutMs - (Date.now() - started);
      if (spent || remaining <= 0) {
        clean = false;
        log('warn', `shutdown hook "${name}" skipped: APP_SHUTDOWN_TIMEOUT_MS (${state.appShutdownTimeoutMs} ms) spent`);
        continue;
      }
      const finished = await withDeadline(
        Promise.resolve().then(() => hook(reason)),
        remaining,
        `shutdown hook "${name}"`,
      );
      if (!finished) {
        clean = false;
        spent = true;
      }
    }
    await shutdownTelemetry();
    return clean;
  })());
}

function onSignal(signal: NodeJS.Signals): void {
  if (state.shutdown) {
    log('warn', `${signal} received again during shutdown; exiting now`);
    process.exit(1);
  }
  // An app that handles the signal itself and registered no hooks owns its exit; we only make sure
  // what is buffered gets exported, and it should call shutdownTelemetry() before exiting.
  if (state.hooks.length === 0 && process.listenerCount(signal) > 1) {
    state.draining = true;
    void (state.handle ?? NOOP_HANDLE).forceFlush();
    return;
  }
  void runShutdown(signal).then((clean) => process.exit(clean ? 0 : 1));
}

/** Installs the SIGTERM/SIGINT handlers once per process. */
export function installSignalHandlers(appShutdownTimeoutMs: number): void {
  state.appShutdownTimeoutMs = appShutdownTimeoutMs;
  if (state.signalsInstalled) return;
  state.signalsInstalled = true;
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
