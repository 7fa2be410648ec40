#!/usr/bin/env node
// Bundles the preload and the OpenTelemetry packages it loads into a few minified CommonJS files,
// after `tsc` has compiled the library (the build target runs both): less memory and a faster
// start than loading the SDK's hundreds of small modules (BENCHMARKS.md, "Start-up").
//
//   dist/register.js            the preload (src/register.ts; replaces tsc's file)
//   dist/index.js               the library entry (src/index.ts; replaces tsc's file)
//   dist/chunks/bootstrap.js    our modules (src/*.ts), once for both entries: one lifecycle, one
//                               log level, whichever entry the app loads first
//   dist/chunks/sdk.js          core, resources, sdk-trace/-metrics/-logs, context-async-hooks and
//                               the instrumentation base: loaded at start when telemetry is on
//   dist/chunks/otlp.js         the OTLP transport and serialisation the exporters share
//   dist/chunks/<package>.js    one per package our code requires lazily: each instrumentation
//                               (created on first require of its library), each exporter (on first
//                               export), the b3 propagator, the container detector
//   dist/chunks/<module>.js     our modules that load only on first export (LAZY_OWN_MODULES), with
//                               what they alone import (the OTLP/protobuf span exporter and its
//                               serialiser): not in the bootstrap file, which every process loads
// Each file is evaluated package by package on first use (esbuild's lazy module wrappers, and one
// getter per package in the shared files), so what loaded lazily before still does.
//
// The constants we take from @mcp/contracts (the shared histogram buckets) are bundled into the
// bootstrap file through their own subpath (its compiled module, built first as a dependency): the
// preload never loads the contracts package.
//
// Still loaded from node_modules, never bundled:
// - @opentelemetry/api: ONE instance shared with the apps, which import it themselves;
// - every library an instrumentation patches (http, express, pg, redis, @grpc/grpc-js, ...) and
//   anything else that is not OpenTelemetry code: the require hooks must see the app load them;
// - require-in-the-middle and import-in-the-middle: the hook machinery (import-in-the-middle's ESM
//   loader talks to its own module in node_modules).
// A package (or module of ours) used by several files lives in one of them (a "group" below) and
// the others get it through that file's exports, so each exists once per process, as code splitting
// would do. The semantic conventions are the exception: each file keeps only the constants it uses,
// tree-shaken from the ES module builds, which is much of the saving.
//
// Usage: node scripts/bundle.mjs [--analyze]   (from anywhere; --analyze: what each file is made of)
import { builtinModules, createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(projectRoot, 'package.json'));
// esbuild: a devDependency of this project (the same version vite uses).
const { build, analyzeMetafile } = require('esbuild');
const analyze = process.argv.includes('--analyze');

const src = join(projectRoot, 'src');
const dist = join(projectRoot, 'dist');
const chunksDir = join(dist, 'chunks');
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));

const ENTRIES = ['register', 'index'];
/** Our modules loaded on the first export, each the entry of its own file (modules only they import are bundled into it). */
const LAZY_OWN_MODULES = ['./otlp-protobuf-span-exporter'];
const LAZY_OWN_ONLY = new Set(['./otlp-trace-protobuf']);
/** Our modules, by the specifier the entries import them with ('./start'). */
const OWN_MODULES = readdirSync(src)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .map((f) => basename(f, '.ts'))
  .filter((name) => !ENTRIES.includes(name))
  .map((name) => `./${name}`)
  .filter((specifier) => !LAZY_OWN_MODULES.includes(specifier) && !LAZY_OWN_ONLY.has(specifier));

/** Packages (and our modules) shared by several output files: each lives in its group's file, once. */
const GROUPS = {
  bootstrap: OWN_MODULES,
  sdk: [
    '@opentelemetry/core',
    '@opentelemetry/instrumentation',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/sdk-metrics',
    '@opentelemetry/sdk-logs',
    '@opentelemetry/context-async-hooks',
  ],
  otlp: [
    '@opentelemetry/otlp-exporter-base',
    '@opentelemetry/otlp-exporter-base/node-http',
    '@opentelemetry/otlp-transformer',
    '@opentelemetry/otlp-grpc-exporter-base',
  ],
};
const GROUP_OF = new Map(Object.entries(GROUPS).flatMap(([group, specifiers]) => specifiers.map((s) => [s, group])));

