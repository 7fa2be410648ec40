#!/usr/bin/env node
// What our OpenTelemetry preload adds to the latency of the end-to-end workflow path through all four
// services (issue 15: ≤ +5 ms p99 at a rate every variant sustains): frontend (Express 5) → workflow-orchestrator
// (Fastify 5) → model-router (gRPC), with the orchestrator's progress events → collaboration-hub
// (Koa 3 + Socket.IO) → a Socket.IO client in the workflow's session.
//
//   node tools/bench/src/workflow.bench.ts [--rounds 5] [--duration 20] [--warmup 15] [--warmup-max 45]
//        [--capacity 5] [--concurrency 8] [--rate-share 0.5] [--rewarm 5]
//        [--variants bare,ours-100,ours-10,stock-100] [--sessions 4]
//        [--model-latency-scale 0] [--max-other-cpu 0.25] [--attempts 3] [--smoke] [--json out.json]
//        [--keep-logs] [--service-node-args "--trace-gc"]
//
// Per round and variant the four services are started fresh (compiled apps/*/dist/main.js, all with
// the same variant, exporting to a discarding OTLP sink) against this machine's Redis and PostgreSQL,
// by @mcp/test-kit's startServices, as the system tests start them. Then: warm-up (closed loop), capacity
// (closed loop, `--concurrency` workflows in flight), and the services stay up, idle, until every
// variant of the round has had its capacity measured. The slowest capacity times --rate-share sets the
// round's fixed rate, a rate every variant sustains; then each variant again in the same order:
// --rewarm s at that rate, then --duration s measured (open loop), each workflow timed from its POST
// until it is observed complete, and the services are stopped. Each variant exports to its own sink.
// The warm-up is long on purpose: the path keeps getting faster for 15-20 s (JIT of four processes),
// so it runs at least --warmup s, then 3-s windows until two in a row agree within 5 % (--warmup-max).
// A workflow is complete when:
//
//   complete = the caller has the answer of POST /api/workflow/execute (HTTP 200, run status
//   "completed" — the orchestrator runs the steps inside the request and answers with the finished run,
//   after the hub took the run's progress events) AND a Socket.IO client that joined the workflow's
//   session has received the hub's `workflow:progress` event `run.finished` for that run's progress_id (what
//   another participant of the session sees). The later of the two ends the measurement.
//
// The services run on CPU 0 (taskset), this process (the load generator and the Socket.IO watchers)
// and the sink on CPU 1. Redis and PostgreSQL are the machine's own servers and are not pinned.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createHash, randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { io, type Socket } from 'socket.io-client';
import { appFacts, killAllServices, REPO_ROOT as root, serviceEntry, startServices, type Services, type ServiceProcess } from '@mcp/test-kit/services';
import { cliOptions, fixed as f, median, percentile, placeOnCpus, progress, request, signed, sleep, startSinkProcess, versionOf } from './lib/harness.ts';
import type { SinkStats } from './sink.ts';

const require = createRequire(import.meta.url);

// ---- arguments ------------------------------------------------------------------------------
const { flag, opt } = cliOptions();
const smoke = flag('--smoke');
const rounds = Number(opt('--rounds', smoke ? '1' : '5'));
const duration = Number(opt('--duration', smoke ? '2' : '20'));
const warmup = Number(opt('--warmup', smoke ? '1' : '15'));
const warmupMax = Number(opt('--warmup-max', smoke ? '1' : '45'));
const WARMUP_WINDOW_S = 3;
const capacitySeconds = Number(opt('--capacity', smoke ? '1' : '5'));
// The fixed rate: this share of the slowest variant's capacity in the round (a rate every variant
// sustains; half the bare capacity, the first version's choice, is overload for the instrumented ones).
const rateShare = Number(opt('--rate-share', '0.5'));
// Seconds at the fixed rate, not measured, before the measured window (the services idled meanwhile).
const rewarm = Number(opt('--rewarm', smoke ? '0' : '5'));
const concurrency = Number(opt('--concurrency', '8'));
const sessionCount = Number(opt('--sessions', '4'));
const modelLatencyScale = opt('--model-latency-scale', '0');
const variantNames = opt('--variants', 'bare,ours-100,ours-10,stock-100').split(',');
const jsonOut = opt('--json');
const keepLogs = flag('--keep-logs');
const maxOtherCpu = Number(opt('--max-other-cpu', smoke ? 'Infinity' : '0.25'));
const maxAttempts = Number(opt('--attempts', '3'));
// For diagnosis, e.g. --service-node-args "--trace-gc" (the lines land in the kept service logs).
const serviceNodeArgs = (opt('--service-node-args', '') || '').split(' ').filter(Boolean);
/** Bound of one workflow: the frontend's own WORKFLOW_TIMEOUT_MS is 30 s. */
const RESPONSE_TIMEOUT_MS = 35_000;
/** How long after its answer the run.finished event may still arrive before the workflow counts as an error. */
const EVENT_TIMEOUT_MS = 5_000;
/** The lowest fixed rate, workflows/s. */
const MIN_RATE = 1;
/** Sockets of the keep-alive client in the open-loop phase (as in load.bench.ts). */
const OPEN_LOOP_SOCKETS = 32;

