#!/usr/bin/env node
// What our preload adds to a process's resident memory, on the realistic app (express-service.cjs:
// Express, pino, pg, redis, grpc) and on a minimal script, at two moments: at ready (as the start-up
// bench) and settled (after 200 requests to the app and three export intervals to a discarding OTLP
// sink, so the exporters, the serialiser and the first batches are in). For the minimal script it
// also runs bare Node loading the Node built-ins the preload loads (read off process.moduleLoadList),
// which any server loads anyway. Variants run interleaved, round after round; medians of each
// round's difference to bare. RSS is read from /proc/<pid>/status (VmRSS), so the fixtures need no hook.
// Usage: node tools/bench/src/memory.bench.ts [--rounds N] [--json] [--before DIR]
// --before DIR adds our preload from another build (DIR/register.js, a copy of the old dist inside the
// repo, as for startup.bench.ts) on both apps, interleaved with the rest, for an A/B of a change.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { cliOptions, median, sleep, startSinkProcess } from './lib/harness.ts';

const here = import.meta.dirname;
const root = resolve(here, '../../..');
const { flag, opt } = cliOptions();
const rounds = Number(opt('--rounds')) || 5;
const asJson = flag('--json');
const before = opt('--before');
const ours = join(root, 'libs/otel-bootstrap/dist/register.js');
const apps = { realistic: join(here, 'fixtures/express-service.cjs'), minimal: join(here, 'fixtures/minimal-script.cjs') };
const EXPORT_INTERVAL_MS = 1000;

/** The public Node built-ins a process loads with the preload in front of an empty script and not without. */
function builtinsThePreloadLoads(): string[] {
  const list = (argv: string[]): string[] =>
    JSON.parse(execFileSync(process.execPath, [...argv, '-e', 'setImmediate(() => console.log(JSON.stringify(process.moduleLoadList)))'], { env: { ...process.env, OTEL_LOG_LEVEL: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } }).toString());
  const bare = new Set(list([]));
  return list(['--require', ours])
    .filter((m) => !bare.has(m) && m.startsWith('NativeModule ') && !m.startsWith('NativeModule internal/'))
    .map((m) => m.slice('NativeModule '.length));
}

interface Variant {
  key: string;
  name: string;
  argv: string[];
  env: Record<string, string>;
  baseline?: string;
}
interface Sample {
  atReady: number;
  settled: number;
}

const rssMb = (pid: number | undefined): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function runOnce(variant: Variant): Promise<Sample> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...variant.env };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_') && !(key in variant.env)) delete env[key];
  const child = spawn(process.execPath, variant.argv, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<{ port?: number }>((resolveReady, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${variant.name}: not ready in 30 s`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      clearTimeout(timer);
      resolveReady(JSON.parse(line) as { port?: number });
    });
  });
  const atReady = rssMb(child.pid);
  if (ready.port) for (let i = 0; i < 200; i++) await (await fetch(`http://127.0.0.1:${ready.port}/hello/n${i}`)).arrayBuffer();
  await sleep(3 * EXPORT_INTERVAL_MS + 500);
  const settled = rssMb(child.pid);
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  return { atReady, settled };
}

const sink = await startSinkProcess();
const builtins = builtinsThePreloadLoads();
const otelEnv = {
  OTEL_SERVICE_NAME: 'bench',
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
  OTEL_METRIC_EXPORT_INTERVAL: String(EXPORT_INTERVAL_MS),
  OTEL_BSP_SCHEDULE_DELAY: '500',
  OTEL_LOG_LEVEL: 'none',
};
// Our preload turns on Node's compile cache; off everywhere here, so only memory differs.
const base = { NODE_DISABLE_COMPILE_CACHE: '1' };
const variants: Variant[] = [
  { key: 'realistic-bare', name: 'realistic app, bare', argv: [apps.realistic], env: base },
  { key: 'realistic-ours', name: 'realistic app, our preload', argv: ['--require', ours, apps.realistic], env: { ...base, ...otelEnv }, baseline: 'realistic-bare' },
  ...(before ? [{ key: 'realistic-before', name: `realistic app, before (${before})`, argv: ['--require', resolve(before, 'register.js'), apps.realistic], env: { ...base, ...otelEnv }, baseline: 'realistic-bare' }] : []),
  { key: 'minimal-bare', name: 'minimal script, bare', argv: [apps.minimal], env: base },
  { key: 'minimal-builtins', name: `minimal script, bare + the ${builtins.length} Node built-ins the preload loads`, argv: [apps.minimal], env: { ...base, PRELOAD_BUILTINS: builtins.join(',') }, baseline: 'minimal-bare' },
  { key: 'minimal-ours', name: 'minimal script, our preload', argv: ['--require', ours, apps.minimal], env: { ...base, ...otelEnv }, baseline: 'minimal-bare' },
  ...(before ? [{ key: 'minimal-before', name: `minimal script, before (${before})`, argv: ['--require', resolve(before, 'register.js'), apps.minimal], env: { ...base, ...otelEnv }, baseline: 'minimal-bare' }] : []),
];

const loadBefore = loadavg();
for (const v of variants) await runOnce(v); // warm-up: page cache
const samples: Record<string, Sample[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
for (let r = 0; r < rounds; r++) {
  process.stderr.write(`\rround ${r + 1}/${rounds}`);
  for (const v of variants) samples[v.key]?.push(await runOnce(v));
}
process.stderr.write('\n');
sink.child.kill();

const rows = variants.map((v) => {
  const own = samples[v.key] ?? [];
  const bare = v.baseline ? samples[v.baseline] : undefined;
  const delta = (field: keyof Sample): number | undefined => (bare ? median(own.map((s, r) => s[field] - (bare[r]?.[field] ?? NaN))) : undefined);
  return { variant: v.name, atReadyMb: median(own.map((s) => s.atReady)), settledMb: median(own.map((s) => s.settled)), addedAtReadyMb: delta('atReady'), addedSettledMb: delta('settled') };
});
if (asJson) {
  console.log(JSON.stringify({ rounds, node: process.version, builtins, loadavg: loadavg(), rows }, null, 2));
} else {
  const signed = (x: number | undefined): string => (x === undefined ? 'baseline' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}`);
  console.log(`RSS, ${rounds} interleaved rounds, Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString()}, load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')} → ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`Built-ins the preload loads: ${builtins.join(', ')}`);
  console.log('| variant | RSS at ready (MB) | added at ready | RSS settled (MB) | added settled |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.variant} | ${r.atReadyMb.toFixed(1)} | ${signed(r.addedAtReadyMb)} | ${r.settledMb.toFixed(1)} | ${signed(r.addedSettledMb)} |`);
}
