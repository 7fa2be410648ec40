#!/usr/bin/env node
// Start-up cost of telemetry preloads, measured as the time from spawn to "ready" (the service
// listening) and the RSS at that moment. Variants run interleaved, round after round, so that
// machine noise hits them alike; we report medians and the median of each round's difference to
// bare Node. Usage: node tools/bench/src/startup.bench.ts [--rounds N] [--json] [--before DIR]
//   [--variants KEY,...] [--env NAME=VALUE]...
// --before DIR adds our preload from another build (DIR/register.js, e.g. a copy of the old dist) as
// variants before / before-cc, interleaved with the rest, for an A/B of a change. --variants keeps only
// the listed keys (bare, bare-cc, ours, ours-cc, bare-esm-cc, ours-esm-cc, before, before-cc, stock, stock-cc; each baseline
// is kept anyway). --env adds a variable to every instrumented run (e.g. OTEL_SDK_DISABLED=true).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { cliOptions, median, signed } from './lib/harness.ts';

const here = import.meta.dirname;
const root = resolve(here, '../../..');
const require = createRequire(import.meta.url);
const { flag, opt, all } = cliOptions();
const rounds = Number(opt('--rounds')) || 15;
const asJson = flag('--json');
const before = opt('--before');
const only = opt('--variants')?.split(',');
if (before) {
  // The copy must sit where its require()s resolve (inside the repo): outside it the preload fails
  // to start, silently with OTEL_LOG_LEVEL=none, and would be measured as bare Node.
  try {
    createRequire(resolve(before, 'register.js')).resolve('@opentelemetry/api');
  } catch {
    throw new Error(`--before ${before}: @opentelemetry/api does not resolve from there; copy the old build inside the repo (e.g. libs/otel-bootstrap/out-tsc/bench-before)`);
  }
}
const extraEnv: Record<string, string> = Object.fromEntries(all('--env').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const app = join(here, 'fixtures/express-service.cjs');
const appEsm = join(here, 'fixtures/express-service.mjs');
const ours = join(root, 'libs/otel-bootstrap/dist/register.js');
const stock = require.resolve('@opentelemetry/auto-instrumentations-node/register');
const cacheDir = mkdtempSync(join(tmpdir(), 'mcp-bench-ccache-'));

interface Variant {
  key: string;
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** The key of the bare run it is compared with. */
  baseline: string;
}
interface Sample {
  readyMs: number;
  rssMb: number;
}

// Same telemetry settings for both preloads; nothing listens on the endpoint and nothing is due
// for export before the process is stopped, so only start-up is measured.
const otelEnv = { OTEL_SERVICE_NAME: 'bench', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'none', ...extraEnv };
const noCache = { NODE_DISABLE_COMPILE_CACHE: '1' };
const withCache = { NODE_COMPILE_CACHE: cacheDir };
// Each variant is compared with the bare run of the same round that has the same compile-cache
// setting (our preload turns Node's compile cache on, which also speeds up the app's own modules).
const allVariants: Variant[] = [
  { key: 'bare', name: 'bare node', argv: [app], env: noCache, baseline: 'bare' },
  { key: 'bare-cc', name: 'bare node, compile cache on', argv: [app], env: withCache, baseline: 'bare-cc' },
  { key: 'ours', name: 'ours (@mcp/otel-bootstrap/register), compile cache off', argv: ['--require', ours, app], env: { ...otelEnv, ...noCache }, baseline: 'bare' },
  { key: 'ours-cc', name: 'ours (@mcp/otel-bootstrap/register), as shipped (compile cache on)', argv: ['--require', ours, app], env: { ...otelEnv, ...withCache }, baseline: 'bare-cc' },
  ...(before
    ? [
        { key: 'before', name: `before (${before}), compile cache off`, argv: ['--require', resolve(before, 'register.js'), app], env: { ...otelEnv, ...noCache }, baseline: 'bare' },
        { key: 'before-cc', name: `before (${before}), compile cache on`, argv: ['--require', resolve(before, 'register.js'), app], env: { ...otelEnv, ...withCache }, baseline: 'bare-cc' },
      ]
    : []),
  // The same app as an ES module: the preload's ES module hook against its CommonJS path.
  { key: 'bare-esm-cc', name: 'bare node, ES module app, compile cache on', argv: [appEsm], env: withCache, baseline: 'bare-esm-cc' },
  { key: 'ours-esm-cc', name: 'ours, ES module app (--import), as shipped', argv: ['--import', ours, appEsm], env: { ...otelEnv, ...withCache }, baseline: 'bare-esm-cc' },
  { key: 'stock', name: 'stock (auto-instrumentations-node/register)', argv: ['--require', stock, app], env: { ...otelEnv, ...noCache }, baseline: 'bare' },
  { key: 'stock-cc', name: 'stock, compile cache on', argv: ['--require', stock, app], env: { ...otelEnv, ...withCache }, baseline: 'bare-cc' },
];
const wanted = new Set(only ?? allVariants.map((v) => v.key));
for (const v of allVariants) if (wanted.has(v.key)) wanted.add(v.baseline);
const kept = allVariants.filter((v) => wanted.has(v.key));
const variants = kept.map((v) => ({ ...v, baseline: kept.findIndex((b) => b.key === v.baseline) }));
type Indexed = (typeof variants)[number];

function runOnce(variant: Indexed): Promise<Sample> {
  return new Promise((resolveRun, reject) => {
    const t0 = process.hrtime.bigint();
    const env: NodeJS.ProcessEnv = { ...process.env, ...variant.env };
    for (const key of Object.keys(env)) if (key.startsWith('OTEL_') && !(key in variant.env)) delete env[key];
    const child = spawn(process.execPath, variant.argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${variant.name}: not ready in 30 s\n${err}`)); }, 30_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const { rss } = JSON.parse(line) as { rss: number };
      clearTimeout(timer);
      child.stdin.end();
      child.once('exit', () => resolveRun({ readyMs, rssMb: rss / 1024 / 1024 }));
    });
    child.once('error', reject);
  });
}

const loadBefore = loadavg();
// One warm-up run each fills the compile cache and the page cache.
for (const v of variants) await runOnce(v);
const samples: Sample[][] = variants.map(() => []);
for (let r = 0; r < rounds; r++) {
  process.stderr.write(`\rround ${r + 1}/${rounds}`);
  for (const [i, v] of variants.entries()) samples[i]?.push(await runOnce(v));
}
process.stderr.write('\n');
rmSync(cacheDir, { recursive: true, force: true });

const rows = variants.map((v, i) => {
  const own = samples[i] ?? [];
  const bare = samples[v.baseline] ?? [];
  return {
    variant: v.name,
    baseline: variants[v.baseline]?.name,
    readyMs: median(own.map((s) => s.readyMs)),
    rssMb: median(own.map((s) => s.rssMb)),
    addedMs: median(own.map((s, r) => s.readyMs - (bare[r]?.readyMs ?? NaN))),
    addedMb: median(own.map((s, r) => s.rssMb - (bare[r]?.rssMb ?? NaN))),
  };
});
if (asJson) {
  console.log(JSON.stringify({ rounds, node: process.version, cpus: cpus().length, loadavg: loadavg(), rows }, null, 2));
} else {
  console.log(`Start-up to ready, ${rounds} interleaved rounds, Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString()}, load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')} / after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| variant | ready (median ms) | RSS at ready (median MB) | added time vs its bare baseline (median of per-round Δ, ms) | added RSS (MB) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const isBaseline = r.variant === r.baseline;
    console.log(`| ${r.variant} | ${r.readyMs.toFixed(0)} | ${r.rssMb.toFixed(1)} | ${isBaseline ? 'baseline' : signed(r.addedMs, 0)} | ${isBaseline ? 'baseline' : signed(r.addedMb, 1)} |`);
  }
}
