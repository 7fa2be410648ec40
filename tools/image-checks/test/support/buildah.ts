import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository root (this file is tools/image-checks/test/support/buildah.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');
const SCRIPTS = resolve(__dirname, '../../scripts');
/** Where the check keeps its buildah storage, the stand-in base and the layer cache between runs. */
export const STATE_DIR = process.env['MCP_IMAGE_CHECKS_DIR'] ?? '/var/lib/mcp-image-checks';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking this process's event loop (the OTLP receiver the containers
 * export to lives here). Rejects when it exits non-zero, with its output.
 */
export function run(command: string, args: string[], options: { cwd?: string; allowFailure?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0 && !options.allowFailure) reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`));
      else resolvePromise({ code, stdout, stderr });
    });
  });
}

/** buildah with the check's own storage (scripts/buildah.sh). */
export function buildah(args: string[], options: { allowFailure?: boolean } = {}): Promise<RunResult> {
  return run(join(SCRIPTS, 'buildah.sh'), args, options);
}

/** The stand-in base image, assembled once (scripts/ensure-image-base.sh); its name, and what the script said. */
export async function ensureBase(): Promise<{ image: string; said: string }> {
  const { stdout, stderr } = await run(join(SCRIPTS, 'ensure-image-base.sh'), []);
  return { image: stdout.trim().split('\n').pop()!, said: stderr.trim() };
}

/**
 * Holds an exclusive lock on the check's storage until `release()` (or this process's end: the lock
 * is held by a child whose stdin is this process's pipe). Two CI runs on one machine then take
 * turns instead of cleaning up each other's containers.
 */
export function lockStorage(): Promise<{ release(): void }> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn('sh', ['-c', `mkdir -p "$1" && exec flock "$1/check.lock" sh -c 'echo locked; exec cat'`, 'lock', STATE_DIR], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
    child.stdout!.once('data', () => {
      child.removeAllListeners('exit');
      resolvePromise({ release: () => child.stdin!.end() });
    });
  });
}

/** Sizes in bytes, from `buildah images --json` (the sum of an image's layers, uncompressed). */
export async function imageSize(image: string): Promise<number> {
  const { stdout } = await buildah(['images', '--json', image]);
  const [entry] = JSON.parse(stdout) as Array<{ size: number }>;
  if (!entry) throw new Error(`no image ${image}`);
  return entry.size;
}