for (const [name, value] of Object.entries({ rounds, duration, warmup, capacitySeconds, concurrency, sessionCount, rewarm })) {
  if (!Number.isFinite(value) || value < 0 || (name !== 'warmup' && name !== 'rewarm' && value === 0)) throw new Error(`bad --${name}: ${value}`);
}
if (!(rateShare > 0 && rateShare <= 1)) throw new Error(`bad --rate-share ${rateShare}: a share in (0, 1]`);

const liveDist = join(root, 'libs/otel-bootstrap/dist');
const stock = require.resolve('@opentelemetry/auto-instrumentations-node/register');
for (const file of [join(liveDist, 'register.js'), ...['model-router', 'collaboration-hub', 'workflow-orchestrator', 'frontend'].map(serviceEntry)]) {
  try {
    readFileSync(file);
  } catch {
    throw new Error(`${file} is missing: build first (npx nx run-many -t build -p @mcp/frontend @mcp/workflow-orchestrator @mcp/model-router @mcp/collaboration-hub), or run npx nx run @mcp/bench:bench-workflow`);
  }
}

/** A fingerprint of a build of our preload: hash of its .js files, and the newest file's time. */
function bootstrapBuild(dist: string): { hash: string; built: string } {
  const hash = createHash('sha256');
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = join(dir, e.name);
      if (e.isDirectory()) walk(file);
      else if (/\.c?js$/.test(e.name)) {
        hash.update(file.slice(dist.length)).update(readFileSync(file));
        newest = Math.max(newest, statSync(file).mtimeMs);
      }
    }
  };
  try {
    walk(dist);
  } catch {
    return { hash: 'missing', built: '' };
  }
  return { hash: hash.digest('hex').slice(0, 12), built: new Date(newest).toISOString() };
}

/**
 * Other sessions rebuild libs/otel-bootstrap/dist from their working copies, also in the middle of a
 * run: every round preloads a copy taken at the start (under tmp/ of the repository, so that it
 * resolves the same node_modules), and the report names that build and the git state.
 */
const snapshotDir = join(root, 'tmp', `bench-workflow-${process.pid}`, 'otel-bootstrap-dist');
function snapshotBootstrap(): { hash: string; built: string } {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = bootstrapBuild(liveDist);
    rmSync(snapshotDir, { recursive: true, force: true });
    cpSync(liveDist, snapshotDir, { recursive: true, preserveTimestamps: true });
    const copy = bootstrapBuild(snapshotDir);
    if (copy.hash === before.hash && copy.hash === bootstrapBuild(liveDist).hash) return copy;
  }
  throw new Error(`${liveDist} keeps changing (being rebuilt?): try again`);
}
const git = (...args: string[]): string => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
const gitHead = git('rev-parse', '--short', 'HEAD');
const bootstrapDirty = git('status', '--porcelain', '--', 'libs/otel-bootstrap') !== '';
const measuredBuild = snapshotBootstrap();
const ours = join(snapshotDir, 'register.js');

// ---- CPU placement --------------------------------------------------------------------------
const { pinned, prefix: servicePrefix } = placeOnCpus();

// ---- helpers --------------------------------------------------------------------------------
/** user + system CPU of a process in µs, from /proc (clock ticks of 10 ms); NaN when unreadable. */
function cpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return NaN;
  }
}

/** Busy CPU time of the whole machine in µs (every CPU, /proc/stat: all but idle, iowait and steal). */
function machineBusyUs(): number {
  try {
    const [, user = NaN, nice = NaN, system = NaN, , , irq = NaN, softirq = NaN] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq) * 1e6) / 100;
  } catch {
    return NaN;
  }
}

/** The machine's Redis and PostgreSQL processes: the services use them, so their CPU is the system's own. */
function datastorePids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      if (comm === 'redis-server' || comm === 'postgres') pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * CPU used over a window by everything but the system under test (the four services, Redis,
 * PostgreSQL) and this benchmark (this process, the sink), as a share of one CPU: other people's work
 * on a shared machine, kernel threads, and the interrupt/softirq time of the loopback traffic that the
 * kernel does not charge to a process (a few % on a quiet machine).
 */
function otherCpu(pids: number[]): () => number {
  const read = () => ({ at: performance.now(), machine: machineBusyUs(), ours: pids.reduce((a, pid) => a + (cpuUs(pid) || 0), 0) });
  const start = read();
  return () => {
    const end = read();
    return (end.machine - start.machine - (end.ours - start.ours)) / ((end.at - start.at) * 1000);
  };
}

// ---- variants -------------------------------------------------------------------------------
interface Variant {
  name: string;
  /** Node options that load the preload (none for bare). */
  preload: string[];
  env: Record<string, string>;
  /** The stock preload does not exit on SIGTERM: it gets a short grace. */
  stock: boolean;
}