/** Never bundled (see above). */
const ALWAYS_EXTERNAL = new Set(['@opentelemetry/api', 'require-in-the-middle', 'import-in-the-middle']);
/** Besides @opentelemetry/*, the helpers of bundled packages that no app loads and no instrumentation patches. */
const BUNDLED_HELPERS = new Set(['@fastify/otel', 'forwarded-parse', 'minimatch', 'brace-expansion', 'balanced-match']);

/** Workspace packages whose modules we import are bundled, never loaded lazily. */
const WORKSPACE_PACKAGES = new Set(['@mcp/contracts']);

/** Each dependency our code requires lazily, other than the API and the groups, gets its own file. */
const LAZY_PACKAGES = Object.keys(manifest.dependencies).filter(
  (name) => !ALWAYS_EXTERNAL.has(name) && !GROUP_OF.has(name) && !WORKSPACE_PACKAGES.has(name),
);
const chunkFileOf = (specifier) =>
  join(chunksDir, `${specifier.replace(/^\.\//, '').replace(/^@opentelemetry\//, '').replace(/^@/, '').replace(/\//g, '-')}.js`);

const BUILTINS = new Set(builtinModules);

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isBundled(name) {
  return !ALWAYS_EXTERNAL.has(name) && (name.startsWith('@opentelemetry/') || BUNDLED_HELPERS.has(name) || WORKSPACE_PACKAGES.has(name));
}

/**
 * An `import { x } from 'pkg'` of a CommonJS module (external, or another output file) becomes, in
 * esbuild's output, `__toESM(require(...))`: a copy of the module whose every property is a getter,
 * so each use of `x` at run time is a call and a megamorphic load (~4 k instructions per HTTP request
 * under the preload, BENCHMARKS.md). Imported through an ES module facade that reads each export
 * once into a variable instead, the importers use those variables directly. The names are the
 * CommonJS build's exports; a name that an importer uses and the facade lacks fails the build.
 */
