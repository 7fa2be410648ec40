import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REGISTER_PATH, REPO_ROOT } from './paths';

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
  /** Absolute paths `--require`d BEFORE the bootstrap (e.g. a simulated broken install). */
  requireBefore?: string[];
  /** Node options before everything else (e.g. a benchmark's own preload with `preload: 'none'`, or `--trace-gc`). */
  nodeArgs?: string[];
  /** A command that runs Node for us, e.g. `['taskset', '-c', '0']`; it must exec Node (the pid stays Node's). */
  prefix?: string[];
  /**
   * stdout and stderr go to this file instead of pipes to this process, and are read from it only
   * when asked (`stdout()`, waiting for a line): a service that logs a line per request under load
   * costs the caller no CPU. `stdout()` then holds both streams and `stderr()` is empty.
   */
  logFile?: string;
  /**
   * Default true: short batch and metric intervals and export timeout, so a test sees its telemetry
   * within a second. false keeps the SDK's defaults (a benchmark measures what production pays).
   */
  quickExport?: boolean;
  /** Arguments after the script path. */
  args?: string[];
  /** Working directory; default the repo root. */
  cwd?: string;
  /** How long to wait for the ready line; default 20 s. */
  readyTimeoutMs?: number;
  /**
   * Which stdout JSON line means "listening", and carries `port`: by default `{"ready":true,"port":N}`
   * (fixtures) or a service's pino line `{"msg":"listening","port":N}`.
   */
  isReadyLine?: (line: Record<string, unknown>) => boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service or fixture running as a real child process, listening on 127.0.0.1 at `port`. */
export interface ServiceProcess {
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
 * test sees its telemetry within a second (unless `quickExport` is false), and a service name of its own.
 */
export function serviceEnv(options: Pick<SpawnOptions, 'endpoint' | 'serviceName' | 'env' | 'quickExport'>): NodeJS.ProcessEnv {
  const env = baseEnv();
  env['OTEL_SERVICE_NAME'] = options.serviceName;
  if (options.quickExport ?? true) {
    Object.assign(env, {
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      // A dead receiver must not hold a test for the exporters' default 10 s.
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
    });
  }
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

const defaultReadyLine = (line: Record<string, unknown>): boolean => (line['ready'] === true || line['msg'] === 'listening') && typeof line['port'] === 'number';

/**
 * Starts `script` (an absolute path) under Node with the bootstrap preloaded and resolves once it
 * printed its ready line. Rejects (and kills it) if it exits or stays silent first. Every process
 * started here is killed by the hooks {@link useProcessCleanup} installs.
 */
export async function spawnService(script: string, options: SpawnOptions): Promise<ServiceProcess> {
  const fixture = basename(script);
  const args = [
    ...(options.nodeArgs ?? []),
    ...(options.requireBefore ?? []).flatMap((file) => ['--require', file]),
    ...preloadArgs(options.preload ?? 'require'),
    script,
    ...(options.args ?? []),
  ];
  const [command, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'w');
  const child = spawn(command as string, [...prefixArgs, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: serviceEnv(options),
    stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
  });
  if (logFd !== undefined) closeSync(logFd);
  running.add(child);

  let out = '';
  let err = '';
  let partial = '';
  const lines: Array<Record<string, unknown>> = [];
  const lineWaiters = new Set<() => void>();
  let exit: ExitInfo | undefined;
  const exitWaiters = new Set<() => void>();

  const onStdout = (chunk: string): void => {
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
  };
  // With a log file: what was written since the last look, read when someone looks.
  let logOffset = 0;
  const readLog = (): void => {
    if (options.logFile === undefined) return;
    let fd: number;
    try {
      fd = openSync(options.logFile, 'r');
    } catch {
      return; // removed by the caller meanwhile
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= logOffset) return;
      const buffer = Buffer.alloc(size - logOffset);
      const read = readSync(fd, buffer, 0, buffer.length, logOffset);
      logOffset += read;
      onStdout(buffer.subarray(0, read).toString('utf8'));
    } finally {
      closeSync(fd);
    }
  };
  if (child.stdout && child.stderr) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onStdout);
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
    });
  }
  child.on('exit', (code, signal) => {
    readLog();
    exit = { code, signal };
    running.delete(child);
    for (const wake of [...exitWaiters, ...lineWaiters]) wake();
  });

  const describe = (): string => {
    readLog();
    return `--- ${fixture} (pid ${child.pid ?? '?'}) exit=${exit ? JSON.stringify(exit) : 'running'}\n--- stdout:\n${out.slice(-8000)}\n--- stderr:\n${err.slice(-8000)}`;
  };

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
      const poll = options.logFile === undefined ? undefined : setInterval(readLog, 50);
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        lineWaiters.delete(wake);
      };
      lineWaiters.add(wake);
      readLog();
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

  let ready: Record<string, unknown>;
  try {
    ready = await waitForJsonLine(options.isReadyLine ?? defaultReadyLine, options.readyTimeoutMs ?? 20_000);
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
    stdout: () => {
      readLog();
      return out;
    },
    stderr: () => err,
    jsonLines: () => {
      readLog();
      return [...lines];
    },
    waitForJsonLine,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!exit) child.kill(signal);
    },
    waitForExit,
    exitInfo: () => exit,
    describe,
  };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it is gone. */
export async function stopService(service: ServiceProcess, graceMs: number): Promise<void> {
  service.kill('SIGTERM');
  try {
    await service.waitForExit(graceMs);
  } catch {
    service.kill('SIGKILL');
    await service.waitForExit(5_000).catch(() => undefined);
  }
}

/** SIGKILLs every process still running and waits (bounded) for each to be gone. */
export async function killAllServices(): Promise<void> {
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