function variantsFor(sinkPort: number): Variant[] {
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // No cloud metadata probes in either preload: they would only add start-up noise.
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container',
    OTEL_LOG_LEVEL: 'error',
  };
  const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  const all: Record<string, Omit<Variant, 'name' | 'stock'>> = {
    bare: { preload: [], env: {} },
    'ours-100': { preload: ['--require', ours], env: otel },
    'ours-10': { preload: ['--require', ours], env: { ...otel, ...ratio } },
    'stock-100': { preload: ['--require', stock], env: otel },
    'stock-10': { preload: ['--require', stock], env: { ...otel, ...ratio } },
  };
  return variantNames.map((name) => {
    const variant = all[name];
    if (!variant) throw new Error(`unknown variant ${name} (known: ${Object.keys(all).join(', ')})`);
    return { name, ...variant, stock: name.startsWith('stock') };
  });
}

// ---- the four services ----------------------------------------------------------------------
const benchId = `bench-wf-${process.pid}-${randomUUID().slice(0, 8)}`;
const logRoot = mkdtempSync(join(tmpdir(), 'mcp-bench-workflow-'));

/**
 * The four compiled services under `variant` on CPU 0, as the system tests start them, with each
 * service's own telemetry settings (deploy/apps.json). Their output goes to log files under
 * `logRoot/<tag>` (they log a pino line per request: reading it here would cost the load generator's CPU).
 */
function startSystem(variant: Variant, tag: string): Promise<Services> {
  const logDir = join(logRoot, tag);
  mkdirSync(logDir, { recursive: true });
  return startServices({
    internalApiSecret: `bench-${randomUUID()}`,
    logDir,
    // The variant's preload (none, ours, stock) and the SDK's own export intervals, as in production.
    spawn: { preload: 'none', nodeArgs: [...serviceNodeArgs, ...variant.preload], prefix: servicePrefix, quickExport: false },
    env: { HOST: '127.0.0.1', MODEL_LATENCY_SCALE: modelLatencyScale, ...variant.env },
    serviceEnv: {
      // Our own adapter channel: other hubs on this Redis (system tests of other sessions) stay out of it.
      hub: { REDIS_ADAPTER_KEY: `${benchId}-${tag}` },
      // The default 600 requests per client and minute would answer the load with 429.
      frontend: { CACHE_KEY_PREFIX: `${benchId}:`, RATE_LIMIT_PER_MINUTE: '100000000' },
    },
  });
}

/** The last lines each service wrote, for an error message. */
function serviceLogs(system: Services): string {
  const named: Array<[string, ServiceProcess]> = [
    ['model-router', system.modelRouter],
    ['collaboration-hub', system.hub],
    ['workflow-orchestrator', system.orchestrator],
    ['frontend', system.frontend],
  ];
  return named.map(([app, service]) => `--- ${app}\n${service.stdout().slice(-2000)}`).join('\n');
}

// ---- the client side ------------------------------------------------------------------------
/**
 * Socket.IO clients, one per session, joined as a participant would join: they see every
 * `workflow:progress` event of their session. `runFinished(progressId)` resolves with the arrival time
 * (performance.now()) of the run's `run.finished` event, also when it arrived before it was asked for.
 */
interface Watchers {
  sessions: string[];
  runFinished: (progressId: string) => Promise<number | undefined>;
  close: () => void;
}