const FACADE_NAMES = new Map();
function facadeOf(specifier, from, key) {
  if (!FACADE_NAMES.has(specifier)) {
    FACADE_NAMES.set(specifier, Object.keys(require(specifier)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default'));
  }
  return { path: specifier, namespace: 'facade', pluginData: { from, key, names: FACADE_NAMES.get(specifier) } };
}

function requirePath(fromFile, toFile) {
  const path = relative(dirname(fromFile), toFile);
  return path.startsWith('.') ? path : `./${path}`;
}

/**
 * Resolves every import of the file being built to: bundled (from the ES module build, so that
 * unused code and constants are dropped), another output file (a group or a lazy package), or
 * external (node_modules).
 */
function splitPlugin(outfile, ownGroup) {
  return {
    name: 'otel-split',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.reentry) return undefined;
        if (args.namespace === 'group' || args.namespace === 'facade') return { path: args.path, external: true };
        const specifier = args.path;
        const group = GROUP_OF.get(specifier);
        // A lazily loaded module of ours, from another file: its own file, required when needed.
        if (LAZY_OWN_MODULES.includes(specifier) && outfile !== chunkFileOf(specifier)) {
          return { path: requirePath(outfile, chunkFileOf(specifier)), external: true };
        }
        // Our modules as imported by an entry: from the bootstrap file.
        if (specifier.startsWith('.')) {
          const fromEntry = ENTRIES.some((entry) => args.importer === join(src, `${entry}.ts`));
          return fromEntry && group && group !== ownGroup ? { path: specifier, namespace: 'group', pluginData: { group } } : undefined;
        }
        if (specifier.startsWith('/') || specifier.startsWith('#')) return undefined;
        if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { path: specifier, external: true };
        if (group && group !== ownGroup) {
          const groupFile = requirePath(outfile, join(chunksDir, `${group}.js`));
          return args.kind === 'import-statement' ? facadeOf(specifier, groupFile, specifier) : { path: specifier, namespace: 'group', pluginData: { group } };
        }
        if (specifier === '@opentelemetry/api' && args.kind === 'import-statement') return facadeOf(specifier, specifier);
        if (LAZY_PACKAGES.includes(specifier) && (ownGroup === 'bootstrap' || ENTRIES.includes(basename(outfile, '.js')))) {
          return { path: requirePath(outfile, chunkFileOf(specifier)), external: true };
        }
        if (!isBundled(packageNameOf(specifier))) return { path: specifier, external: true };
        const resolved = await b.resolve(specifier, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: { reentry: true } });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path };
      });
      // A package (module) of another group: that file's export of it.
      b.onLoad({ filter: /.*/, namespace: 'group' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(requirePath(outfile, join(chunksDir, `${args.pluginData.group}.js`)))})[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'facade' }, ({ pluginData: { from, key, names } }) => ({
        contents: `const m = require(${JSON.stringify(from)})${key === undefined ? '' : `[${JSON.stringify(key)}]`};\nexport const { ${names.join(', ')} } = m;\n`,
        loader: 'js',
      }));
      // Some ES module builds load a dependency through createRequire(import.meta.url) (instrumentation-http:
      // forwarded-parse; otlp-grpc-exporter-base: @grpc/grpc-js, lazily). import.meta is empty in a
      // CommonJS bundle: a plain require() instead, which is bundled or kept external like any other.
      b.onLoad({ filter: /node_modules[\\/].*\.mjs$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('__require(') || args.path.includes('_rolldown')) return undefined;
        return { contents: source.replace(/\b__require\(/g, 'require('), loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'external',
  logLevel: 'warning',
  metafile: true,
};

/** A group's file: one lazily evaluated, cached getter per package (module). */
function groupEntry(group, specifiers) {
  const target = (s) => (group === 'bootstrap' ? `./src/${s.slice(2)}` : s);
  const getters = specifiers.map((s) => `get ${JSON.stringify(s)}() { return (cache[${JSON.stringify(s)}] ??= require(${JSON.stringify(target(s))})); }`);
  return `'use strict';\nconst cache = {};\nmodule.exports = {\n${getters.join(',\n')}\n};\n`;
}

/** A lazy package's file: that package, as require() would return it. */
function packageEntry(specifier) {
  return `'use strict';\nmodule.exports = require(${JSON.stringify(specifier)});\n`;
}

const builds = [
  ...ENTRIES.map((entry) => ({ outfile: join(dist, `${entry}.js`), entryPoints: [join(src, `${entry}.ts`)] })),
  ...Object.entries(GROUPS).map(([group, specifiers]) => ({ outfile: join(chunksDir, `${group}.js`), stdin: groupEntry(group, specifiers), group })),
  ...LAZY_PACKAGES.map((specifier) => ({ outfile: chunkFileOf(specifier), stdin: packageEntry(specifier) })),
  ...LAZY_OWN_MODULES.map((specifier) => ({ outfile: chunkFileOf(specifier), entryPoints: [join(src, `${specifier.slice(2)}.ts`)] })),
];

rmSync(chunksDir, { recursive: true, force: true });
mkdirSync(chunksDir, { recursive: true });
const externals = new Set();
const analyses = [];
await Promise.all(
  builds.map(async ({ outfile, entryPoints, stdin, group }) => {
    const result = await build({
      ...common,
      outfile,
      ...(entryPoints ? { entryPoints } : { stdin: { contents: stdin, resolveDir: projectRoot, sourcefile: relative(dist, outfile), loader: 'js' } }),
      plugins: [splitPlugin(outfile, group)],
    });
    if (analyze) analyses.push(await analyzeMetafile(result.metafile));
    for (const output of Object.values(result.metafile.outputs)) {
      for (const imported of output.imports) {
        if (imported.external && !imported.path.startsWith('.') && !imported.path.startsWith('node:') && !BUILTINS.has(imported.path)) externals.add(imported.path);
      }
    }
  }),
);

if (analyze) console.log(analyses.join('\n'));
const sizes = builds.map(({ outfile }) => `${relative(projectRoot, outfile)} ${(statSync(outfile).size / 1024).toFixed(1)} kB`);
console.log(`bundled ${builds.length} files:\n  ${sizes.join('\n  ')}\nloaded from node_modules: ${[...externals].sort().join(', ')}`);
