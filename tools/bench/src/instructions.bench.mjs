// Instructions per request of the load benchmark's servers, counted by valgrind's callgrind: unlike
// time, a count does not change when other processes share the CPU, so an A/B of two builds holds
// on a busy machine. Each server starts under callgrind with instrumentation off (fast), serves
// --warmup requests (V8 optimises its hot paths), then `callgrind_control -i on` counts the
// instructions of exactly --requests more (8 keep-alive connections, sent from this process, which
// valgrind does not see) until `-i off`. Counted: everything the server process executes for them,
// including the export of the spans they produce to the discarding sink. Each thread is counted
// apart (--separate-threads): the main thread's count is the request path itself; the others (V8's
// background compiler, concurrent marking and sweeping) add whatever ran during the window, which is
// most of the spread between two processes of one build.
//
//   node tools/bench/src/instructions.bench.mjs --frameworks fastify,express --rounds 2 \
//     --variants bare,a-10,b-10 --builds a=libs/otel-bootstrap/out-tsc/before,b=libs/otel-bootstrap/dist
//
// Variants: bare, ours-100, ours-10, ours-0 (the preload at libs/otel-bootstrap/dist; -0: the ratio
// sampler at 0, every request unsampled), NAME-100 / NAME-10 / NAME-0 for each --builds NAME=DIR.
// Output: a table of instructions per request (main thread, all threads), the difference to bare, and
// the spans the sink received during the counted window per counted request (1.00: every request's
// span was exported, and serialised, inside the window).
// --profile DIR keeps each server's callgrind files and V8's perf map (--perf-basic-prof) there, for
// tools/bench/src/callgrind-profile.mjs (instructions per JavaScript function).
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const frameworks = opt('--frameworks', 'fastify,express').split(',');
const rounds = Number(opt('--rounds', 1));
const warmupRequests = Number(opt('--warmup', 3000));
const countedRequests = Number(opt('--requests', 2000));
const builds = Object.fromEntries(
  [['ours', 'libs/otel-bootstrap/dist'], ...(opt('--builds', '') || '').split(',').filter(Boolean).map((pair) => pair.split('='))].map(([name, dir]) => [name, resolve(root, dir)]),
);
const variantNames = opt('--variants', 'bare,ours-100,ours-10').split(',');
const profileDir = opt('--profile', undefined);

if (profileDir) mkdirSync(profileDir, { recursive: true });
const sink = spawn(process.execPath, [join(here, 'sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const sinkPort = await new Promise((resolvePort) => sink.stdout.once('data', (d) => resolvePort(JSON.parse(String(d)).port)));
/** The sink's counts ("reset" zeroes them first): spans and export requests it received. */
const sinkStats = (message) =>
  new Promise((resolveStats) => {
    sink.once('message', resolveStats);
    sink.send(message);
  });

function variantEnv(name) {
  if (name === 'bare') return { preload: [], env: {} };
  const [, build, rate] = /^(.+)-(100|10|0)$/.exec(name) ?? [];
  if (!builds[build]) throw new Error(`unknown variant ${name}: no build named ${build}`);
  const env = {
    OTEL_SERVICE_NAME: 'bench',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container',
    OTEL_LOG_LEVEL: 'error',
    // Timers fire by time, which valgrind stretches unevenly: no periodic export inside the counted
    // window (spans still leave in full batches of 1024, by count, exported on the request thread
    // by the span that fills the batch), so rounds count the same work. A window that holds whole
    // batches (e.g. --warmup 8704 --requests 4096: 512 spans queued when it opens, four batches
    // sent inside it) counts the export of exactly one span per request: see the "exported" column.
    OTEL_METRIC_EXPORT_INTERVAL: '3600000',
    OTEL_BSP_SCHEDULE_DELAY: '3600000',
    ...(rate !== '100' && { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: rate === '10' ? '0.1' : '0' }),
  };
  return { preload: ['--require', join(builds[build], 'register.js')], env };
}

async function drive(port, total) {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let sent = 0;
  const one = () =>
    new Promise((done, fail) => {
      get({ host: '127.0.0.1', port, path: `/hello/n${sent}`, agent }, (res) => {
        res.resume();
        res.on('end', done);
      }).on('error', fail);
    });
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent < total) {
        sent++;
        await one();
      }
    }),
  );
  agent.destroy();
}

