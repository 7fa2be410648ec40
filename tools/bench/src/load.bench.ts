#!/usr/bin/env node
// What OpenTelemetry costs a service under load: bare Node vs our preload vs the stock
// auto-instrumentation, each with 100 % sampling and with parentbased_traceidratio 0.1, for
// Express, Fastify, Koa, gRPC and Socket.IO in one run. The server under test runs on CPU 0
// (taskset), the load generator (this process) and the discarding OTLP sinks on CPU 1. Variants are
// interleaved round by round; every figure is reported next to the ratio (or difference) to the bare
// run of the same round.
//
//   node tools/bench/src/load.bench.ts [--rounds 5] [--duration 4] [--warmup 3] [--warmup-max 12]
//        [--frameworks express,fastify,koa,grpc,socketio] [--variants bare,ours-100,ours-10,stock-100,stock-10]
//        [--rate-share 0.5] [--no-latency] [--env K=V,K=V] [--export] [--export-rates 5000,10000]
//        [--export-seconds 5] [--export-only] [--smoke] [--json out.json] [--cpu-prof dir] [--before DIR]
//        [--builds name=DIR,...]
//
// Measures per framework and variant: requests/s at saturation (closed loop), server CPU µs per
// request (process.cpuUsage over the window / requests served), spans the sink received per request,
// and p50/p99 latency at one fixed rate that every variant sustains: --rate-share (0.5) of the
// slowest variant's saturation rate in the same round, so that no variant is measured in overload
// (half the bare rate, the first version's choice, is above what any instrumented HTTP server serves
// and measured the queue). Each server stays up between its saturation and latency phases (the rate
// is known only when every variant has been saturated); whether it kept up is reported as achieved /
// offered. --export measures the export path alone: spans/s created vs received, and drops (SDK
// self-metric + the difference).
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
// The fixed rate of the latency phase, as a share of the slowest variant's saturation rate in the round.
const rateShare = Number(opt('--rate-share', '0.5'));
if (!(rateShare > 0 && rateShare <= 1)) throw new Error(`bad --rate-share ${rateShare}: a share in (0, 1]`);
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
  const sockets = new Set<net.Socket>();
  let closing = false;
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
    socket.on('error', () => undefined);
    // A server closes an idle keep-alive connection (Node's 5 s keepAliveTimeout): the servers idle
    // between their saturation and their latency phase. A request in flight on it fails, and a new
    // connection takes its place, so that a closed socket can never hold a request forever.
    socket.on('close', () => {
      const f = fail;
      done = fail = undefined;
      f?.(new Error('connection closed'));
      const i = free.indexOf(connection);
      if (i !== -1) free.splice(i, 1);
      if (!closing) release(open());
    });
    const connection: Connection = {
      socket,
      send: (resolveCall, rejectCall) => {
        done = resolveCall;
        fail = rejectCall;
        socket.write(raw);
      },
    };
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
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
  return {
    call,
    close: () => {
      closing = true;
      sockets.forEach((s) => s.destroy());
    },
  };
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
  /** At a fixed rate: requests sent, and answers that arrived inside the window, per second. */
  offered?: number;
  achieved?: number;
}

async function callLoad(call: () => Promise<unknown>, seconds: number, { concurrency = 32, rate }: { concurrency?: number; rate?: number | undefined } = {}): Promise<LoadResult> {
  const latencies: number[] = [];
  let requests = 0;
  let inWindow = 0;
  let sent = 0;
  let errors = 0;
  let finished = false;
  const end = performance.now() + seconds * 1000;
  const one = async () => {
    const t0 = performance.now();
    try {
      await call();
      if (finished) return;
      requests++;
      const t1 = performance.now();
      if (t1 <= end) inWindow++;
      if (rate) latencies.push(t1 - t0);
    } catch {
      if (!finished) errors++;
    }
  };
  if (!rate) {
    await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) await one(); }));
  } else {
    const start = performance.now();
    const inflight = new Set<Promise<void>>();
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      for (; sent < due; sent++) {
        const p = one();
        inflight.add(p);
        p.finally(() => inflight.delete(p));
      }
      await sleep(1);
    }
    // What has not answered 10 s after the window never will (a lost request must not hang the run):
    // counted as errors, and whatever settles later is ignored.
    await Promise.race([Promise.all(inflight), sleep(10_000)]);
    errors += inflight.size;
    inflight.clear();
    finished = true;
  }
  latencies.sort((a, b) => a - b);
  return { requests, errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...(rate ? { offered: sent / seconds, achieved: inWindow / seconds } : {}) };
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
  /** The latency phase: the fixed rate asked for, what was sent and answered in the window (/s), p50/p99 ms. */
  rate?: number;
  offered?: number;
  achieved?: number;
  p50?: number;
  p99?: number;
  latErrors?: number;
  spansPerReq?: number;
}

