#!/usr/bin/env node
// What our OpenTelemetry preload adds to the latency of the end-to-end workflow path through all four
// services (issue 5: ≤ +2 ms p99 at half load): frontend (Express 5) → workflow-orchestrator
// (Fastify 5) → model-router (gRPC), with the orchestrator's progress events → collaboration-hub
// (Koa 3 + Socket.IO) → a Socket.IO client in the workflow's session.
//
//   node tools/bench/src/workflow.bench.mjs [--rounds 5] [--duration 20] [--warmup 15] [--warmup-max 45]
//        [--capacity 5] [--concurrency 8] [--variants bare,ours-100,ours-10,stock-100] [--sessions 4]
//        [--model-latency-scale 0] [--max-other-cpu 0.25] [--attempts 3] [--smoke] [--json out.json]
//        [--keep-logs] [--service-node-args "--trace-gc"]
//
// Per round and variant the four services are started fresh (compiled apps/*/dist/main.js, all with
// the same variant, exporting to a discarding OTLP sink) against this machine's Redis and PostgreSQL,
// as tools/system-tests/test/support/system.ts starts them. Then: warm-up (closed loop), capacity
// (closed loop, `--concurrency` workflows in flight), then open loop at half the bare capacity of the
// same round for `--duration` s, each workflow timed from its POST until it is observed complete.
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
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { cliOptions, median, percentile, placeOnCpus, progress, request, sleep, startSinkProcess } from './lib/harness.mjs';
import { createHash, randomUUID } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const require = createRequire(import.meta.url);

// ---- arguments ------------------------------------------------------------------------------
const { flag, opt } = cliOptions();
const smoke = flag('--smoke');
const rounds = Number(opt('--rounds', smoke ? 1 : 5));
const duration = Number(opt('--duration', smoke ? 2 : 20));
const warmup = Number(opt('--warmup', smoke ? 1 : 15));
const warmupMax = Number(opt('--warmup-max', smoke ? 1 : 45));
const WARMUP_WINDOW_S = 3;
const capacitySeconds = Number(opt('--capacity', smoke ? 1 : 5));
const concurrency = Number(opt('--concurrency', 8));
const sessionCount = Number(opt('--sessions', 4));
const modelLatencyScale = opt('--model-latency-scale', '0');
const variantNames = opt('--variants', 'bare,ours-100,ours-10,stock-100').split(',');
const jsonOut = opt('--json', undefined);
const keepLogs = flag('--keep-logs');
const maxOtherCpu = Number(opt('--max-other-cpu', smoke ? Infinity : 0.25));
const maxAttempts = Number(opt('--attempts', 3));
// For diagnosis, e.g. --service-node-args "--trace-gc" (the lines land in the kept service logs).
const serviceNodeArgs = (opt('--service-node-args', '') || '').split(' ').filter(Boolean);
/** Bound of one workflow: the frontend's own WORKFLOW_TIMEOUT_MS is 30 s. */
const RESPONSE_TIMEOUT_MS = 35_000;
/** How long after its answer the run.finished event may still arrive before the workflow counts as an error. */
const EVENT_TIMEOUT_MS = 5_000;
/** Sockets of the keep-alive client in the open-loop phase (as in load.bench.mjs). */
const OPEN_LOOP_SOCKETS = 32;

for (const [name, value] of Object.entries({ rounds, duration, warmup, capacitySeconds, concurrency, sessionCount })) {
  if (!Number.isFinite(value) || value < 0 || (name !== 'warmup' && value === 0)) throw new Error(`bad --${name}: ${value}`);
}

const liveDist = join(root, 'libs/otel-bootstrap/dist');
const stock = require.resolve('@opentelemetry/auto-instrumentations-node/register');
const entry = (app) => join(root, 'apps', app, 'dist/main.js');
for (const file of [join(liveDist, 'register.js'), ...['model-router', 'collaboration-hub', 'workflow-orchestrator', 'frontend'].map(entry)]) {
  try {
    readFileSync(file);
  } catch {
    throw new Error(`${file} is missing: build first (npx nx run-many -t build -p @mcp/frontend @mcp/workflow-orchestrator @mcp/model-router @mcp/collaboration-hub), or run npx nx run @mcp/bench:bench-workflow`);
  }
}
const { io } = require('socket.io-client');

