#!/usr/bin/env node
// What OpenTelemetry costs a service under load: bare Node vs our preload vs the stock
// auto-instrumentation, each with 100 % sampling and with parentbased_traceidratio 0.1.
// The server under test runs on CPU 0 (taskset), the load generator (this process) and a
// discarding OTLP sink on CPU 1. Variants are interleaved round by round; every figure is reported
// next to the ratio (or difference) to the bare run of the same round.
//
//   node tools/bench/src/load.bench.ts [--rounds 5] [--duration 4] [--warmup 3] [--warmup-max 12]
//        [--frameworks express,fastify,koa,grpc,socketio] [--variants bare,ours-100,ours-10,stock-100,stock-10]
//        [--no-latency] [--env K=V,K=V] [--export] [--export-rates 5000,10000] [--export-seconds 5]
//        [--export-only] [--smoke] [--json out.json] [--cpu-prof dir] [--before DIR] [--builds name=DIR,...]
//
// Measures per framework and variant: requests/s at saturation (closed loop), server CPU µs per
// request (process.cpuUsage over the window / requests served), p50/p99 latency at a fixed rate of
// half the bare capacity of that round, and spans the sink received per request. --export measures
// the export path alone: spans/s created vs received, and drops (SDK self-metric + the difference).
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import net from 'node:net';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { io, type Socket } from 'socket.io-client';
import { cliOptions, fixed as f, median, percentile, placeOnCpus, progress, request, signed, sleep, startSinkProcess, versionOf } from './lib/harness.ts';
import type { SinkStats } from './sink.ts';

const here = import.meta.dirname;
const root = resolve(here, '../../..');
const require = createRequire(import.meta.url);
/** What we use of autocannon (it ships no types). */
type Autocannon = (options: { url: string; connections: number; pipelining: number; duration: number }) => Promise<{ requests: { total: number }; errors: number; non2xx: number; timeouts: number }>;
const autocannon = require('autocannon') as Autocannon;

// ---- arguments ------------------------------------------------------------------------------
const { flag, opt } = cliOptions();
const smoke = flag('--smoke');
const rounds = Number(opt('--rounds', smoke ? '1' : '5'));
const duration = Number(opt('--duration', smoke ? '1' : '4'));
// Warm-up: at least --warmup s, then 1-s windows until two in a row serve within 5 % of each other
// (at most --warmup-max s). An instrumented server needs seconds of load before V8 has optimised its
// hot paths: Express under our preload serves ~4 k/s in its first second and ~13 k/s from the third
// or fourth; a fixed 1-s warm-up measured part of that ramp and inflated the cost of every preload.
const warmup = Number(opt('--warmup', smoke ? '0.3' : '3'));
const warmupMax = Number(opt('--warmup-max', '12'));
const frameworks = opt('--frameworks', smoke ? 'express' : 'express,fastify,koa,grpc,socketio').split(',');
const variantNames = opt('--variants', smoke ? 'bare,ours-100,stock-100' : 'bare,ours-100,ours-10,stock-100,stock-10').split(',');
const latency = !flag('--no-latency') && !flag('--export-only');
const exportTest = flag('--export') || flag('--export-only');
const loadTest = !flag('--export-only');
const connections = Number(opt('--connections', '64'));
// Off by default: pipelined requests make the generator cheaper but are not what clients send.
const pipelining = Number(opt('--pipelining', '1'));
const jsonOut = opt('--json');
const cpuProfDir = opt('--cpu-prof');

const ours = join(root, 'libs/otel-bootstrap/dist/register.js');
const stock = require.resolve('@opentelemetry/auto-instrumentations-node/register');
const serverScript = join(here, 'fixtures/load-server.cjs');

// ---- CPU placement --------------------------------------------------------------------------
const { pinned, command: serverCommand } = placeOnCpus();

// ---- variants -------------------------------------------------------------------------------
interface Variant {
  name: string;
  /** Node options that load the preload (none for bare). */
  preload: string[];
  env: Record<string, string>;
}

