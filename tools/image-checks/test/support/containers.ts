import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildah, STATE_DIR, type RunResult } from './buildah';

/** What an image says about how it runs (`buildah inspect`): nothing here restates the Dockerfile. */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  user: string;
  workingDir: string;
  /** The HEALTHCHECK test, as Docker stores it: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  healthcheck: string[];
  /** Layer digests (uncompressed), bottom first. */
  diffIds: string[];
  /** One entry per Dockerfile instruction; `empty_layer` ones made no layer. */
  history: Array<{ created_by?: string; empty_layer?: boolean }>;
}

export async function imageConfig(image: string): Promise<ImageConfig> {
  const { stdout } = await buildah(['inspect', '--type', 'image', image]);
  const info = JSON.parse(stdout) as {
    Docker: {
      config: { Entrypoint?: string[]; Cmd?: string[]; User?: string; WorkingDir?: string; Healthcheck?: { Test?: string[] } };
      rootfs: { diff_ids: string[] };
      history?: Array<{ created_by?: string; empty_layer?: boolean }>;
    };
  };
  const config = info.Docker.config;
  return {
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    user: config.User ?? '',
    workingDir: config.WorkingDir ?? '/',
    healthcheck: config.Healthcheck?.Test ?? [],
    diffIds: info.Docker.rootfs.diff_ids,
    history: info.Docker.history ?? [],
  };
}

/** The HEALTHCHECK test as a command line (CMD-SHELL runs through /bin/sh, as Docker does). */
export function healthcheckCommand(test: string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`the image has no HEALTHCHECK command (${JSON.stringify(test)})`);
}

/** Uncompressed layer sizes by diff digest, as the storage recorded them when it stored the layers. */
export function layerSizes(): Map<string, number> {
  const driver = readFileSync(join(STATE_DIR, 'storage-driver'), 'utf8').trim();
  const layers = JSON.parse(readFileSync(join(STATE_DIR, 'storage', `${driver}-layers`, 'layers.json'), 'utf8')) as Array<{ 'diff-digest'?: string; 'diff-size'?: number }>;
  return new Map(layers.filter((l) => l['diff-digest']).map((l) => [l['diff-digest']!, l['diff-size'] ?? 0]));
}

/** Every process of this machine by pid, with its parent and command name. */
function processTable(): Map<number, { ppid: number; comm: string }> {
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      table.set(Number(entry), { ppid, comm });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The descendants of `pid` (children first), with their command names. */
export function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const table = processTable();
  const out: Array<{ pid: number; comm: string }> = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, info] of table) {
      if (info.ppid !== parent) continue;
      out.push({ pid: child, comm: info.comm });
      queue.push(child);
    }
  }
  return out;
}

/** `Uid:` and `Gid:` of a process (real, effective, saved, filesystem). */
export function processIds(pid: number): { uid: number[]; gid: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const ids = (name: string) => status.match(new RegExp(`^${name}:\\s+(.*)$`, 'm'))![1]!.trim().split(/\s+/).map(Number);
  return { uid: ids('Uid'), gid: ids('Gid') };
}

/** One image running as a container: the image's ENTRYPOINT + CMD, its USER and WORKDIR, the host's network. */
export interface Container {
  readonly app: string;
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the `listening` log line's port once the app listens. */
  listening(timeoutMs: number): Promise<void>;
  /** Runs a command in the container, with the container's environment (as `docker exec` would). */
  exec(command: string[], options?: { user?: string }): Promise<RunResult>;
  /** The process under tini (PID 1's child): its pid on this machine. */
  processes(): { tini: number; node: number };
  exited(timeoutMs: number): Promise<number | null>;
  remove(): Promise<void>;
}

const isolation = ['--isolation', 'chroot', '--network', 'host'];

export async function startContainer(image: string, app: string, port: number, env: Record<string, string>): Promise<Container> {
  const name = `mcp-image-checks-${app}`;
  await buildah(['rm', name], { allowFailure: true });
  const { stdout } = await buildah(['from', '--pull-never', '--name', name, image]);
  const ctr = stdout.trim().split('\n').pop()!;
  const config = await imageConfig(image);
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  // No --user: the image's own USER applies, which the uid test checks. No PID namespace with chroot
  // isolation: TINI_SUBREAPER lets tini adopt orphans as PID 1 would, and keeps it quiet about it.
  const child = spawn(join(__dirname, '../../scripts/buildah.sh'), ['run', ...isolation, ...envArgs, '--env', 'TINI_SUBREAPER=1', ctr, '--', ...config.entrypoint, ...config.cmd], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const container: Container = {
    app,
    name: ctr,
    port,
    child,
    output: () => output,
    listening: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${app} did not log "listening" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
        const look = () => {
          if (/"msg":"listening"/.test(output)) {
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`${app} exited ${child.exitCode}:\n${output}`));
          } else setTimeout(look, 100);
        };
        look();
      }),
    exec: (command, options = {}) => buildah(['run', ...isolation, ...envArgs, ...(options.user ? ['--user', options.user] : []), ctr, '--', ...command], { allowFailure: true }),
    processes: () => {
      const tree = descendants(child.pid!);
      const tini = tree.find((p) => p.comm === 'tini');
      const node = tini && descendants(tini.pid).find((p) => p.comm === 'node' || p.comm === 'MainThread');
      if (!tini || !node) throw new Error(`${app}: no tini with a node child under buildah run (${JSON.stringify(tree)})`);
      return { tini: tini.pid, node: node.pid };
    },
    exited: (timeoutMs) =>
      Promise.race([exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${app} still running ${timeoutMs} ms after SIGTERM:\n${output}`)), timeoutMs))]),
    remove: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        for (const p of descendants(child.pid!)) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await exit;
      }
      await buildah(['rm', ctr], { allowFailure: true });
    },
  };
  return container;
}