/** A fingerprint of a build of our preload: hash of its .js files, and the newest file's time. */
function bootstrapBuild(dist) {
  const hash = createHash('sha256');
  let newest = 0;
  const walk = (dir) => {
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
function snapshotBootstrap() {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = bootstrapBuild(liveDist);
    rmSync(snapshotDir, { recursive: true, force: true });
    cpSync(liveDist, snapshotDir, { recursive: true, preserveTimestamps: true });
    const copy = bootstrapBuild(snapshotDir);
    if (copy.hash === before.hash && copy.hash === bootstrapBuild(liveDist).hash) return copy;
  }
  throw new Error(`${liveDist} keeps changing (being rebuilt?): try again`);
}
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
const gitHead = git('rev-parse', '--short', 'HEAD');
const bootstrapDirty = git('status', '--porcelain', '--', 'libs/otel-bootstrap') !== '';
const measuredBuild = snapshotBootstrap();
const ours = join(snapshotDir, 'register.js');

// ---- CPU placement --------------------------------------------------------------------------
const { pinned, command: serviceCommand } = placeOnCpus();

// ---- helpers --------------------------------------------------------------------------------


/** user + system CPU of a process in µs, from /proc (clock ticks of 10 ms); NaN when unreadable. */
function cpuUs(pid) {
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
function machineBusyUs() {
  try {
    const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq) * 1e6) / 100;
  } catch {
    return NaN;
  }
}

/** The machine's Redis and PostgreSQL processes: the services use them, so their CPU is the system's own. */
function datastorePids() {
  const pids = [];
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
function otherCpu(pids) {
  const read = () => ({ at: performance.now(), machine: machineBusyUs(), ours: pids.reduce((a, pid) => a + (cpuUs(pid) || 0), 0) });
  const start = read();
  return () => {
    const end = read();
    return (end.machine - start.machine - (end.ours - start.ours)) / ((end.at - start.at) * 1000);
  };
}

// ---- the sink -------------------------------------------------------------------------------

// ---- variants -------------------------------------------------------------------------------
/** Each service's own telemetry settings (deploy/apps.json), as its image, serve/start targets and the system tests run it. */
const { appFacts } = require(join(root, 'deploy/docker/app-facts.cjs'));
const telemetryEnvOf = (app) => appFacts(app).telemetryEnv;

function variantsFor(sinkPort) {
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // No cloud metadata probes in either preload: they would only add start-up noise.
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container',
    OTEL_LOG_LEVEL: 'error',
  };
  const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  const all = {
    bare: { preload: [], env: {} },
    'ours-100': { preload: ['--require', ours], env: otel },
    'ours-10': { preload: ['--require', ours], env: { ...otel, ...ratio } },
    'stock-100': { preload: ['--require', stock], env: otel },
    'stock-10': { preload: ['--require', stock], env: { ...otel, ...ratio } },
  };
  return variantNames.map((name) => {
    if (!all[name]) throw new Error(`unknown variant ${name} (known: ${Object.keys(all).join(', ')})`);
    return { name, ...all[name], instrumented: name !== 'bare', stock: name.startsWith('stock') };
  });
}

// ---- the four services ----------------------------------------------------------------------
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const benchId = `bench-wf-${process.pid}-${randomUUID().slice(0, 8)}`;
const logRoot = mkdtempSync(join(tmpdir(), 'mcp-bench-workflow-'));

/** The parent's environment minus anything that changes how a service starts or what it exports. */
function baseEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key === 'NODE_OPTIONS' || key.startsWith('VITEST') || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return env;
}

/**
 * Starts one compiled service under `variant` on CPU 0. Its stdout and stderr go to a log file (the
 * services log a pino line per request: reading them here would cost the load generator's CPU), which
 * is polled for the `{"msg":"listening","port":N}` line.
 */
