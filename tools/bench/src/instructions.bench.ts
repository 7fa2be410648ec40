#!/usr/bin/env node
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
//   node tools/bench/src/instructions.bench.ts [--frameworks fastify,express] [--rounds 1]
//     [--warmup 3000] [--requests 2000] [--variants bare,ours-100,ours-10]
//     [--builds NAME=DIR,...] [--profile DIR]
//   e.g. --frameworks fastify,express --rounds 2 --variants bare,a-10,b-10
//     --builds a=libs/otel-bootstrap/out-tsc/before,b=libs/otel-bootstrap/dist
//
// Needs valgrind and the preload built (npx nx run @mcp/otel-bootstrap:build).
// Variants: bare, ours-100, ours-10, ours-0 (the preload at libs/otel-bootstrap/dist; -0: the ratio
// sampler at 0, every request unsampled), NAME-100 / NAME-10 / NAME-0 for each --builds NAME=DIR.
// Output: a table of instructions per request (main thread, all threads), the difference to bare, and
// the spans the sink received during the counted window per counted request (1.00: every request's
// span was exported, and serialised, inside the window).
// --profile DIR keeps each server's callgrind files and V8's perf map (--perf-basic-prof) there, for
// tools/bench/src/callgrind-profile.ts (instructions per JavaScript function).
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { cliOptions, median, progress, request, startSinkProcess } from './lib/harness.ts';
import type { SinkStats } from './sink.ts';

const here = import.meta.dirname;
const root = resolve(here, '../../..');
const { opt } = cliOptions({ options: ['--frameworks', '--rounds', '--warmup', '--requests', '--variants', '--builds', '--profile'] });
const frameworks = opt('--frameworks', 'fastify,express').split(',');
const rounds = Number(opt('--rounds', '1'));
const warmupRequests = Number(opt('--warmup', '3000'));
const countedRequests = Number(opt('--requests', '2000'));
const builds: Record<string, string> = Object.fromEntries(
  [['ours', 'libs/otel-bootstrap/dist'], ...opt('--builds', '').split(',').filter(Boolean).map((pair) => pair.split('='))].map(([name, dir]) => {
    if (!name || !dir) throw new Error(`--builds: ${name}: not NAME=DIR`);
    return [name, resolve(root, dir)];
  }),
);
const variantNames = opt('--variants', 'bare,ours-100,ours-10').split(',');
const profileDir = opt('--profile');

const sampleRates = ['100', '10', '0'];
/** A variant's build (undefined: bare Node) and its sampling rate in percent. */
function parseVariant(name: string): { build?: string; rate?: string } {
  if (name === 'bare') return {};
  const [, build, rate] = /^(.+)-(100|10|0)$/.exec(name) ?? [];
  if (build === undefined || builds[build] === undefined) {
    const known = ['bare', ...Object.keys(builds).flatMap((b) => sampleRates.map((r) => `${b}-${r}`))];
    throw new Error(`unknown variant ${name} (known: ${known.join(', ')})`);
  }
  return { build: builds[build], rate };
}
// Every name checked before the first (slow) server starts.
for (const name of variantNames) parseVariant(name);

if (profileDir) mkdirSync(profileDir, { recursive: true });
const { child: sink, port: sinkPort } = await startSinkProcess();