async function measure(framework, variantName) {
  const { preload, env } = variantEnv(variantName);
  const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
  const out = join(dir, 'callgrind.out');
  const childEnv = { ...process.env, ...env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('OTEL_') && !(key in env)) delete childEnv[key];
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, ...(profileDir ? ['--perf-basic-prof'] : []), ...preload, join(here, 'fixtures/load-server.cjs'), framework],
    // cwd: the isolate logs that --perf-basic-prof also writes go to the temporary directory.
    { env: childEnv, cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise((resolvePort, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const line = text.split('\n').find((l) => l.startsWith('{"ready"'));
      if (line) resolvePort(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`${framework}/${variantName} exited with ${code}\n${err}`)));
  });
  await drive(port, warmupRequests);
  const control = (...command) => execFileSync('callgrind_control', [...command, String(child.pid)], { stdio: 'ignore' });
  control('-i', 'on');
  control('-z');
  await sinkStats('reset');
  await drive(port, countedRequests);
  control('-d'); // written to callgrind.out.1-NN, one per thread: the counted requests only
  control('-i', 'off');
  // Exports sent inside the window reached the sink long before its end (1024 spans each).
  const exported = await sinkStats('stats');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  const files = readdirSync(dir).filter((f) => /^callgrind\.out\.1-\d+$/.test(f)).sort();
  const totals = files.map((f) => Number(/^totals:\s*(\d+)/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? NaN));
  if (profileDir) {
    const name = `${framework}-${variantName}-${Date.now()}`;
    for (const f of files) copyFileSync(join(dir, f), join(profileDir, `${name}.${f.slice(f.lastIndexOf('-') + 1)}.callgrind`));
    copyFileSync(`/tmp/perf-${child.pid}.map`, join(profileDir, `${name}.map`));
    rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  if (totals.length === 0 || totals.some(Number.isNaN)) throw new Error(`no callgrind totals for ${framework}/${variantName}\n${err}`);
  // Thread 01 is the main thread (the first to run).
  return { main: totals[0] / countedRequests, all: totals.reduce((a, b) => a + b, 0) / countedRequests, exported: exported.spans / countedRequests };
}

const results = {};
for (let round = 0; round < rounds; round++) {
  for (const framework of frameworks) {
    const order = variantNames.map((_, i) => variantNames[(i + round) % variantNames.length]);
    for (const name of order) {
      process.stderr.write(`round ${round + 1}/${rounds} ${framework} ${name}\n`);
      ((results[framework] ??= {})[name] ??= []).push(await measure(framework, name));
    }
  }
}
sink.kill();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${new Date().toISOString()} · Node ${process.version} · ${rounds} round(s) · ${warmupRequests} warm-up + ${countedRequests} counted requests · load average ${execFileSync('cat', ['/proc/loadavg']).toString().trim()}`);
for (const framework of frameworks) {
  console.log(
    `\n### ${framework}\n\n| variant | main thread / request (median) | rounds | vs bare | all threads / request (median) | rounds | vs bare | spans exported in the window / request |\n| --- | ---: | --- | ---: | ---: | --- | ---: | --- |`,
  );
  const cells = (name, key) => {
    const of = (n) => results[framework][n].map((r) => r[key]);
    const m = median(of(name));
    const bare = results[framework].bare ? median(of('bare')) : undefined;
    const rel = name === 'bare' ? 'baseline' : bare === undefined ? '–' : `+${Math.round(m - bare).toLocaleString('en')}`;
    return `${Math.round(m).toLocaleString('en')} | ${of(name).map((x) => Math.round(x / 1000) + 'k').join(' ')} | ${rel}`;
  };
  const exported = (name) => results[framework][name].map((r) => r.exported.toFixed(2)).join(' ');
  for (const name of variantNames) console.log(`| ${name} | ${cells(name, 'main')} | ${cells(name, 'all')} | ${exported(name)} |`);
}
