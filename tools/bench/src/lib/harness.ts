// What the benchmarks share: arguments, CPU placement, statistics, the progress line, the IPC stats
// request and the discarding OTLP sink.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const srcDir = join(import.meta.dirname, '..');

/** What a script accepts: with it, {@link cliOptions} rejects a mistyped option before a long run. */
export interface CliSpec {
  /** Options that take a value (`--rounds 5`). */
  options: readonly string[];
  /** Options without one (`--json`). */
  flags?: readonly string[];
}

/** The script's opening comment (its usage), without the comment marks. */
function usageOf(script: string): string {
  const lines = readFileSync(script, 'utf8').split('\n');
  if (lines[0]?.startsWith('#!')) lines.shift();
  const end = lines.findIndex((line) => !line.startsWith('//'));
  return lines.slice(0, end === -1 ? undefined : end).map((line) => line.replace(/^\/\/ ?/, '')).join('\n') + '\n';
}

function usageError(message: string): never {
  process.stderr.write(`${message} (--help for the usage)\n`);
  process.exit(2);
}

/**
 * `flag('--smoke')` and `opt('--rounds', '5')` over the process arguments; `--rounds=5` counts as
 * `--rounds 5` (the form Nx passes on: `npx nx run @mcp/bench:bench-startup --rounds=5`). `--help`
 * prints the script's opening comment and exits. Given a `spec`, an option it does not name is an
 * error, and the other arguments are `positionals`.
 */
export function cliOptions(spec?: CliSpec, given = process.argv.slice(2)) {
  const argv = given.flatMap((a) => (/^--[^=]+=/.test(a) ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usageOf(process.argv[1] as string));
    process.exit(0);
  }
  const positionals: string[] = [];
  if (spec) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] as string;
      if (spec.options.includes(a)) {
        if (argv[++i] === undefined) usageError(`${a} needs a value`);
      } else if (spec.flags?.includes(a)) continue;
      else if (a.startsWith('-')) usageError(`unknown option ${a}; known: ${[...spec.options, ...(spec.flags ?? [])].join(', ')}`);
      else positionals.push(a);
    }
  }
  function opt(name: string, fallback: string): string;
  function opt(name: string, fallback?: string): string | undefined;
  function opt(name: string, fallback?: string): string | undefined {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  }
  return {
    flag: (name: string): boolean => argv.includes(name),
    opt,
    /** Every value given for a repeatable option (`--env A=1 --env B=2`). */
    all: (name: string): string[] => argv.flatMap((a, i) => (a === name && argv[i + 1] !== undefined ? [argv[i + 1] as string] : [])),
    /** The arguments that are neither an option nor its value (only with a `spec`). */
    positionals,
  };
}

/**
 * Pins this process (the load generators, and the children it starts) to CPU 1 where taskset
 * allows; a process under test then runs on CPU 0 behind `prefix`, or as `command(nodeArgs)`.
 */
export function placeOnCpus(): { pinned: boolean; prefix: string[]; command: (args: string[]) => [string, string[]] } {
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const prefix = pinned ? ['taskset', '-c', '0'] : [];
  return { pinned, prefix, command: (args) => (pinned ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args]) };
}

/** The median of the finite values; NaN if there are none. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
export const percentile = (sorted: readonly number[], p: number): number => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : NaN);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const progress = (text: string): void => void process.stderr.write(`\r\x1b[K${text}`);
/** `x` with `d` decimals, or '–' when it is not a number. */
export const fixed = (x: number | undefined, d = 0): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '–');
/** As {@link fixed}, with a sign. */
export const signed = (x: number | undefined, d = 0): string => (x !== undefined && Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : '–');

/** Sends an IPC message to a child (a server under test or the sink) and resolves with its `{type: 'stats'}` answer. */
export function request<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolveMsg) => {
    const onMessage = (m: unknown): void => {
      if ((m as { type?: unknown } | null)?.type === 'stats') {
        child.off('message', onMessage);
        resolveMsg(m as T);
      }
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

/** The discarding, counting OTLP sink (sink.ts) as a child process. */
export async function startSinkProcess(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(srcDir, 'sink.ts')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { child, port: (JSON.parse(String(line)) as { port: number }).port };
}

/** The version of an installed package, for the report's header; '?' when not found. */
export function versionOf(root: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
