// What the load and workflow benchmarks share: arguments, CPU placement, statistics, the progress
// line, the IPC stats request and the discarding OTLP sink.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `flag('--smoke')` and `opt('--rounds', 5)` over the process arguments. */
export function cliOptions(argv = process.argv.slice(2)) {
  return {
    flag: (name) => argv.includes(name),
    opt: (name, fallback) => {
      const i = argv.indexOf(name);
      return i === -1 ? fallback : argv[i + 1];
    },
  };
}

/**
 * Pins this process (the load generators, and the children it starts) to CPU 1 where taskset
 * allows; `command(args)` then runs a process under test on CPU 0.
 */
export function placeOnCpus() {
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  return { pinned, command: (args) => (pinned ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args]) };
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const progress = (text) => process.stderr.write(`\r\x1b[K${text}`);

/** Sends an IPC message to a child (a server under test or the sink) and resolves with its `stats` answer. */
export function request(child, msg) {
  return new Promise((resolveMsg) => {
    const onMessage = (m) => {
      if (m?.type === 'stats') {
        child.off('message', onMessage);
        resolveMsg(m);
      }
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

/** The discarding, counting OTLP sink (sink.mjs) as a child process. */
export async function startSinkProcess() {
  const child = spawn(process.execPath, [join(srcDir, 'sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = await once(child.stdout, 'data');
  return { child, port: JSON.parse(String(line)).port };
}