function variantsFor(sinkPort: number): Variant[] {
  const otel = {
    OTEL_SERVICE_NAME: 'bench',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // No cloud metadata probes in either preload: they would only add start-up noise.
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container',
    OTEL_LOG_LEVEL: 'error',
  };
  // A/B runs of a change, interleaved like everything else: `--env K=V,K=V` applies settings only to
  // the variants whose name ends in "+" (ours-100+, stock-10+, ...), and `--before DIR` adds
  // before-100 / before-10 that preload DIR/register.js (a copy of an earlier build).
  const extra: Record<string, string> = {};
  for (const pair of (opt('--env', '') || '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    extra[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const before = opt('--before');
  const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  const all: Record<string, Omit<Variant, 'name'>> = {
    bare: { preload: [], env: {} },
    'ours-100': { preload: ['--require', ours], env: otel },
    'ours-10': { preload: ['--require', ours], env: { ...otel, ...ratio } },
    'stock-100': { preload: ['--require', stock], env: otel },
    'stock-10': { preload: ['--require', stock], env: { ...otel, ...ratio } },
  };
  // `--builds a=DIR,b=DIR` adds a-100, a-10, b-100, b-10 that preload DIR/register.js: A/B of builds
  // compiled the same way (e.g. of two commits), without touching libs/otel-bootstrap/dist.
  const builds = (opt('--builds', '') || '').split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]);
  if (before) builds.push(['before', before]);
  for (const [name, dir] of builds) {
    all[`${name}-100`] = { preload: ['--require', resolve(dir, 'register.js')], env: otel };
    all[`${name}-10`] = { preload: ['--require', resolve(dir, 'register.js')], env: { ...otel, ...ratio } };
  }
  for (const [name, v] of Object.entries(all)) if (name !== 'bare') all[`${name}+`] = { ...v, env: { ...v.env, ...extra } };
  return variantNames.map((name) => {
    const variant = all[name];
    if (!variant) throw new Error(`unknown variant ${name} (known: ${Object.keys(all).join(', ')})`);
    return { name, ...variant };
  });
}

/** fixtures/load-server.cjs's answer to "stats". */
interface ServerStats {
  cpuUs: number;
  mainThreadCpuUs: number;
  served: number;
  rss: number;
}

interface Server {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

async function startServer(framework: string, variant: Variant, extraArgs: string[] = []): Promise<Server> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
  Object.assign(env, variant.env);
  const [cmd, args] = serverCommand([...extraArgs, ...variant.preload, serverScript, framework]);
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }) as ChildProcessByStdio<null, Readable, Readable>;
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}/${variant.name}: not ready in 30 s\n${err}`)), 30_000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (line) {
        clearTimeout(timer);
        resolvePort((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => reject(new Error(`${framework}/${variant.name}: exited with ${code}\n${err}`)));
  });
  return { child, port, stderr: () => err };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = once(server.child, 'exit');
  // SIGTERM lets the preloads flush what is queued, so the sink sees every exported span.
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---- load generators ------------------------------------------------------------------------
/** Closed loop at saturation with autocannon (the fastest HTTP/1.1 client we have). */
async function httpSaturate(port: number, seconds: number): Promise<{ requests: number; errors: number }> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/hello/world`, connections, pipelining, duration: seconds });
  return { requests: result.requests.total, errors: result.errors + result.non2xx + result.timeouts };
}

/**
 * A minimal keep-alive HTTP/1.1 client for the fixed-rate phase: 32 sockets, a pre-built request,
 * a response is complete when its Content-Length body has arrived. autocannon's overallRate releases
 * each connection's share of a second in a burst at the start of the second and records latency in
 * whole milliseconds, and node:http costs too much CPU on the load core; here arrivals are spread
 * per millisecond (open loop) and timed with performance.now().
 */
type Settle = [done: () => void, fail: (error: Error) => void];
/** A connection of a caller: a socket and how to send it the next request. */
type Connection = { socket: net.Socket; send: (...settle: Settle) => void };

