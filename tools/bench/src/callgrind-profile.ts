#!/usr/bin/env node
// Instructions per request by function, from the files `instructions.bench.ts --profile DIR` keeps:
// callgrind names JIT-compiled code only by its address, and V8's perf map (--perf-basic-prof) says
// which JavaScript function each address range is, so the two together are a profile of the
// JavaScript as well as of V8's builtins and Node's C++.
//
//   node tools/bench/src/callgrind-profile.ts DIR/fastify-ours-0-123 --requests 2000 [--top 60] [--all-threads]
//     [--vs DIR/fastify-bare-456]   the difference per function (this run minus the other)
//     [--callees REGEX]             for the functions matching REGEX: self cost, and the inclusive cost of each callee
//
// Self cost is per function (inlined callees count in their caller); a callee's inclusive cost is
// callgrind's, per call site. The main thread only unless --all-threads. A JavaScript function's file
// is named relative to the repository, with a preload build's folder (libs/otel-bootstrap/dist,
// libs/otel-bootstrap/out-tsc/NAME) as libs/otel-bootstrap/<build>: --vs then lines up two builds in
// different folders (a function that moved in the bundle still differs by its line and column).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { cliOptions } from './lib/harness.ts';

const { opt, flag, positionals } = cliOptions({ options: ['--requests', '--top', '--vs', '--callees'], flags: ['--all-threads'] });
const [prefix] = positionals;
if (prefix === undefined || positionals.length > 1) throw new Error(`one profile (DIR/NAME, as instructions.bench.ts --profile DIR keeps them) expected, got: ${positionals.join(' ') || 'none'}`);
const requests = Number(opt('--requests', '1'));
const top = Number(opt('--top', '60'));
const allThreads = flag('--all-threads');
const calleesOf = opt('--callees');
const vs = opt('--vs');

const root = resolve(import.meta.dirname, '../../..');
/** A perf map entry's name with the repository's path, and a preload build's folder, taken out. */
const normaliseName = (name: string): string =>
  name
    .replaceAll(`${root}/`, '')
    .replace(/(?:\S*\/)?libs\/otel-bootstrap\/(?!node_modules\/)(?:out-tsc\/)?[^/\s]+\//g, 'libs/otel-bootstrap/<build>/');

interface Profile {
  /** Self cost per function. */
  self: Map<string, number>;
  /** Inclusive cost per call site, keyed `caller\0callee`. */
  edges: Map<string, number>;
}

function load(prefix: string): Profile {
  const ranges: Array<[start: number, size: number, name: string]> = [];
  for (const line of readFileSync(`${prefix}.map`, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ');
    if (name.length) ranges.push([parseInt(start as string, 16), parseInt(size as string, 16), normaliseName(name.join(' '))]);
  }
  // A later entry for an address (code moved or recompiled) wins.
  ranges.sort((a, b) => a[0] - b[0]);
  const starts = ranges.map((r) => r[0]);
  const symbol = (fn: string): string => {
    if (!fn.startsWith('0x')) return fn.replace(/'\d+$/, '');
    const address = parseInt(fn, 16);
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((starts[mid] as number) <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = found; i >= 0 && i > found - 8; i--) {
      const [start, size, name] = ranges[i] as [number, number, string];
      if (address < start + size) return name.replace(/^JS:[*+^~]?'?/, 'JS:');
    }
    return '(JIT code without a map entry)';
  };
  const dir = dirname(prefix);
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(`${basename(prefix)}.`) && f.endsWith('.callgrind'))
    .sort()
    .slice(0, allThreads ? undefined : 1);
  if (files.length === 0) throw new Error(`no ${basename(prefix)}.NN.callgrind files in ${dir}`);
  const self = new Map<string, number>();
  const edges = new Map<string, number>();
  for (const file of files) {
    // Callgrind's name compression: "(N) name" defines N, a later "(N)" refers to it.
    const names = new Map<string, string>();
    const resolveName = (value: string): string => {
      const m = /^\((\d+)\)(?: (.*))?$/.exec(value);
      if (!m) return value;
      if (m[2] !== undefined) names.set(m[1] as string, m[2]);
      return names.get(m[1] as string) ?? '?';
    };
    let fn = '';
    let callee = '';
    let call = false;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.startsWith('fn=')) {
        fn = symbol(resolveName(line.slice(3)));
        call = false;
      } else if (line.startsWith('cfn=')) callee = symbol(resolveName(line.slice(4)));
      else if (line.startsWith('calls=')) call = true;
      else if (/^[\d+*-]/.test(line)) {
        const cost = Number(line.split(' ')[1] ?? 0);
        if (!call) self.set(fn, (self.get(fn) ?? 0) + cost);
        else if (callee !== fn) {
          const key = `${fn}\u0000${callee}`;
          edges.set(key, (edges.get(key) ?? 0) + cost);
        }
        call = false;
      }
    }
  }
  return { self, edges };
}

const sum = (xs: Iterable<number>): number => [...xs].reduce((a, b) => a + b, 0);
const fmt = (n: number): string => Math.round(n / requests).toLocaleString('en').padStart(9);
const profile = load(prefix);
const total = sum(profile.self.values());
console.log(`${fmt(total)}  instructions per request (${allThreads ? 'all threads' : 'main thread'})`);

if (calleesOf) {
  const re = new RegExp(calleesOf);
  for (const [fn, cost] of [...profile.self].filter(([f]) => re.test(f)).sort((a, b) => b[1] - a[1])) {
    const out = [...profile.edges].filter(([k]) => k.startsWith(`${fn}\u0000`)).sort((a, b) => b[1] - a[1]);
    console.log(`\n${fmt(cost)}  self  ${fn}\n${fmt(cost + sum(out.map(([, c]) => c)))}  self + callees`);
    for (const [k, c] of out) if (c / requests >= 20) console.log(`${fmt(c)}    -> ${(k.split('\u0000')[1] as string).slice(0, 140)}`);
  }
} else {
  const other = vs ? load(vs).self : new Map<string, number>();
  const rows = [...new Set([...profile.self.keys(), ...other.keys()])].map((f): [string, number] => [f, (profile.self.get(f) ?? 0) - (other.get(f) ?? 0)]);
  if (other.size) console.log(`${fmt(total - sum(other.values()))}  more than the other`);
  for (const [f, c] of rows.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, top)) console.log(`${fmt(c)}  ${f.slice(0, 160)}`);
}