async function startService(app, variant, env, logDir) {
  const logFile = join(logDir, `${app}.log`);
  const fd = openSync(logFile, 'w');
  const [cmd, args] = serviceCommand([...serviceNodeArgs, ...variant.preload, entry(app)]);
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const log = () => readFileSync(logFile, 'utf8');
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${app}/${variant.name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${log().slice(-4000)}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app}/${variant.name}: not listening within 30 s:\n${log().slice(-4000)}`);
    }
    for (const line of log().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line);
        if (parsed.msg === 'listening' && typeof parsed.port === 'number') return { app, child, port: parsed.port, url: `http://127.0.0.1:${parsed.port}`, log };
      } catch {
        // not every line is JSON
      }
    }
    await sleep(50);
  }
}

async function stopService(service, graceMs) {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // SIGTERM: our preload drains the app and flushes telemetry, then exits; the stock preload shuts its
  // SDK down (flushes) but leaves the process running, and bare Node exits at once.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** model-router and hub, then the orchestrator (needs both), then the frontend, as system.ts does. */
async function startSystem(variant, tag) {
  const logDir = join(logRoot, tag);
  mkdirSync(logDir, { recursive: true });
  const secret = `bench-${randomUUID()}`;
  const common = {
    ...baseEnv(),
    REDIS_URL,
    DATABASE_URL,
    INTERNAL_API_SECRET: secret,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MODEL_LATENCY_SCALE: modelLatencyScale,
    ...variant.env,
  };
  const envOf = (serviceName, extra = {}) => ({ ...common, ...(variant.instrumented ? telemetryEnvOf(serviceName) : {}), ...extra });
  const started = [];
  try {
    const first = await Promise.allSettled([
      startService('model-router', variant, envOf('model-router'), logDir),
      startService(
        'collaboration-hub',
        variant,
        envOf('collaboration-hub', {
          // Our own adapter channel: other hubs on this Redis (system tests of other sessions) stay out of it.
          REDIS_ADAPTER_KEY: `${benchId}-${tag}`,
        }),
        logDir,
      ),
    ]);
    // Whichever of the two started is stopped again if the other did not.
    for (const r of first) if (r.status === 'fulfilled') started.push(r.value);
    const failed = first.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [router, hub] = started;
    const orchestrator = await startService(
      'workflow-orchestrator',
      variant,
      envOf('workflow-orchestrator', { MODEL_ROUTER_ADDRESS: `127.0.0.1:${router.port}`, COLLABORATION_HUB_URL: hub.url }),
      logDir,
    );
    started.push(orchestrator);
    const frontend = await startService(
      'frontend',
      variant,
      envOf('frontend', {
        MODEL_ROUTER_ADDRESS: `127.0.0.1:${router.port}`,
        WORKFLOW_ORCHESTRATOR_URL: orchestrator.url,
        COLLABORATION_HUB_URL: hub.url,
        CACHE_KEY_PREFIX: `${benchId}:`,
        // The default 600 requests per client and minute would answer the load with 429.
        RATE_LIMIT_PER_MINUTE: '100000000',
        LEDGER_OUTBOX_PATH: join(logDir, 'ledger-outbox.sqlite'),
      }),
      logDir,
    );
    started.push(frontend);
    return { router, hub, orchestrator, frontend, services: started, logDir };
  } catch (error) {
    await Promise.all(started.map((s) => stopService(s, 1_000)));
    throw error;
  }
}

// ---- the client side ------------------------------------------------------------------------
/**
 * Socket.IO clients, one per session, joined as a participant would join: they see every
 * `workflow:progress` event of their session. `runFinished(progressId)` resolves with the arrival time
 * (performance.now()) of the run's `run.finished` event, also when it arrived before it was asked for.
 */
async function startWatchers(hubUrl, tag) {
  const sessions = [];
  const sockets = [];
  const arrived = new Map(); // progress_id → time, for events that came before the answer
  const waiting = new Map(); // progress_id → resolve
  for (let i = 0; i < sessionCount; i++) {
    const sessionId = `${benchId}-${tag}-${i}`;
    const socket = io(hubUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.on('workflow:progress', (event) => {
      if (event?.type !== 'run.finished') return;
      const at = performance.now();
      const wake = waiting.get(event.progress_id);
      if (wake) {
        waiting.delete(event.progress_id);
        wake(at);
      } else arrived.set(event.progress_id, at);
    });
    await new Promise((res, rej) => {
      socket.once('connect', res);
      socket.once('connect_error', rej);
    });
    const ack = await socket.timeout(10_000).emitWithAck('session:join', { session_id: sessionId, user_id: `watcher-${i}` });
    if (!ack?.ok) throw new Error(`session:join refused: ${JSON.stringify(ack)}`);
    sessions.push(sessionId);
    sockets.push(socket);
  }
  const runFinished = (runId) => {
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
 * A minimal keep-alive HTTP/1.1 client for POST /api/workflow/execute (as load.bench.mjs's: raw
 * sockets, performance.now(), no node:http on the load core): `sockets` connections, a call waits for
 * a free one; a response is complete when its Content-Length body has arrived. A connection the
 * server closes (idle timeout) is replaced.
 */
function workflowCaller(port, sockets) {
  const free = [];
  const waiting = [];
  const all = new Set();
  let closed = false;
  const open = () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    all.add(socket);
    let buf = Buffer.alloc(0);
    let pending; // { resolve, reject, timer }
    const settle = (fn, value) => {
      const p = pending;
      pending = undefined;
      if (!p) return;
      clearTimeout(p.timer);
      if (fn === 'ok') p.resolve(value);
      else p.reject(value);
    };
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const headerEnd = buf.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const head = buf.subarray(0, headerEnd).toString('latin1');
      const m = /content-length: *(\d+)/i.exec(head);
      if (!m) {
        settle('err', new Error('response without Content-Length'));
        socket.destroy();
        return;
      }
      const total = headerEnd + 4 + Number(m[1]);
      if (buf.length < total) return;
      const status = Number(head.slice(9, 12));
      const body = buf.subarray(headerEnd + 4, total).toString('utf8');
      buf = buf.subarray(total);
      const keep = !/\r\nconnection: *close/i.test(head);
      settle('ok', { status, body });
      if (keep) release(socket);
      else socket.destroy();
    });
    let dead = false;
    const gone = (error) => {
      if (dead) return;
      dead = true;
      all.delete(socket);
      const i = free.indexOf(socket);
      if (i !== -1) free.splice(i, 1);
      settle('err', error ?? new Error('connection closed'));
      if (!closed) release(open());
    };
    socket.on('error', (e) => gone(e));
    socket.on('close', () => gone());
    socket.send = (raw, resolveCall, rejectCall) => {
      pending = {
        resolve: resolveCall,
        reject: rejectCall,
        timer: setTimeout(() => {
          settle('err', new Error('timeout'));
          socket.destroy();
        }, RESPONSE_TIMEOUT_MS),
      };
      socket.write(raw);
    };
    return socket;
  };
  const release = (socket) => {
    if (socket.destroyed) return;
    const next = waiting.shift();
    if (next) socket.send(...next);
    else free.push(socket);
  };
  for (let i = 0; i < sockets; i++) free.push(open());
  const post = (path, body, headers) => {
    const payload = Buffer.from(JSON.stringify(body));
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    const raw = Buffer.concat([Buffer.from(head, 'latin1'), payload]);
    return new Promise((res, rej) => {
      // FIFO: every connection stays busy, none idles into the server's keep-alive timeout.
      const socket = free.shift();
      if (socket) socket.send(raw, res, rej);
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
function workflowBody(sessionId, n) {
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
async function runWorkflow(caller, watchers, n) {
  const sessionId = watchers.sessions[n % watchers.sessions.length];
  const t0 = performance.now();
  let answer;
  try {
    answer = await caller.post('/api/workflow/execute', workflowBody(sessionId, n), { 'Idempotency-Key': `${benchId}-${n}-${randomUUID()}` });
  } catch (error) {
    return { ok: false, t0, error: error.message === 'timeout' ? 'timeout' : `connection: ${error.message}` };
  }
  const answerAt = performance.now();
  if (answer.status !== 200) return { ok: false, t0, error: `HTTP ${answer.status}` };
  let run;
  try {
    run = JSON.parse(answer.body);
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
async function closedLoop(caller, watchers, seconds, workers) {
  const start = performance.now();
  const end = start + seconds * 1000;
  let completed = 0;
  const errors = {};
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const r = await runWorkflow(caller, watchers, sequence++);
        if (!r.ok) errors[r.error] = (errors[r.error] ?? 0) + 1;
        else if (r.doneAt <= end) completed++;
      }
    }),
  );
  return { perSecond: completed / seconds, completed, errors, started: sequence };
}

/** Open loop at `rate` workflows/s, arrivals spread per millisecond, for `seconds`. */
async function openLoop(caller, watchers, seconds, rate) {
  const e2e = [];
  const answer = [];
  const errors = {};
  const start = performance.now();
  const end = start + seconds * 1000;
  const inflight = new Set();
  let sent = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) {
      const p = runWorkflow(caller, watchers, sequence++).then((r) => {
        if (r.ok) {
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
  return { sent, ok: e2e.length, errors, p50: percentile(e2e, 50), p99: percentile(e2e, 99), max: e2e.at(-1), answerP50: percentile(answer, 50), answerP99: percentile(answer, 99) };
}

// ---- one measurement ------------------------------------------------------------------------
const sumErrors = (...maps) => maps.reduce((n, m) => n + Object.values(m ?? {}).reduce((a, b) => a + b, 0), 0);
const mergeErrors = (...maps) => {
  const out = {};
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
};

async function measure(variant, bareCapacity, sink, tag, dirName) {
  await request(sink, 'reset');
  const label = `${tag} ${variant.name}`;
  progress(`${label}: starting the four services`);
  const system = await startSystem(variant, dirName);
  let watchers;
  let closedCaller;
  let openCaller;
  try {
    watchers = await startWatchers(system.hub.url, variant.name);
    closedCaller = workflowCaller(system.frontend.port, concurrency);
    const first = sequence;
    // Warm-up: at least --warmup s, then windows of WARMUP_WINDOW_S until two in a row agree within 5 %.
    const warm = { errors: {}, seconds: 0, windows: [] };
    if (warmup > 0) {
      progress(`${label}: warm-up ${warmup} s`);
      const first = await closedLoop(closedCaller, watchers, warmup, concurrency);
      Object.assign(warm.errors, first.errors);
      warm.seconds = warmup;
      while (warm.seconds + WARMUP_WINDOW_S <= warmupMax) {
        const w = await closedLoop(closedCaller, watchers, WARMUP_WINDOW_S, concurrency);
        warm.errors = mergeErrors(warm.errors, w.errors);
        warm.seconds += WARMUP_WINDOW_S;
        warm.windows.push(Math.round(w.perSecond));
        progress(`${label}: warm-up ${warm.seconds} s: ${warm.windows.join(' ')} workflows/s`);
        const [a, b] = warm.windows.slice(-2);
        if (b !== undefined && Math.abs(b - a) <= 0.05 * Math.max(a, b)) break;
      }
    }
    progress(`${label}: capacity ${capacitySeconds} s, ${concurrency} in flight`);
    const pids = system.services.map((s) => s.child.pid);
    const other = otherCpu([...pids, process.pid, sink.pid, ...datastorePids()]);
    const cpu0 = pids.map(cpuUs);
    const cap = await closedLoop(closedCaller, watchers, capacitySeconds, concurrency);
    const cpu1 = pids.map(cpuUs);
    closedCaller.close();
    const cpuPerWorkflowMs = cpu1.reduce((a, x, i) => a + x - cpu0[i], 0) / 1000 / Math.max(1, cap.completed);
    const rate = (bareCapacity ?? cap.perSecond) / 2;
    progress(`${label}: ${rate.toFixed(0)} workflows/s for ${duration} s`);
    openCaller = workflowCaller(system.frontend.port, OPEN_LOOP_SOCKETS);
    const lat = await openLoop(openCaller, watchers, duration, rate);
    const workflows = sequence - first;
    const otherCpuShare = other();
    openCaller.close();
    watchers.close();
    progress(`${label}: stopping`);
    await Promise.all(system.services.map((s) => stopService(s, variant.stock ? 2_000 : 15_000)));
    await sleep(100);
    const sinkStats = await request(sink, 'stats');
    return {
      capacity: cap.perSecond,
      cpuPerWorkflowMs,
      otherCpuShare,
      rate,
      ...lat,
      warmupSeconds: warm.seconds,
      warmupWindows: warm.windows,
      errors: mergeErrors(warm.errors, cap.errors, lat.errors),
      errorCount: sumErrors(warm.errors, cap.errors, lat.errors),
      workflows,
      spansPerWorkflow: sinkStats.spans / workflows,
    };
  } catch (error) {
    closedCaller?.close();
    openCaller?.close();
    watchers?.close();
    await Promise.all(system.services.map((s) => stopService(s, 1_000)));
    throw new Error(`${variant.name}: ${error.message}\n${system.services.map((s) => `--- ${s.app}\n${s.log().slice(-2000)}`).join('\n')}`);
  }
}

// ---- run ------------------------------------------------------------------------------------
const started = new Date();
const loadAtStart = loadavg();
const { child: sink, port: sinkPort } = await startSinkProcess();
const variants = variantsFor(sinkPort);
const results = Object.fromEntries(variants.map((v) => [v.name, []]));
const repeated = [];
let failure;
try {
  const total = rounds * variants.length;
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    // Bare first (its capacity sets the round's fixed rate), the others in an order rotated by round.
    const others = variants.filter((v) => v.name !== 'bare');
    const rotated = others.map((_, i) => others[(i + r) % others.length]);
    const order = [...variants.filter((v) => v.name === 'bare'), ...rotated];
    let bareCapacity;
    for (const v of order) {
      done++;
      let row;
      for (let attempt = 1; ; attempt++) {
        row = await measure(v, bareCapacity, sink, `[${done}/${total}] round ${r + 1}/${rounds}${attempt > 1 ? ` (attempt ${attempt})` : ''}`, `round-${r + 1}-${v.name}-${attempt}`);
        row.attempts = attempt;
        // A shared machine: a measurement during which other processes took more than --max-other-cpu
        // of a CPU is repeated (at most --attempts times in all; the last one is kept, and reported).
        if (!(row.otherCpuShare > maxOtherCpu) || attempt >= maxAttempts) break;
        repeated.push({ round: r + 1, variant: v.name, otherCpuShare: row.otherCpuShare });
      }
      if (v.name === 'bare') bareCapacity = row.capacity;
      results[v.name][r] = row;
    }
  }
} catch (error) {
  failure = error;
} finally {
  sink.disconnect();
  sink.kill();
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
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const signed = (x, d = 0) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : '–');
const versions = (name) => {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
};
const liveAtEnd = bootstrapBuild(liveDist);
const buildText =
  `our preload: a copy of libs/otel-bootstrap/dist taken at the start, build ${measuredBuild.hash} (newest file ${measuredBuild.built}), git ${gitHead}${bootstrapDirty ? ' with uncommitted changes under libs/otel-bootstrap' : ''}` +
  (liveAtEnd.hash === measuredBuild.hash ? '' : ` (libs/otel-bootstrap/dist was rebuilt meanwhile: ${liveAtEnd.hash}, ${liveAtEnd.built})`);
const lines = [];
lines.push(
  `${started.toISOString()} · ${cpus().length} × ${cpus()[0]?.model.trim()} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Linux ${release()} · Node ${process.version} · ` +
    `sdk-trace ${versions('@opentelemetry/sdk-trace')} · stock auto-instrumentations-node ${versions('@opentelemetry/auto-instrumentations-node')} · ` +
    `load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')} · ` +
    `${rounds} round(s): warm-up ≥ ${warmup} s until steady (≤ ${warmupMax} s; median ${f(median(Object.values(results).flatMap((rows) => rows.map((x) => x.warmupSeconds))))} s), capacity ${capacitySeconds} s (${concurrency} in flight), ${duration} s at ½ bare capacity · ` +
    `${sessionCount} sessions, one Socket.IO watcher each · MODEL_LATENCY_SCALE=${modelLatencyScale} · ` +
    `hub with OTEL_NODE_DISABLED_INSTRUMENTATIONS=${telemetryEnvOf('collaboration-hub').OTEL_NODE_DISABLED_INSTRUMENTATIONS} in every instrumented variant · ` +
    `services ${pinned ? 'on CPU 0, load + watchers + sink on CPU 1 (taskset), Redis/PostgreSQL unpinned' : 'NOT pinned (taskset unavailable)'} · ${buildText}`,
  '',
  '| variant | workflows/s at saturation (median) | kept vs bare (median of per-round ratios) | CPU ms / workflow, 4 services | rate driven /s | e2e p50 / p99 ms (median) | added p50 ms (median Δ) | added p99 ms (median Δ) | per-round added p99 | answer-only p99 ms | spans / workflow | errors |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
);
const summary = {};
const bare = results.bare ?? [];
for (const [name, rows] of Object.entries(results)) {
  const isBare = name === 'bare';
  const delta = (key) => rows.map((row, i) => row[key] - bare[i]?.[key]);
  const s = {
    capacity: median(rows.map((x) => x.capacity)),
    kept: median(rows.map((row, i) => row.capacity / bare[i]?.capacity)),
    cpuPerWorkflowMs: median(rows.map((x) => x.cpuPerWorkflowMs)),
    rate: median(rows.map((x) => x.rate)),
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
    `| ${name} | ${f(s.capacity)} | ${isBare ? '1' : f(s.kept, 2)} | ${f(s.cpuPerWorkflowMs, 2)} | ${f(s.rate)} | ${f(s.p50, 2)} / ${f(s.p99, 2)} | ${isBare ? 'baseline' : signed(s.addedP50, 2)} | ${isBare ? 'baseline' : signed(s.addedP99, 2)} | ${isBare ? '' : s.addedP99PerRound.map((x) => signed(x, 2)).join(' ')} | ${f(s.answerP99, 2)} | ${f(s.spansPerWorkflow, 1)} | ${errorText} |`,
  );
}
const others = Object.values(results).flatMap((rows) => rows.map((x) => x.otherCpuShare));
lines.push(
  '',
  `CPU used by other processes during the measured phases (not the four services, Redis, PostgreSQL, this harness or its sink: other people's work on a shared machine, kernel threads and softirq), share of one CPU, in the measurements kept: median ${f(Math.max(0, median(others)) * 100)} %, max ${f(Math.max(0, ...others) * 100)} % (per measurement in --json). ` +
    (repeated.length === 0
      ? `No measurement was repeated (${Number.isFinite(maxOtherCpu) ? `threshold ${f(maxOtherCpu * 100)} %` : 'no threshold'}).`
      : `Repeated because other processes took more than ${f(maxOtherCpu * 100)} %: ${repeated.map((x) => `round ${x.round} ${x.variant} (${f(x.otherCpuShare * 100)} %)`).join(', ')}.`),
  '',
);
process.stdout.write(lines.join('\n') + '\n');
if (jsonOut) {
  mkdirSync(dirname(resolve(jsonOut)), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ started, bootstrap: { measured: measuredBuild, liveAtEnd, gitHead, bootstrapDirty }, rounds, duration, warmup, warmupMax, capacitySeconds, concurrency, sessionCount, modelLatencyScale, pinned, maxOtherCpu, repeated, results, summary }, null, 2));
}
process.exit(0);
