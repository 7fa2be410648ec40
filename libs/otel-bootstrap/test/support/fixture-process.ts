import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach } from 'vitest';
import { fixturePath, PROJECT_ROOT, REGISTER_PATH } from './paths';

/** How the bootstrap is preloaded: `node --require <register.js>` (the services' way) or `node --import <register.js>`. */
export type PreloadMode = 'require' | 'import' | 'none';

export interface SpawnOptions {
  /** OTLP/HTTP base URL of the receiver (`OTEL_EXPORTER_OTLP_ENDPOINT`); omitted when the test sets its own. */
  endpoint?: string;
  /** `OTEL_SERVICE_NAME`; give every test its own. */
  serviceName: string;
  /** Extra environment, applied last; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Default `require`. */
  preload?: PreloadMode;
  /** Fixture files `--require`d BEFORE the bootstrap (e.g. a simulated broken install). */
  requireBefore?: string[];
  /** Arguments after the fixture path. */
  args?: string[];
  /** How long to wait for the `{"ready":true}` line; default 20 s. */
  readyTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A fixture app running as a real child process, listening on 127.0.0.1 at `port`. */
export interface FixtureProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Every stdout line that parsed as a JSON object, in order. */
  jsonLines(): Array<Record<string, unknown>>;
  /** Waits for a stdout JSON line matching `predicate` (including lines already printed). */
  waitForJsonLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal (no-op once exited). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<ExitInfo>;
  /** `undefined` while running. */
  exitInfo(): ExitInfo | undefined;
  /** stdout and stderr, labelled, for assertion messages. */
  describe(): string;
}

const running = new Set<ChildProcess>();
/** Output of every fixture started since the last cleanup, for the report of a failed test. */
const started: Array<() => string> = [];

/** Last resort if a worker dies without running its hooks: never leave a fixture behind. */
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The parent's environment minus anything that would change how the child starts (OTEL_*, NODE_OPTIONS, vitest's own). */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key === 'NODE_OPTIONS' || key.startsWith('VITEST') || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return env;
}

/**
 * Environment for a fixture: the receiver as OTLP endpoint, short batch and metric intervals so a
 * test sees its telemetry within a second, and a service name of its own.
 */
export function fixtureEnv(options: Pick<SpawnOptions, 'endpoint' | 'serviceName' | 'env'>): NodeJS.ProcessEnv {
  const env = baseEnv();
  Object.assign(env, {
    OTEL_SERVICE_NAME: options.serviceName,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    // A dead receiver must not hold a test for the exporters' default 10 s.
    OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  if (options.endpoint !== undefined) env['OTEL_EXPORTER_OTLP_ENDPOINT'] = options.endpoint;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function preloadArgs(mode: PreloadMode): string[] {
  if (mode === 'none') return [];
  if (!existsSync(REGISTER_PATH)) {
    throw new Error(`${REGISTER_PATH} is missing: build first (npx nx run @mcp/otel-bootstrap:build)`);
  }
  return mode === 'require' ? ['--require', REGISTER_PATH] : ['--import', pathToFileURL(REGISTER_PATH).href];
}

/**
 * Starts `test/fixtures/<fixture>` with the bootstrap preloaded and resolves once it printed
 * `{"ready":true,"port":N}`. Rejects (and kills it) if it exits or stays silent first. Every
 * process started here is killed by the hooks {@link useFixtureCleanup} installs.
 */
export async function spawnFixture(fixture: string, options: SpawnOptions): Promise<FixtureProcess> {
  const script = fixturePath(fixture);
  const args = [
    ...(options.requireBefore ?? []).flatMap((file) => ['--require', fixturePath(file)]),
    ...preloadArgs(options.preload ?? 'require'),
    script,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: fixtureEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let out = '';
  let err = '';
  let partial = '';
  const lines: Array<Record<string, unknown>> = [];
  const lineWaiters = new Set<() => void>();
  let exit: ExitInfo | undefined;
  const exitWaiters = new Set<() => void>();

  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      const trimmed = text.trim();
      if (!trimmed.startsWith('{')) continue;
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) lines.push(parsed as Record<string, unknown>);
      } catch {
        // Not every line is JSON; only the JSON ones matter to the tests.
      }
    }
    for (const wake of [...lineWaiters]) wake();
  });
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    running.delete(child);
    for (const wake of [...exitWaiters, ...lineWaiters]) wake();
  });

  const describe = (): string =>
    `--- ${fixture} (pid ${child.pid ?? '?'}) exit=${exit ? JSON.stringify(exit) : 'running'}\n--- stdout:\n${out.slice(-8000)}\n--- stderr:\n${err.slice(-8000)}`;

  const waitForJsonLine = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(predicate);
        if (found) {
          finish();
          resolve(found);
          return true;
        }
        if (exit) {
          finish();
          reject(new Error(`${fixture} exited before printing the expected line\n${describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${fixture}: no matching stdout line within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      const wake = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        lineWaiters.delete(wake);
      };
      lineWaiters.add(wake);
      check();
    });

  const waitForExit = (timeoutMs = 15_000): Promise<ExitInfo> =>
    new Promise((resolve, reject) => {
      if (exit) return resolve(exit);
      const timer = setTimeout(() => {
        exitWaiters.delete(wake);
        reject(new Error(`${fixture} did not exit within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        exitWaiters.delete(wake);
        if (exit) resolve(exit);
      };
      exitWaiters.add(wake);
    });

  started.push(describe);
  let ready: Record<string, unknown>;
  try {
    ready = await waitForJsonLine((line) => line['ready'] === true, options.readyTimeoutMs ?? 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const port = Number(ready['port']);
  return {
    name: fixture,
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    jsonLines: () => [...lines],
    waitForJsonLine,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!exit) child.kill(signal);
    },
    waitForExit,
    exitInfo: () => exit,
    describe,
  };
}

/** SIGKILLs every fixture still running and waits (bounded) for each to be gone. */
export async function killAllFixtures(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(resolve, 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Installs afterEach/afterAll hooks that kill every fixture this file started; when a test failed,
 * the output of its fixtures is printed first (a receiver timeout alone rarely says why).
 */
export function useFixtureCleanup(): void {
  afterEach(async ({ task }) => {
    const outputs = started.splice(0);
    if (task.result?.state === 'fail') {
      for (const output of outputs) process.stderr.write(`\n[fixture output for "${task.name}"]\n${output()}\n`);
    }
    await killAllFixtures();
  });
  afterAll(killAllFixtures);
}