function httpCaller(port: number): Caller {
  const raw = Buffer.from(`GET /hello/world HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
  const free: Connection[] = [];
  const waiting: Settle[] = [];
  const sockets: net.Socket[] = [];
  const open = (): Connection => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let buf = '';
    let done: (() => void) | undefined;
    let fail: ((error: Error) => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      const headerEnd = buf.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const m = /content-length: *(\d+)/i.exec(buf.slice(0, headerEnd));
      const total = headerEnd + 4 + (m ? Number(m[1]) : 0);
      if (buf.length < total) return;
      const ok = buf.startsWith('HTTP/1.1 200');
      buf = buf.slice(total);
      const d = done;
      const f = fail;
      done = fail = undefined;
      release(connection);
      if (ok) d?.();
      else f?.(new Error('non-200'));
    });
    socket.on('error', (e) => fail?.(e));
    const connection: Connection = {
      socket,
      send: (resolveCall, rejectCall) => {
        done = resolveCall;
        fail = rejectCall;
        socket.write(raw);
      },
    };
    sockets.push(socket);
    return connection;
  };
  const release = (connection: Connection): void => {
    const next = waiting.shift();
    if (next) connection.send(...next);
    else free.push(connection);
  };
  for (let i = 0; i < 32; i++) free.push(open());
  const call = (): Promise<void> =>
    new Promise((res, rej) => {
      const connection = free.pop();
      if (connection) connection.send(res, rej);
      else waiting.push([res, rej]);
    });
  return { call, close: () => sockets.forEach((s) => s.destroy()) };
}

/** Something that sends one request and resolves with its answer. */
interface Caller {
  call: () => Promise<unknown>;
  close: () => void;
}

/** The Greeter client of fixtures/bench.proto (a service loaded at run time has no generated type). */
type GreeterClient = grpc.Client & { Hello(request: { name: string }, callback: (error: grpc.ServiceError | null, reply?: unknown) => void): void };

function grpcClient(port: number): Caller {
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(join(here, 'fixtures/bench.proto'))) as unknown as { bench: { Greeter: new (address: string, credentials: grpc.ChannelCredentials) => GreeterClient } };
  const client = new def.bench.Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call: () => new Promise((res, rej) => client.Hello({ name: 'world' }, (e, r) => (e ? rej(e) : res(r)))),
    close: () => client.close(),
  };
}

async function socketClients(port: number, n: number): Promise<Caller> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((res) => s.once('connect', () => res()));
    sockets.push(s);
  }
  let next = 0;
  return {
    call: () => (sockets[next++ % sockets.length] as Socket).emitWithAck('hello', 'world'),
    close: () => sockets.forEach((s) => s.close()),
  };
}

/** Closed loop (concurrency workers) or open loop at `rate`/s, for a call() returning a promise. */
interface LoadResult {
  requests: number;
  errors: number;
  p50?: number;
  p99?: number;
}

async function callLoad(call: () => Promise<unknown>, seconds: number, { concurrency = 32, rate }: { concurrency?: number; rate?: number | undefined } = {}): Promise<LoadResult> {
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const one = async () => {
    const t0 = performance.now();
    try {
      await call();
      requests++;
      if (rate) latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
  };
  if (!rate) {
    await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) await one(); }));
  } else {
    const start = performance.now();
    const inflight = new Set<Promise<void>>();
    let sent = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      for (; sent < due; sent++) {
        const p = one();
        inflight.add(p);
        p.finally(() => inflight.delete(p));
      }
      await sleep(1);
    }
    await Promise.all(inflight);
  }
  latencies.sort((a, b) => a - b);
  return { requests, errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** `run(seconds)` loads at saturation, `run(seconds, rate)` at a fixed rate. */
interface Load {
  run: (seconds: number, rate?: number) => Promise<LoadResult>;
  close: () => void;
}

async function loadFor(framework: string, port: number): Promise<Load> {
  if (framework === 'grpc') {
    const c = grpcClient(port);
    return { run: (s, rate) => callLoad(c.call, s, { concurrency: 32, rate }), close: c.close };
  }
  if (framework === 'socketio') {
    const c = await socketClients(port, 16);
    return { run: (s, rate) => callLoad(c.call, s, { concurrency: 32, rate }), close: c.close };
  }
  const c = httpCaller(port);
  return { run: (s, rate) => (rate ? callLoad(c.call, s, { rate }) : httpSaturate(port, s)), close: c.close };
}

// ---- one measurement ------------------------------------------------------------------------
/** Loads the server until its throughput is steady (see --warmup); returns the seconds it took. */
async function warmUp(load: Load, server: Server): Promise<number> {
  if (warmup <= 0) return 0;
  if (smoke) {
    await load.run(warmup);
    return warmup;
  }
  let seconds = 0;
  let previous: number | undefined;
  while (seconds < warmupMax) {
    const before = await request<ServerStats>(server.child, 'stats');
    const t0 = performance.now();
    await load.run(1);
    const after = await request<ServerStats>(server.child, 'stats');
    seconds += 1;
    const rate = (after.served - before.served) / ((performance.now() - t0) / 1000);
    if (seconds >= warmup && previous !== undefined && Math.abs(rate - previous) <= 0.05 * previous) break;
    previous = rate;
  }
  return seconds;
}

/** One framework × variant in one round. */
interface Row {
  warmupSeconds: number;
  rps: number;
  cpuUsPerReq: number;
  mainThreadUsPerReq: number;
  errors: number;
  rssMb: number;
  rate?: number;
  p50?: number;
  p99?: number;
  latErrors?: number;
  spansPerReq?: number;
}

async function measure(framework: string, variant: Variant, halfRate: number | undefined, sink: ChildProcess, tag: string): Promise<Row> {
  await request<SinkStats>(sink, 'reset');
  const server = await startServer(framework, variant, cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []);
  const load = await loadFor(framework, server.port);
  try {
    progress(`${tag} ${framework} ${variant.name}: warm-up`);
    const warmupSeconds = await warmUp(load, server);
    const s0 = await request<ServerStats>(server.child, 'stats');
    const t0 = performance.now();
    progress(`${tag} ${framework} ${variant.name}: saturation ${duration} s`);
    const sat = await load.run(duration);
    const elapsed = (performance.now() - t0) / 1000;
    const s1 = await request<ServerStats>(server.child, 'stats');
    const served = s1.served - s0.served;
    const row: Row = { warmupSeconds, rps: served / elapsed, cpuUsPerReq: (s1.cpuUs - s0.cpuUs) / served, mainThreadUsPerReq: (s1.mainThreadCpuUs - s0.mainThreadCpuUs) / served, errors: sat.errors, rssMb: s1.rss / 2 ** 20 };
    const rate = halfRate ?? row.rps / 2;
    if (latency) {
      const latSeconds = smoke ? 0.5 : duration;
      progress(`${tag} ${framework} ${variant.name}: ${Math.round(rate)}/s for ${latSeconds} s`);
      const lat = await load.run(latSeconds, rate);
      Object.assign(row, { rate, p50: lat.p50, p99: lat.p99, latErrors: lat.errors });
    }
    const s2 = await request<ServerStats>(server.child, 'stats');
    load.close();
    await stopServer(server);
    await sleep(100);
    const sinkStats = await request<SinkStats>(sink, 'stats');
    row.spansPerReq = sinkStats.spans / s2.served;
    return row;
  } catch (error) {
    load.close();
    await stopServer(server);
    throw new Error(`${framework}/${variant.name}: ${(error as Error).message}\n${server.stderr()}`);
  }
}

// ---- the export path ------------------------------------------------------------------------
interface ExportRow {
  round: number;
  variant: string;
  target: number;
  created: number;
  createdPerS: number;
  received: number;
  dropped: number;
  queueFull: number | undefined;
}

async function exportPath(sinkPort: number, sink: ChildProcess): Promise<ExportRow[]> {
  const rates = smoke ? [2000] : (opt('--export-rates', '5000,10000,20000,40000')).split(',').map(Number);
  const seconds = smoke ? 1 : Number(opt('--export-seconds', '5'));
  const base = variantsFor(sinkPort).filter((v) => v.name !== 'bare' && !/-10\+?$/.test(v.name));
  const env = {
    OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
  const rows: ExportRow[] = [];
  for (let r = 0; r < (smoke ? 1 : Math.min(rounds, 3)); r++) {
    for (const rate of rates) {
      for (const v of base) {
        progress(`export path, round ${r + 1}: ${v.name} at ${rate} spans/s`);
        await request<SinkStats>(sink, 'reset');
        const variant: Variant = { ...v, env: { ...v.env, ...env } };
        const eenv = { ...process.env };
        for (const key of Object.keys(eenv)) if (key.startsWith('OTEL_')) delete eenv[key];
        Object.assign(eenv, variant.env);
        const [cmd, args] = serverCommand([...variant.preload, join(here, 'fixtures/span-generator.cjs'), String(rate), String(seconds)]);
        const child = spawn(cmd, args, { env: eenv, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const [code] = (await once(child, 'exit')) as [number | null];
        await sleep(200);
        const s = await request<SinkStats>(sink, 'stats');
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || !line) throw new Error(`span generator ${v.name}: exit ${code}\n${err}`);
        const gen = JSON.parse(line) as { created: number; seconds: number };
        rows.push({
          round: r + 1,
          variant: v.name,
          target: rate,
          created: gen.created,
          createdPerS: gen.created / gen.seconds,
          received: s.spans,
          dropped: gen.created - s.spans,
          queueFull: s.selfMetricsSeen ? s.queueFullDrops : undefined,
        });
      }
    }
  }
  return rows;
}

// ---- run ------------------------------------------------------------------------------------
const started = new Date();
const loadAtStart = loadavg();
const { child: sink, port: sinkPort } = await startSinkProcess();
const variants = variantsFor(sinkPort);
const results: Record<string, Record<string, Row[]>> = {}; // framework -> variant -> [rows per round]
let exportRows: ExportRow[] = [];
try {
  if (loadTest) {
    const total = rounds * frameworks.length * variants.length;
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      for (const fw of frameworks) {
        const byVariant = (results[fw] ??= Object.fromEntries(variants.map((v) => [v.name, []])));
        // Bare first (its capacity sets the fixed rate of the round), the others rotated by round.
        const others = variants.filter((v) => v.name !== 'bare');
        const rotated = others.map((_, i) => others[(i + r) % others.length] as Variant);
        const order = [...variants.filter((v) => v.name === 'bare'), ...rotated];
        let halfRate: number | undefined;
        for (const v of order) {
          done++;
          const row = await measure(fw, v, halfRate, sink, `[${done}/${total}] round ${r + 1}/${rounds}`);
          if (v.name === 'bare') halfRate = row.rps / 2;
          (byVariant[v.name] as Row[])[r] = row;
        }
      }
    }
  }
  exportRows = exportTest ? await exportPath(sinkPort, sink) : [];
} finally {
  sink.disconnect();
  sink.kill();
}
progress('');
process.stderr.write('\r\x1b[K');

// ---- report ---------------------------------------------------------------------------------
const lines: string[] = [];
const versions = (name: string): string => versionOf(root, name);
lines.push(
  `${started.toISOString()} · ${cpus().length} × ${cpus()[0]?.model.trim()} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · Node ${process.version} · ` +
    `sdk-trace ${versions('@opentelemetry/sdk-trace')} · instrumentation-http ${versions('@opentelemetry/instrumentation-http')} · stock auto-instrumentations-node ${versions('@opentelemetry/auto-instrumentations-node')} · ` +
    `autocannon ${versions('autocannon')} · load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')} · ${rounds} round(s) × ${duration} s · ${connections} connections · server ${pinned ? 'on CPU 0, load + sink on CPU 1 (taskset)' : 'NOT pinned (taskset unavailable)'}`,
  '',
);
const summary: Record<string, Record<string, Record<string, unknown>>> = {};
for (const [fw, byVariant] of Object.entries(results)) {
  const bare = byVariant.bare ?? [];
  lines.push(`### ${fw}`, '');
  lines.push(
    '| variant | req/s (median) | kept vs bare (median of per-round ratios) | per-round ratios | server CPU µs/req | extra CPU µs/req (median Δ) | p50 / p99 ms at ½ bare rate | added p99 ms (median Δ) | spans exported / req | warm-up s (median) |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const fwSummary: Record<string, Record<string, unknown>> = (summary[fw] = {});
  const vsBare = (rows: Row[], value: (row: Row) => number | undefined, compare: (a: number, b: number) => number): number[] =>
    rows.map((row, i) => {
      const baseline = bare[i];
      return baseline ? compare(value(row) ?? NaN, value(baseline) ?? NaN) : NaN;
    });
  for (const [name, rows] of Object.entries(byVariant)) {
    const ratios = vsBare(rows, (x) => x.rps, (a, b) => a / b);
    const extraCpu = vsBare(rows, (x) => x.cpuUsPerReq, (a, b) => a - b);
    const addedP99 = vsBare(rows, (x) => x.p99, (a, b) => a - b);
    const s = {
      rps: median(rows.map((x) => x.rps)),
      ratio: median(ratios),
      ratios,
      cpuUsPerReq: median(rows.map((x) => x.cpuUsPerReq)),
      extraCpuUs: median(extraCpu),
      p50: median(rows.map((x) => x.p50 ?? NaN)),
      p99: median(rows.map((x) => x.p99 ?? NaN)),
      addedP99: median(addedP99),
      spansPerReq: median(rows.map((x) => x.spansPerReq ?? NaN)),
      warmupSeconds: median(rows.map((x) => x.warmupSeconds)),
      errors: rows.reduce((a, x) => a + (x.errors ?? 0) + (x.latErrors ?? 0), 0),
    };
    fwSummary[name] = s;
    const isBare = name === 'bare';
    lines.push(
      `| ${name} | ${f(s.rps)} | ${isBare ? '1' : f(s.ratio, 2)} | ${isBare ? '' : ratios.map((x) => f(x, 2)).join(' ')} | ${f(s.cpuUsPerReq, 1)} | ${isBare ? 'baseline' : signed(s.extraCpuUs, 1)} | ${latency ? `${f(s.p50, 2)} / ${f(s.p99, 2)}` : '–'} | ${isBare || !latency ? '' : signed(s.addedP99, 2)} | ${f(s.spansPerReq, 2)} | ${f(s.warmupSeconds)} |${s.errors ? ` ${s.errors} errors` : ''}`,
    );
  }
  lines.push('');
}
if (exportRows.length) {
  lines.push('### export path (spans created by a generator on CPU 0, counted by the sink)', '');
  lines.push('| variant | target spans/s | created/s (median) | received / created (median) | dropped (min–max over rounds) | SDK self-metric queue_full (max) |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  const keys = [...new Set(exportRows.map((x) => `${x.variant}|${x.target}`))];
  for (const key of keys) {
    const rows = exportRows.filter((x) => `${x.variant}|${x.target}` === key);
    const dropped = rows.map((x) => x.dropped);
    const qf = rows.map((x) => x.queueFull).filter((x) => x !== undefined);
    const first = rows[0] as ExportRow;
    lines.push(
      `| ${first.variant} | ${first.target} | ${f(median(rows.map((x) => x.createdPerS)))} | ${f(median(rows.map((x) => x.received / x.created)), 4)} | ${Math.min(...dropped)}–${Math.max(...dropped)} | ${qf.length ? Math.max(...qf) : 'n/a'} |`,
    );
  }
  lines.push('');
}
process.stdout.write(lines.join('\n') + '\n');
if (jsonOut) {
  mkdirSync(dirname(resolve(jsonOut)), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ started, rounds, duration, results, summary, exportRows }, null, 2));
}
process.exit(0);