async function startWatchers(hubUrl: string, tag: string): Promise<Watchers> {
  const sessions: string[] = [];
  const sockets: Socket[] = [];
  const arrived = new Map<string, number>(); // progress_id → time, for events that came before the answer
  const waiting = new Map<string, (at: number) => void>(); // progress_id → resolve
  for (let i = 0; i < sessionCount; i++) {
    const sessionId = `${benchId}-${tag}-${i}`;
    const socket = io(hubUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.on('workflow:progress', (event?: { type?: string; progress_id: string }) => {
      if (event?.type !== 'run.finished') return;
      const at = performance.now();
      const wake = waiting.get(event.progress_id);
      if (wake) {
        waiting.delete(event.progress_id);
        wake(at);
      } else arrived.set(event.progress_id, at);
    });
    await new Promise<void>((res, rej) => {
      socket.once('connect', () => res());
      socket.once('connect_error', rej);
    });
    const ack = (await socket.timeout(10_000).emitWithAck('session:join', { session_id: sessionId, user_id: `watcher-${i}` })) as { ok?: boolean } | undefined;
    if (!ack?.ok) throw new Error(`session:join refused: ${JSON.stringify(ack)}`);
    sessions.push(sessionId);
    sockets.push(socket);
  }
  const runFinished = (runId: string): Promise<number | undefined> => {
    const at = arrived.get(runId);
    if (at !== undefined) {
      arrived.delete(runId);
      return Promise.resolve(at);
    }
    return new Promise((res) => {
      const timer = setTimeout(() => {
        waiting.delete(runId);
        res(undefined);
      }, EVENT_TIMEOUT_MS);
      waiting.set(runId, (t) => {
        clearTimeout(timer);
        res(t);
      });
    });
  };
  return { sessions, runFinished, close: () => sockets.forEach((s) => s.close()) };
}

/**
 * A minimal keep-alive HTTP/1.1 client for POST /api/workflow/execute (as load.bench.ts's: raw
 * sockets, performance.now(), no node:http on the load core): `sockets` connections, a call waits for
 * a free one; a response is complete when its Content-Length body has arrived. A connection the
 * server closes (idle timeout) is replaced.
 */
interface Answer {
  status: number;
  body: string;
}
type Call = [raw: Buffer, resolve: (answer: Answer) => void, reject: (error: Error) => void];
type Connection = { socket: net.Socket; send: (...call: Call) => void };
interface WorkflowCaller {
  post: (path: string, body: unknown, headers: Record<string, string>) => Promise<Answer>;
  close: () => void;
}

function workflowCaller(port: number, sockets: number): WorkflowCaller {
  const free: Connection[] = [];
  const waiting: Call[] = [];
  const all = new Set<net.Socket>();
  let closed = false;
  const open = (): Connection => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    all.add(socket);
    let buf: Buffer = Buffer.alloc(0);
    let pending: { resolve: (answer: Answer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | undefined;
    const settle = (outcome: { ok: Answer } | { error: Error }): void => {
      const p = pending;
      pending = undefined;
      if (!p) return;
      clearTimeout(p.timer);
      if ('ok' in outcome) p.resolve(outcome.ok);
      else p.reject(outcome.error);
    };
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const headerEnd = buf.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const head = buf.subarray(0, headerEnd).toString('latin1');
      const m = /content-length: *(\d+)/i.exec(head);
      if (!m) {
        settle({ error: new Error('response without Content-Length') });
        socket.destroy();
        return;
      }
      const total = headerEnd + 4 + Number(m[1]);
      if (buf.length < total) return;
      const status = Number(head.slice(9, 12));
      const body = buf.subarray(headerEnd + 4, total).toString('utf8');
      buf = buf.subarray(total);
      const keep = !/\r\nconnection: *close/i.test(head);
      settle({ ok: { status, body } });
      if (keep) release(connection);
      else socket.destroy();
    });
    let dead = false;
    const gone = (error?: Error): void => {
      if (dead) return;
      dead = true;
      all.delete(socket);
      const i = free.indexOf(connection);
      if (i !== -1) free.splice(i, 1);
      settle({ error: error ?? new Error('connection closed') });
      if (!closed) release(open());
    };
    socket.on('error', (e) => gone(e));
    socket.on('close', () => gone());
    const connection: Connection = {
      socket,
      send: (raw, resolveCall, rejectCall) => {
        pending = {
          resolve: resolveCall,
          reject: rejectCall,
          timer: setTimeout(() => {
            settle({ error: new Error('timeout') });
            socket.destroy();
          }, RESPONSE_TIMEOUT_MS),
        };
        socket.write(raw);
      },
    };
    return connection;
  };
  const release = (connection: Connection): void => {
    if (connection.socket.destroyed) return;
    const next = waiting.shift();
    if (next) connection.send(...next);
    else free.push(connection);
  };
  for (let i = 0; i < sockets; i++) free.push(open());
  const post = (path: string, body: unknown, headers: Record<string, string>): Promise<Answer> => {
    const payload = Buffer.from(JSON.stringify(body));
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    const raw = Buffer.concat([Buffer.from(head, 'latin1'), payload]);
    return new Promise((res, rej) => {
      // FIFO: every connection stays busy, none idles into the server's keep-alive timeout.
      const connection = free.shift();
      if (connection) connection.send(raw, res, rej);
      else waiting.push([raw, res, rej]);
    });
  };
  return {
    post,
    close: () => {
      closed = true;
      for (const s of all) s.destroy();
    },
  };
}

