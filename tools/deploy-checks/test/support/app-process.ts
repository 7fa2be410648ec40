import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './repo';

// An app of this repository as the image's CMD runs it (`node dist/main.js` in apps/<app>, built by
// the test target's dependencies), without the telemetry preload: what these tests look at (config
// parsing, /ready) happens with or without it.

export interface AppRun {
  /** The exit code, or null while it runs (it logged "listening"), or after the 30 s guard. */
  code: number | null;
  /** The bound port once listening. */
  port: number | undefined;
  /** stdout and stderr so far. */
  output(): string;
  stop(): void;
}

const running = new Set<ChildProcess>();

/** Kills every app still running (for afterEach). */
export function stopApps(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Starts `app` with `env` (plus PORT=0, HOST=127.0.0.1) and resolves once it listens or exits. */
export function startApp(app: string, env: Record<string, string>): Promise<AppRun> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: repoPath('apps', app),
    // The frontend's ledger outbox file goes to the temporary directory, never into the worktree.
    env: { PATH: process.env['PATH'], PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LEDGER_OUTBOX_PATH: join(tmpdir(), `deploy-checks-outbox-${randomUUID()}.sqlite`), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const stop = () => {
    child.kill('SIGKILL');
    running.delete(child);
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null, undefined), 30_000);
    const finish = (code: number | null, port: number | undefined) => {
      clearTimeout(timer);
      resolve({ code, port, output: () => output, stop });
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /"port":(\d+)[^\n]*"msg":"listening"/.exec(output);
      if (listening) finish(null, Number(listening[1]));
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      running.delete(child);
      finish(code, undefined);
    });
  });
}