/** A server that has been saturated and waits for its latency phase. */
interface Saturated {
  row: Row;
  server: Server;
  load: Load;
  sink: ChildProcess;
  label: string;
}

/** Starts a fresh server of `variant` exporting to its own `sink`, warms it up and measures it at saturation; the server stays up. */
async function saturate(framework: string, variant: Variant, sink: { child: ChildProcess; port: number }, tag: string): Promise<Saturated> {
  await request<SinkStats>(sink.child, 'reset');
  const label = `${tag} ${framework} ${variant.name}`;
  // Each variant exports to a sink of its own: servers of several variants are up at the same time.
  const withSink: Variant = variant.preload.length ? { ...variant, env: { ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` } } : variant;
  const server = await startServer(framework, withSink, cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []);
  let load: Load | undefined;
  try {
    load = await loadFor(framework, server.port);
    progress(`${label}: warm-up`);
    const warmupSeconds = await warmUp(load, server);
    const s0 = await request<ServerStats>(server.child, 'stats');
    const t0 = performance.now();
    progress(`${label}: saturation ${duration} s`);
    const sat = await load.run(duration);
    const elapsed = (performance.now() - t0) / 1000;
    const s1 = await request<ServerStats>(server.child, 'stats');
    const served = s1.served - s0.served;
    const row: Row = { warmupSeconds, rps: served / elapsed, cpuUsPerReq: (s1.cpuUs - s0.cpuUs) / served, mainThreadUsPerReq: (s1.mainThreadCpuUs - s0.mainThreadCpuUs) / served, errors: sat.errors, rssMb: s1.rss / 2 ** 20 };
    return { row, server, load, sink: sink.child, label };
  } catch (error) {
    load?.close();
    await stopServer(server);
    throw new Error(`${framework}/${variant.name}: ${(error as Error).message}\n${server.stderr()}`);
  }
}

/** The latency phase at `rate` (if any: 1 s at the rate again after the idle wait, then the measured window), then stops the server and counts its spans. */
async function finish(s: Saturated, rate: number | undefined): Promise<Row> {
  const { row, server, load, label } = s;
  try {
    if (rate !== undefined) {
      const latSeconds = smoke ? 0.5 : duration;
      progress(`${label}: ${Math.round(rate)}/s for ${smoke ? '' : '1 + '}${latSeconds} s`);
      if (!smoke) await load.run(1, rate);
      const lat = await load.run(latSeconds, rate);
      Object.assign(row, { rate, offered: lat.offered, achieved: lat.achieved, p50: lat.p50, p99: lat.p99, latErrors: lat.errors });
    }
    const s2 = await request<ServerStats>(server.child, 'stats');
    load.close();
    await stopServer(server);
    await sleep(100);
    const sinkStats = await request<SinkStats>(s.sink, 'stats');
    row.spansPerReq = sinkStats.spans / s2.served;
    return row;
  } catch (error) {
    load.close();
    await stopServer(server);
    throw new Error(`${label}: ${(error as Error).message}\n${server.stderr()}`);
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
// One sink per variant for the load test (see saturate()); the export path uses the first.
const sinks = new Map<string, { child: ChildProcess; port: number }>();
const results: Record<string, Record<string, Row[]>> = {}; // framework -> variant -> [rows per round]
/** framework -> the fixed rate of each round, and the variant whose saturation rate set it. */
const fixedRates: Record<string, Array<{ rate: number; slowest: string }>> = {};
let exportRows: ExportRow[] = [];
try {
  if (loadTest) {
    const own = await Promise.all(variants.map((v) => (v.preload.length ? startSinkProcess() : { child: sink, port: sinkPort })));
    variants.forEach((v, i) => sinks.set(v.name, own[i] as { child: ChildProcess; port: number }));
    const total = rounds * frameworks.length * variants.length;
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      for (const fw of frameworks) {
        const byVariant = (results[fw] ??= Object.fromEntries(variants.map((v) => [v.name, []])));
        // Every variant at saturation (in an order rotated by round), each server then left idle; the
        // slowest sets the round's fixed rate; then every server's latency phase in the same order.
        const order = variants.map((_, i) => variants[(i + r) % variants.length] as Variant);
        const up: Array<[Variant, Saturated]> = [];
        try {
          for (const v of order) {
            done++;
            up.push([v, await saturate(fw, v, sinks.get(v.name) as { child: ChildProcess; port: number }, `[${done}/${total}] round ${r + 1}/${rounds}`)]);
          }
        } catch (error) {
          for (const [, s] of up) {
            s.load.close();
            await stopServer(s.server);
          }
          throw error;
        }
        const slowest = up.reduce((a, b) => (b[1].row.rps < a[1].row.rps ? b : a));
        const rate = rateShare * slowest[1].row.rps;
        (fixedRates[fw] ??= [])[r] = { rate, slowest: slowest[0].name };
        for (const [v, s] of up) (byVariant[v.name] as Row[])[r] = await finish(s, latency ? rate : undefined);
      }
    }
  }
  exportRows = exportTest ? await exportPath(sinkPort, sink) : [];
} finally {
  for (const s of [sink, ...[...sinks.values()].map((x) => x.child)]) {
    if (s.connected) s.disconnect();
    s.kill();
  }
}
progress('');
process.stderr.write('\r\x1b[K');

// ---- report ---------------------------------------------------------------------------------
const lines: string[] = [];
const versions = (name: string): string => versionOf(root, name);
lines.push(
  `${started.toISOString()} · ${cpus().length} × ${cpus()[0]?.model.trim()} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · Node ${process.version} · ` +
    `sdk-trace ${versions('@opentelemetry/sdk-trace')} · instrumentation-http ${versions('@opentelemetry/instrumentation-http')} · stock auto-instrumentations-node ${versions('@opentelemetry/auto-instrumentations-node')} · ` +
    `autocannon ${versions('autocannon')} · load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')} · ${rounds} round(s) × ${duration} s · ${connections} connections · server ${pinned ? 'on CPU 0, load + sinks on CPU 1 (taskset)' : 'NOT pinned (taskset unavailable)'}`,
  '',
);
/** Achieved / offered at or above this counts as "kept up" (answers still in flight at the window's end are the rest). */
const KEPT_UP = 0.98;
interface Summary {
  rps: number;
  ratio: number;
  ratios: number[];
  cpuUsPerReq: number;
  extraCpuUs: number;
  rate: number;
  p50: number;
  p99: number;
  addedP50: number;
  addedP99: number;
  /** Lowest achieved / offered over the rounds. */
  keptUp: number;
  spansPerReq: number;
  warmupSeconds: number;
  errors: number;
}
const summary: Record<string, Record<string, Summary>> = {};
for (const [fw, byVariant] of Object.entries(results)) {
  const bare = byVariant.bare ?? [];
  const rates = fixedRates[fw] ?? [];
  lines.push(`### ${fw}`, '');
  if (latency) {
    lines.push(
      `Latency at a fixed rate of ${f(rateShare * 100)} % of the slowest variant's saturation rate in the round: ${rates.map((x) => `${f(x.rate)}/s (${x.slowest})`).join(', ')}; achieved / offered is the lowest over the rounds (≥ ${KEPT_UP} = kept up).`,
      '',
    );
  }
  lines.push(
    '| variant | req/s (median) | kept vs bare (median of per-round ratios) | per-round ratios | server CPU µs/req | extra CPU µs/req (median Δ) | p50 / p99 ms at the fixed rate | added p50 ms (median Δ) | added p99 ms (median Δ) | achieved / offered | spans exported / req | warm-up s (median) |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const fwSummary: Record<string, Summary> = (summary[fw] = {});
  const vsBare = (rows: Row[], value: (row: Row) => number | undefined, compare: (a: number, b: number) => number): number[] =>
    rows.map((row, i) => {
      const baseline = bare[i];
      return baseline ? compare(value(row) ?? NaN, value(baseline) ?? NaN) : NaN;
    });
  for (const [name, rows] of Object.entries(byVariant)) {
    const ratios = vsBare(rows, (x) => x.rps, (a, b) => a / b);
    const kept = rows.map((x) => (x.achieved ?? NaN) / (x.offered ?? NaN)).filter(Number.isFinite);
    const s: Summary = {
      rps: median(rows.map((x) => x.rps)),
      ratio: median(ratios),
      ratios,
      cpuUsPerReq: median(rows.map((x) => x.cpuUsPerReq)),
      extraCpuUs: median(vsBare(rows, (x) => x.cpuUsPerReq, (a, b) => a - b)),
      rate: median(rows.map((x) => x.rate ?? NaN)),
      p50: median(rows.map((x) => x.p50 ?? NaN)),
      p99: median(rows.map((x) => x.p99 ?? NaN)),
      addedP50: median(vsBare(rows, (x) => x.p50, (a, b) => a - b)),
      addedP99: median(vsBare(rows, (x) => x.p99, (a, b) => a - b)),
      keptUp: kept.length ? Math.min(...kept) : NaN,
      spansPerReq: median(rows.map((x) => x.spansPerReq ?? NaN)),
      warmupSeconds: median(rows.map((x) => x.warmupSeconds)),
      errors: rows.reduce((a, x) => a + (x.errors ?? 0) + (x.latErrors ?? 0), 0),
    };
    fwSummary[name] = s;
    const isBare = name === 'bare';
    lines.push(
      `| ${name} | ${f(s.rps)} | ${isBare ? '1' : f(s.ratio, 2)} | ${isBare ? '' : ratios.map((x) => f(x, 2)).join(' ')} | ${f(s.cpuUsPerReq, 1)} | ${isBare ? 'baseline' : signed(s.extraCpuUs, 1)} | ${latency ? `${f(s.p50, 2)} / ${f(s.p99, 2)}` : '–'} | ${isBare || !latency ? '' : signed(s.addedP50, 2)} | ${isBare || !latency ? '' : signed(s.addedP99, 2)} | ${latency ? f(s.keptUp, 3) : '–'} | ${f(s.spansPerReq, 2)} | ${f(s.warmupSeconds)} |${s.errors ? ` ${s.errors} errors` : ''}`,
    );
  }
  lines.push('');
}
// The two views issue 15 asks for, every framework in one table each: the cost at 100 % and 10 %
// sampling side by side, and the latency added at a rate that every variant sustains.
const fws = Object.keys(summary);
const others = variants.filter((v) => v.name !== 'bare').map((v) => v.name);
if (fws.length && others.length && summary[fws[0] as string]?.bare) {
  lines.push('### Side by side: extra CPU µs per request (throughput kept vs bare)', '');
  lines.push(`| framework | bare req/s | bare CPU µs/req | ${others.join(' | ')} |`, `| --- | ---: | ---: | ${others.map(() => '---:').join(' | ')} |`);
  for (const fw of fws) {
    const byName = summary[fw] as Record<string, Summary>;
    const bare = byName.bare as Summary;
    lines.push(`| ${fw} | ${f(bare.rps)} | ${f(bare.cpuUsPerReq, 1)} | ${others.map((n) => `${signed(byName[n]?.extraCpuUs, 1)} (${f(byName[n]?.ratio, 2)})`).join(' | ')} |`);
  }
  lines.push('');
  if (latency) {
    lines.push(`### Side by side: added p50 / p99 ms at ${f(rateShare * 100)} % of the slowest variant's rate (achieved / offered, lowest round)`, '');
    lines.push(`| framework | fixed rate /s (median) | bare p50 / p99 ms | ${others.join(' | ')} |`, `| --- | ---: | ---: | ${others.map(() => '---:').join(' | ')} |`);
    for (const fw of fws) {
      const byName = summary[fw] as Record<string, Summary>;
      const bare = byName.bare as Summary;
      const cell = (x: Summary | undefined): string => `${signed(x?.addedP50, 2)} / ${signed(x?.addedP99, 2)} (${f(x?.keptUp, 2)}${(x?.keptUp ?? 0) < KEPT_UP ? ', fell behind' : ''})`;
      lines.push(`| ${fw} | ${f(bare.rate)} | ${f(bare.p50, 2)} / ${f(bare.p99, 2)} (${f(bare.keptUp, 2)}) | ${others.map((n) => cell(byName[n])).join(' | ')} |`);
    }
    lines.push('');
  }
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
  writeFileSync(jsonOut, JSON.stringify({ started, rounds, duration, rateShare, fixedRates, results, summary, exportRows }, null, 2));
}
process.exit(0);