/** The workflow the web page offers by default: a model answer (draft), then its keywords. */
function workflowBody(sessionId: string, n: number): Record<string, unknown> {
  return {
    workflow_type: 'bench',
    session_id: sessionId,
    input_data: { text: `otters hold hands while they sleep, request ${n % 1000}` },
    steps: [
      { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' },
      { type: 'data_processing', name: 'keywords', operation: 'extract_keywords', limit: 3 },
    ],
  };
}

/**
 * One workflow, as the page runs it (a fresh Idempotency-Key per run). Resolves with
 * { ok, t0, answerAt, doneAt, error }; never rejects.
 */
type Outcome = { ok: true; t0: number; answerAt: number; doneAt: number } | { ok: false; t0: number; error: string };

async function runWorkflow(caller: WorkflowCaller, watchers: Watchers, n: number): Promise<Outcome> {
  const sessionId = watchers.sessions[n % watchers.sessions.length] as string;
  const t0 = performance.now();
  let answer: Answer;
  try {
    answer = await caller.post('/api/workflow/execute', workflowBody(sessionId, n), { 'Idempotency-Key': `${benchId}-${n}-${randomUUID()}` });
  } catch (error) {
    const { message } = error as Error;
    return { ok: false, t0, error: message === 'timeout' ? 'timeout' : `connection: ${message}` };
  }
  const answerAt = performance.now();
  if (answer.status !== 200) return { ok: false, t0, error: `HTTP ${answer.status}` };
  let run: { status?: string; progress_id: string };
  try {
    run = JSON.parse(answer.body) as typeof run;
  } catch {
    return { ok: false, t0, error: 'answer not JSON' };
  }
  if (run.status !== 'completed') return { ok: false, t0, error: `run ${run.status}` };
  const eventAt = await watchers.runFinished(run.progress_id);
  if (eventAt === undefined) return { ok: false, t0, error: 'no run.finished event' };
  return { ok: true, t0, answerAt, doneAt: Math.max(answerAt, eventAt) };
}

let sequence = 0;

/** Closed loop: `workers` workflows in flight for `seconds`; counts the workflows completed inside the window. */
/** Failed workflows by reason. */
type Errors = Record<string, number>;

async function closedLoop(caller: WorkflowCaller, watchers: Watchers, seconds: number, workers: number): Promise<{ perSecond: number; completed: number; errors: Errors; started: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let completed = 0;
  const errors: Errors = {};
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const r = await runWorkflow(caller, watchers, sequence++);
        if (!r.ok) errors[r.error] = (errors[r.error] ?? 0) + 1;
        else completed++;
      }
    }),
  );
  // Every workflow started in the window, over the time until the last one finished: a workflow
  // longer than the window (a short --smoke window on a loaded machine) still counts, so a rate of 0
  // means nothing completed at all.
  return { perSecond: completed / ((performance.now() - start) / 1000), completed, errors, started: sequence };
}

/** Open loop at `rate` workflows/s, arrivals spread per millisecond, for `seconds`. */
interface Latencies {
  sent: number;
  ok: number;
  /** Workflows complete inside the window. */
  inWindow: number;
  errors: Errors;
  p50: number;
  p99: number;
  max: number | undefined;
  answerP50: number;
  answerP99: number;
}

async function openLoop(caller: WorkflowCaller, watchers: Watchers, seconds: number, rate: number): Promise<Latencies> {
  const e2e: number[] = [];
  const answer: number[] = [];
  const errors: Errors = {};
  const start = performance.now();
  const end = start + seconds * 1000;
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  let inWindow = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) {
      const p = runWorkflow(caller, watchers, sequence++).then((r) => {
        if (r.ok) {
          if (r.doneAt <= end) inWindow++;
          e2e.push(r.doneAt - r.t0);
          answer.push(r.answerAt - r.t0);
        } else errors[r.error] = (errors[r.error] ?? 0) + 1;
      });
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  e2e.sort((a, b) => a - b);
  answer.sort((a, b) => a - b);
  return { sent, ok: e2e.length, inWindow, errors, p50: percentile(e2e, 50), p99: percentile(e2e, 99), max: e2e.at(-1), answerP50: percentile(answer, 50), answerP99: percentile(answer, 99) };
}