function variantEnv(name: string): { preload: string[]; env: Record<string, string> } {
  const { build, rate } = parseVariant(name);
  if (build === undefined) return { preload: [], env: {} };
  const env: Record<string, string> = {
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
  return { preload: ['--require', join(build, 'register.js')], env };
}

async function drive(port: number, total: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let sent = 0;
  const one = (): Promise<void> =>
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

/** Instructions per counted request, and spans the sink received in the window per counted request. */
interface Count {
  main: number;
  all: number;
  exported: number;
}

async function measure(framework: string, variantName: string): Promise<Count> {
  const { preload, env } = variantEnv(variantName);
  const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
  const out = join(dir, 'callgrind.out');
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('OTEL_')) delete childEnv[key];
  Object.assign(childEnv, env);
  const valgrind = ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${out}`];
  const nodeArgs = [...(profileDir ? ['--perf-basic-prof'] : []), ...preload, join(here, 'fixtures/load-server.cjs'), framework];
  // Not @mcp/test-kit's spawnService, which opens no IPC channel: with none, all 7 ours-0 Fastify
  // processes tried ran nextTick's slow path (BENCHMARKS.md, +70-90 k instructions per request), with
  // one 0 of 6. The figures in BENCHMARKS.md were counted with one.
  const child = spawn('valgrind', [...valgrind, process.execPath, ...nodeArgs], {
    env: childEnv,
    // The isolate logs that --perf-basic-prof also writes go to the temporary directory.
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  }) as ChildProcessByStdio<null, Readable, Readable>;
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += String(d)));
  const port = await new Promise<number>((resolvePort, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += String(d);
      const line = text.split('\n').find((l) => l.startsWith('{"ready"'));
      if (line) resolvePort((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${framework}/${variantName} exited with ${code}\n${err}`)));
  });
  await drive(port, warmupRequests);
  const control = (...command: string[]): void => void execFileSync('callgrind_control', [...command, String(child.pid)], { stdio: 'ignore' });
  control('-i', 'on');
  control('-z');
  await request<SinkStats>(sink, 'reset');
  await drive(port, countedRequests);
  control('-d'); // written to callgrind.out.1-NN, one per thread: the counted requests only
  control('-i', 'off');
  // Exports sent inside the window reached the sink long before its end (1024 spans each).
  const exported = await request<SinkStats>(sink, 'stats');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
  const files = readdirSync(dir)
    .filter((f) => /^callgrind\.out\.1-\d+$/.test(f))
    .sort();
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
  return { main: (totals[0] as number) / countedRequests, all: totals.reduce((a, b) => a + b, 0) / countedRequests, exported: exported.spans / countedRequests };
}

const results: Record<string, Record<string, Count[]>> = {};
for (let round = 0; round < rounds; round++) {
  for (const framework of frameworks) {
    const order = variantNames.map((_, i) => variantNames[(i + round) % variantNames.length] as string);
    for (const name of order) {
      progress(`round ${round + 1}/${rounds} ${framework} ${name}`);
      ((results[framework] ??= {})[name] ??= []).push(await measure(framework, name));
    }
  }
}
progress('');
sink.kill();

const thousands = (x: number): string => Math.round(x).toLocaleString('en');
console.log(`${new Date().toISOString()} · Node ${process.version} · ${rounds} round(s) · ${warmupRequests} warm-up + ${countedRequests} counted requests · load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
for (const framework of frameworks) {
  const byVariant = results[framework] ?? {};
  console.log(
    `\n### ${framework}\n\n| variant | main thread / request (median) | rounds | vs bare | all threads / request (median) | rounds | vs bare | spans exported in the window / request |\n| --- | ---: | --- | ---: | ---: | --- | ---: | --- |`,
  );
  const cells = (name: string, key: 'main' | 'all'): string => {
    const of = (n: string): number[] => (byVariant[n] ?? []).map((r) => r[key]);
    const m = median(of(name));
    const bare = byVariant['bare'] ? median(of('bare')) : undefined;
    const rel = name === 'bare' ? 'baseline' : bare === undefined ? '–' : `${m >= bare ? '+' : ''}${thousands(m - bare)}`;
    return `${thousands(m)} | ${of(name)
      .map((x) => Math.round(x / 1000) + 'k')
      .join(' ')} | ${rel}`;
  };
  const exported = (name: string): string => (byVariant[name] ?? []).map((r) => r.exported.toFixed(2)).join(' ');
  for (const name of variantNames) console.log(`| ${name} | ${cells(name, 'main')} | ${cells(name, 'all')} | ${exported(name)} |`);
}