// ---- one measurement ------------------------------------------------------------------------
const sumErrors = (...maps: Errors[]): number => maps.reduce((n, m) => n + Object.values(m).reduce((a, b) => a + b, 0), 0);
const mergeErrors = (...maps: Errors[]): Errors => {
  const out: Errors = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** One variant in one round. */
interface Row extends Latencies {
  capacity: number;
  cpuPerWorkflowMs: number;
  /** The larger of the two measured phases' (capacity, fixed rate). */
  otherCpuShare: number;
  rate: number;
  /** Workflows complete inside the fixed-rate window / workflows sent in it. */
  keptUp: number;
  warmupSeconds: number;
  warmupWindows: number[];
  errorCount: number;
  workflows: number;
  spansPerWorkflow: number;
  /** Attempts of the capacity phase and of the fixed-rate phase (see --max-other-cpu). */
  attempts?: number;
  latencyAttempts?: number;
}

type SinkProcess = { child: ChildProcess; port: number };

/** A variant's four services after warm-up and capacity, left running for the fixed-rate phase. */
interface Live {
  variant: Variant;
  system: Services;
  watchers: Watchers;
  sink: SinkProcess;
  label: string;
  /** Workflows sent to it so far (the sequence numbers are shared by the systems up at the same time). */
  workflows: number;
  warm: { errors: Errors; seconds: number; windows: number[] };
  capacity: { perSecond: number; errors: Errors };
  cpuPerWorkflowMs: number;
  capOther: number;
}

/** Every process of this benchmark and of the systems under test that are up: their CPU is not "other". */
let ownPids: () => number[] = () => [];

/** Starts the four services of `variant` (exporting to its own `sink`), warms them up and measures their capacity; they stay up. */
async function saturateSystem(variant: Variant, sink: SinkProcess, tag: string, dirName: string): Promise<Live> {
  await request<SinkStats>(sink.child, 'reset');
  const label = `${tag} ${variant.name}`;
  progress(`${label}: starting the four services`);
  // Each variant exports to a sink of its own: the systems of several variants are up at the same time.
  const system = await startSystem(variant.preload.length ? { ...variant, env: { ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` } } : variant, dirName);
  let watchers: Watchers | undefined;
  let closedCaller: WorkflowCaller | undefined;
  try {
    watchers = await startWatchers(system.hub.url, dirName);
    closedCaller = workflowCaller(system.frontend.port, concurrency);
    const first = sequence;
    // Warm-up: at least --warmup s, then windows of WARMUP_WINDOW_S until two in a row agree within 5 %.
    const warm: Live['warm'] = { errors: {}, seconds: 0, windows: [] };
    if (warmup > 0) {
      progress(`${label}: warm-up ${warmup} s`);
      const w0 = await closedLoop(closedCaller, watchers, warmup, concurrency);
      Object.assign(warm.errors, w0.errors);
      warm.seconds = warmup;
      while (warm.seconds + WARMUP_WINDOW_S <= warmupMax) {
        const w = await closedLoop(closedCaller, watchers, WARMUP_WINDOW_S, concurrency);
        warm.errors = mergeErrors(warm.errors, w.errors);
        warm.seconds += WARMUP_WINDOW_S;
        warm.windows.push(Math.round(w.perSecond));
        progress(`${label}: warm-up ${warm.seconds} s: ${warm.windows.join(' ')} workflows/s`);
        const [x, y] = warm.windows.slice(-2);
        if (x !== undefined && y !== undefined && Math.abs(y - x) <= 0.05 * Math.max(x, y)) break;
      }
    }
    progress(`${label}: capacity ${capacitySeconds} s, ${concurrency} in flight`);
    const pids = system.all().map((p) => p.pid);
    const other = otherCpu([...ownPids(), ...pids]);
    const cpu0 = pids.map(cpuUs);
    const cap = await closedLoop(closedCaller, watchers, capacitySeconds, concurrency);
    const cpu1 = pids.map(cpuUs);
    const capOther = other();
    closedCaller.close();
    const cpuPerWorkflowMs = cpu1.reduce((acc, x, i) => acc + x - (cpu0[i] ?? NaN), 0) / 1000 / Math.max(1, cap.completed);
    return { variant, system, watchers, sink, label, workflows: sequence - first, warm, capacity: { perSecond: cap.perSecond, errors: cap.errors }, cpuPerWorkflowMs, capOther };
  } catch (error) {
    closedCaller?.close();
    watchers?.close();
    await system.stop(1_000);
    throw new Error(`${variant.name}: ${(error as Error).message}\n${serviceLogs(system)}`);
  }
}

/** The fixed-rate phase; the services were idle while the other variants ran, so first `--rewarm` s at the rate, not measured. */
async function fixedRate(live: Live, rate: number): Promise<{ lat: Latencies; other: number; rewarmErrors: Errors }> {
  const caller = workflowCaller(live.system.frontend.port, OPEN_LOOP_SOCKETS);
  try {
    let rewarmErrors: Errors = {};
    if (rewarm > 0) {
      progress(`${live.label}: ${rate.toFixed(1)} workflows/s, ${rewarm} s after the wait`);
      rewarmErrors = (await openLoop(caller, live.watchers, rewarm, rate)).errors;
    }
    progress(`${live.label}: ${rate.toFixed(1)} workflows/s for ${duration} s`);
    const other = otherCpu([...ownPids(), ...live.system.all().map((p) => p.pid)]);
    const lat = await openLoop(caller, live.watchers, duration, rate);
    return { lat, other: other(), rewarmErrors };
  } finally {
    caller.close();
  }
}

/** Stops a variant's services and counts what its sink received. */
async function stopSystem(live: Live): Promise<SinkStats> {
  live.watchers.close();
  progress(`${live.label}: stopping`);
  // SIGTERM: our preload drains the app and flushes telemetry, then exits; the stock preload shuts its
  // SDK down (flushes) but leaves the process running, and bare Node exits at once.
  await live.system.stop(live.variant.stock ? 2_000 : 15_000);
  await sleep(100);
  return request<SinkStats>(live.sink.child, 'stats');
}

// ---- run ------------------------------------------------------------------------------------
const started = new Date();
const loadAtStart = loadavg();
// One sink per variant (the systems of several variants are up at once); bare's receives nothing.
const sinkList = await Promise.all(variantNames.map(() => startSinkProcess()));
const variants = variantsFor(sinkList[0]?.port ?? 0);
const sinks = new Map<string, SinkProcess>(variants.map((v, i) => [v.name, sinkList[i] as SinkProcess]));
const results: Record<string, Row[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
/** The fixed rate of each round and the variant whose capacity set it. */
const fixedRates: Array<{ rate: number; slowest: string }> = [];
const repeated: Array<{ round: number; variant: string; phase: 'capacity' | 'fixed rate'; otherCpuShare: number }> = [];
const liveSystems = new Set<Live>();
ownPids = () => [process.pid, ...sinkList.map((x) => x.child.pid ?? -1), ...datastorePids(), ...[...liveSystems].flatMap((l) => l.system.all().map((p) => p.pid))];
let failure: Error | undefined;
try {
  const total = rounds * variants.length;
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    // Every variant's warm-up and capacity (in an order rotated by round), each system then left idle;
    // the slowest sets the round's fixed rate; then every system's fixed-rate phase in the same order.
    const order = variants.map((_, i) => variants[(i + r) % variants.length] as Variant);
    const round: Array<{ live: Live; attempts: number }> = [];
    for (const v of order) {
      done++;
      for (let attempt = 1; ; attempt++) {
        const live = await saturateSystem(v, sinks.get(v.name) as SinkProcess, `[${done}/${total}] round ${r + 1}/${rounds}${attempt > 1 ? ` (attempt ${attempt})` : ''}`, `round-${r + 1}-${v.name}-${attempt}`);
        liveSystems.add(live);
        // A shared machine: a phase during which other processes took more than --max-other-cpu of a
        // CPU is repeated (at most --attempts times in all; the last one is kept, and reported).
        if (!(live.capOther > maxOtherCpu) || attempt >= maxAttempts) {
          round.push({ live, attempts: attempt });
          break;
        }
        repeated.push({ round: r + 1, variant: v.name, phase: 'capacity', otherCpuShare: live.capOther });
        liveSystems.delete(live);
        await stopSystem(live);
      }
    }
    const slowest = round.reduce((x, y) => (y.live.capacity.perSecond < x.live.capacity.perSecond ? y : x));
    // At least one workflow a second: a capacity of 0 (no workflow completed at all) says nothing of
    // the rate, and a rate of 0 would measure nothing.
    const rate = Math.max(MIN_RATE, rateShare * slowest.live.capacity.perSecond);
    fixedRates[r] = { rate, slowest: slowest.live.variant.name };
    for (const { live, attempts } of round) {
      const before = sequence;
      let measured = await fixedRate(live, rate);
      let latencyAttempts = 1;
      while (measured.other > maxOtherCpu && latencyAttempts < maxAttempts) {
        repeated.push({ round: r + 1, variant: live.variant.name, phase: 'fixed rate', otherCpuShare: measured.other });
        latencyAttempts++;
        measured = await fixedRate(live, rate);
      }
      const { lat, other, rewarmErrors } = measured;
      const workflows = live.workflows + sequence - before;
      liveSystems.delete(live);
      const sinkStats = await stopSystem(live);
      const errors = mergeErrors(live.warm.errors, live.capacity.errors, rewarmErrors, lat.errors);
      (results[live.variant.name] as Row[])[r] = {
        capacity: live.capacity.perSecond,
        cpuPerWorkflowMs: live.cpuPerWorkflowMs,
        otherCpuShare: Math.max(live.capOther, other),
        rate,
        keptUp: lat.inWindow / Math.max(1, lat.sent),
        ...lat,
        warmupSeconds: live.warm.seconds,
        warmupWindows: live.warm.windows,
        errors,
        errorCount: sumErrors(errors),
        workflows,
        spansPerWorkflow: sinkStats.spans / workflows,
        attempts,
        latencyAttempts,
      };
    }
  }
} catch (error) {
  failure = error as Error;
} finally {
  for (const live of liveSystems) {
    live.watchers.close();
    await live.system.stop(1_000);
  }
  // Any service left by a failure part-way through a start.
  await killAllServices();
  for (const { child } of sinkList) {
    if (child.connected) child.disconnect();
    child.kill();
  }
  if (!keepLogs && !failure) rmSync(logRoot, { recursive: true, force: true });
  rmSync(dirname(snapshotDir), { recursive: true, force: true });
}
progress('');
process.stderr.write('\r\x1b[K');
if (keepLogs) process.stderr.write(`service logs: ${logRoot}\n`);
if (failure) {
  process.stderr.write(`workflow benchmark failed: ${failure.stack ?? failure.message}\n(service logs kept in ${logRoot})\n`);
  process.exit(1);
}

// ---- report ---------------------------------------------------------------------------------
const versions = (name: string): string => versionOf(root, name);
const liveAtEnd = bootstrapBuild(liveDist);
const buildText =
  `our preload: a copy of libs/otel-bootstrap/dist taken at the start, build ${measuredBuild.hash} (newest file ${measuredBuild.built}), git ${gitHead}${bootstrapDirty ? ' with uncommitted changes under libs/otel-bootstrap' : ''}` +
  (liveAtEnd.hash === measuredBuild.hash ? '' : ` (libs/otel-bootstrap/dist was rebuilt meanwhile: ${liveAtEnd.hash}, ${liveAtEnd.built})`);
const lines: string[] = [];
lines.push(
  `${started.toISOString()} · ${cpus().length} × ${cpus()[0]?.model.trim()} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · Node ${process.version} · ` +
    `sdk-trace ${versions('@opentelemetry/sdk-trace')} · stock auto-instrumentations-node ${versions('@opentelemetry/auto-instrumentations-node')} · ` +
    `load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')} · ` +
    `${rounds} round(s): warm-up ≥ ${warmup} s until steady (≤ ${warmupMax} s; median ${f(median(Object.values(results).flatMap((rows) => rows.map((x) => x.warmupSeconds))))} s), capacity ${capacitySeconds} s (${concurrency} in flight), then ${rewarm} s + ${duration} s measured at ${f(rateShare * 100)} % of the slowest variant's capacity in the round: ${fixedRates.map((x) => `${f(x.rate, 1)}/s (${x.slowest})`).join(', ')} · ` +
    `${sessionCount} sessions, one Socket.IO watcher each · MODEL_LATENCY_SCALE=${modelLatencyScale} · ` +
    `hub with OTEL_NODE_DISABLED_INSTRUMENTATIONS=${appFacts('collaboration-hub').telemetryEnv['OTEL_NODE_DISABLED_INSTRUMENTATIONS']} in every instrumented variant · ` +
    `services ${pinned ? 'on CPU 0, load + watchers + sink on CPU 1 (taskset), Redis/PostgreSQL unpinned' : 'NOT pinned (taskset unavailable)'} · ${buildText}`,
  '',
  '| variant | workflows/s at saturation (median) | kept vs bare (median of per-round ratios) | CPU ms / workflow, 4 services | fixed rate /s | achieved / offered (lowest round) | e2e p50 / p99 ms (median) | added p50 ms (median Δ) | added p99 ms (median Δ) | per-round added p99 | answer-only p99 ms | spans / workflow | errors |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
);
const summary: Record<string, Record<string, unknown>> = {};
const bare = results['bare'] ?? [];
for (const [name, rows] of Object.entries(results)) {
  const isBare = name === 'bare';
  const delta = (key: 'p50' | 'p99'): number[] => rows.map((row, i) => row[key] - (bare[i]?.[key] ?? NaN));
  const s = {
    capacity: median(rows.map((x) => x.capacity)),
    kept: median(rows.map((row, i) => row.capacity / (bare[i]?.capacity ?? NaN))),
    cpuPerWorkflowMs: median(rows.map((x) => x.cpuPerWorkflowMs)),
    rate: median(rows.map((x) => x.rate)),
    keptUp: Math.min(...rows.map((x) => x.keptUp)),
    p50: median(rows.map((x) => x.p50)),
    p99: median(rows.map((x) => x.p99)),
    addedP50: median(delta('p50')),
    addedP99: median(delta('p99')),
    addedP99PerRound: delta('p99'),
    answerP99: median(rows.map((x) => x.answerP99)),
    spansPerWorkflow: median(rows.map((x) => x.spansPerWorkflow)),
    errors: mergeErrors(...rows.map((x) => x.errors)),
    errorCount: rows.reduce((a, x) => a + x.errorCount, 0),
  };
  summary[name] = s;
  const errorText = s.errorCount === 0 ? '0' : `${s.errorCount} (${Object.entries(s.errors).map(([k, v]) => `${k}: ${v}`).join(', ')})`;
  lines.push(
    `| ${name} | ${f(s.capacity)} | ${isBare ? '1' : f(s.kept, 2)} | ${f(s.cpuPerWorkflowMs, 2)} | ${f(s.rate, 1)} | ${f(s.keptUp, 3)} | ${f(s.p50, 2)} / ${f(s.p99, 2)} | ${isBare ? 'baseline' : signed(s.addedP50, 2)} | ${isBare ? 'baseline' : signed(s.addedP99, 2)} | ${isBare ? '' : s.addedP99PerRound.map((x) => signed(x, 2)).join(' ')} | ${f(s.answerP99, 2)} | ${f(s.spansPerWorkflow, 1)} | ${errorText} |`,
  );
}
const others = Object.values(results).flatMap((rows) => rows.map((x) => x.otherCpuShare));
lines.push(
  '',
  `CPU used by other processes during the measured phases (not the four services, Redis, PostgreSQL, this harness or its sink: other people's work on a shared machine, kernel threads and softirq), share of one CPU, in the measurements kept: median ${f(Math.max(0, median(others)) * 100)} %, max ${f(Math.max(0, ...others) * 100)} % (per measurement in --json). ` +
    (repeated.length === 0
      ? `No measurement was repeated (${Number.isFinite(maxOtherCpu) ? `threshold ${f(maxOtherCpu * 100)} %` : 'no threshold'}).`
      : `Repeated because other processes took more than ${f(maxOtherCpu * 100)} %: ${repeated.map((x) => `round ${x.round} ${x.variant} ${x.phase} (${f(x.otherCpuShare * 100)} %)`).join(', ')}.`),
  '',
);
process.stdout.write(lines.join('\n') + '\n');
if (jsonOut) {
  mkdirSync(dirname(resolve(jsonOut)), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ started, bootstrap: { measured: measuredBuild, liveAtEnd, gitHead, bootstrapDirty }, rounds, duration, warmup, warmupMax, capacitySeconds, rateShare, rewarm, fixedRates, concurrency, sessionCount, modelLatencyScale, pinned, maxOtherCpu, repeated, results, summary }, null, 2));
}
process.exit(0);
